"""Files to take to class: the animated map as a standalone HTML page, and the animation as GIF,
MP4 or a single PNG frame.

The pictures are drawn with Pillow, not by a browser: kaleido needs Chromium and ~0.25 s per
frame, this needs ~15 ms, works on any server and gives the same bytes for the same input. They
show what the page's map shows: the surface as banded colours with contour lines, minima (★),
each path faint in full, a bright tail and the current point moving, start (○), end (■) and
divergence (✕), and the step counter.
"""
from __future__ import annotations

import io
import itertools
import os
import tempfile
from pathlib import Path

import numpy as np
import plotly.io as pio
from PIL import Image, ImageDraw, ImageFont

from i18n import ENGLISH
from surfaces import Surface

from .background import render_image
from .mapfig import FRAME_MS, PALETTE, TAIL
from .sampling import frame_steps, path_indices

GIF_FRAMES = 150  # 6 s at 25 fps; the page lets the user choose 30–300
MAX_EXPORT_FRAMES = 300
SIZE = (800, 640)  # multiples of 16, as H.264 wants
MARGIN = dict(left=90, right=18, top=64, bottom=52)
FONT_FILES = (  # first that exists; the CJK ones also cover Latin, so Chinese labels draw too
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def _font(size: int):
    for path in FONT_FILES:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


class _Frame:
    """Data coordinates → pixels for one view, and the drawing of the static layer."""

    def __init__(self, surface: Surface, results, colours, view, size, tr, title):
        self.surface, self.results, self.view, self.tr, self.title = surface, results, view, tr, title
        self.colours = [_rgb(c) for c in (colours or [PALETTE[i % len(PALETTE)] for i in range(len(results))])]
        self.W, self.H = size
        self.pw = self.W - MARGIN["left"] - MARGIN["right"]
        self.ph = self.H - MARGIN["top"] - MARGIN["bottom"]
        self.font, self.small = _font(17), _font(13)
        self.steps = max([r.steps_taken for r in results] + [len(r.points) - 1 for r in results] + [0])
        self.base = self._static_layer()

    def px(self, pts: np.ndarray) -> list[tuple[float, float]]:
        (x0, x1), (y0, y1) = self.view
        u = MARGIN["left"] + (pts[:, 0] - x0) / (x1 - x0) * self.pw
        v = MARGIN["top"] + (y1 - pts[:, 1]) / (y1 - y0) * self.ph
        return list(zip(np.clip(u, -1e4, 1e4).tolist(), np.clip(v, -1e4, 1e4).tolist()))

    def _static_layer(self) -> Image.Image:
        img = Image.new("RGB", (self.W, self.H), "white")
        plot = Image.new("RGBA", (self.pw, self.ph), (221, 221, 221, 255))
        surface_img, _ = render_image(self.surface, self.view, self.pw, self.ph)
        plot.alpha_composite(surface_img)
        img.paste(plot.convert("RGB"), (MARGIN["left"], MARGIN["top"]))
        self._axes(ImageDraw.Draw(img))
        layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        for i, r in enumerate(self.results):
            if len(r.points) == 0:
                continue
            c = self.colours[i]
            pts = r.points[path_indices(r.points, 4000)]
            d.line(self.px(pts), fill=c + (150,), width=2)
            (u, v), = self.px(r.points[:1])
            d.ellipse((u - 7, v - 7, u + 7, v + 7), outline=c + (255,), width=3)
            (u, v), = self.px(r.points[-1:])
            if r.diverged_at is None:
                d.rectangle((u - 5, v - 5, u + 5, v + 5), fill=c + (255,), outline="white")
        for p in self.surface.critical_points:
            (u, v), = self.px(np.array([[p.x, p.y]]))
            self._star(d, u, v, 9 if "minimum" in p.kind else 6)
        for r in self.results:
            if r.diverged_at is not None and len(r.points):
                (u, v), = self.px(r.points[-1:])
                d.line((u - 8, v - 8, u + 8, v + 8), fill=(208, 0, 0, 255), width=4)
                d.line((u - 8, v + 8, u + 8, v - 8), fill=(208, 0, 0, 255), width=4)
                d.text((u, v - 12), self.tr("diverged at step {step}", step=r.diverged_at), fill="white",
                       font=self.small, anchor="md", stroke_width=2, stroke_fill="black")
        clip = Image.new("L", img.size, 0)
        ImageDraw.Draw(clip).rectangle((MARGIN["left"], MARGIN["top"], MARGIN["left"] + self.pw - 1, MARGIN["top"] + self.ph - 1), fill=255)
        img.paste(layer, (0, 0), Image.composite(layer.getchannel("A"), clip, clip))
        self._legend(ImageDraw.Draw(img))
        return img

    @staticmethod
    def _star(d, u, v, r):
        angles = np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
        pts = list(zip((u + radii * np.cos(angles)).tolist(), (v - radii * np.sin(angles)).tolist()))
        d.polygon(pts, fill="white", outline="black")

    def _axes(self, d):
        (x0, x1), (y0, y1) = self.view
        left, top = MARGIN["left"], MARGIN["top"]
        d.rectangle((left - 1, top - 1, left + self.pw, top + self.ph), outline=(90, 90, 90))
        for t in nice_ticks(x0, x1):
            (u, _), = self.px(np.array([[t, y0]]))
            d.line((u, top + self.ph, u, top + self.ph + 5), fill=(90, 90, 90))
            d.text((u, top + self.ph + 7), f"{t:.4g}", fill="black", font=self.small, anchor="ma")
        for t in nice_ticks(y0, y1):
            (_, v), = self.px(np.array([[x0, t]]))
            d.line((left - 5, v, left, v), fill=(90, 90, 90))
            d.text((left - 8, v), f"{t:.4g}", fill="black", font=self.small, anchor="rm")
        a, b = self.surface.axis_names
        d.text((left + self.pw / 2, self.H - 6), a, fill="black", font=self.font, anchor="md")
        d.text((12, top + self.ph / 2), b, fill="black", font=self.font, anchor="lm")

    def _legend(self, d):
        d.text((MARGIN["left"], 8), self.title, fill="black", font=self.font, anchor="la")
        u = MARGIN["left"]
        for i, r in enumerate(self.results):
            label = r.label if len(r.label) <= 40 else r.label[:39] + "…"
            d.line((u, 44, u + 22, 44), fill=self.colours[i], width=4)
            d.text((u + 28, 44), label, fill="black", font=self.small, anchor="lm")
            u += 40 + d.textlength(label, font=self.small)
            if u > self.W - 120:
                break

    def draw(self, shown: np.ndarray, k: int) -> Image.Image:
        img = self.base.copy()
        layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        for i, r in enumerate(self.results):
            if len(r.points) == 0:
                continue
            idx = np.minimum(shown[max(0, k - TAIL): k + 1], len(r.points) - 1)
            pts = self.px(r.points[idx])
            c = self.colours[i]
            if len(pts) > 1:
                d.line(pts, fill=c + (255,), width=4)
            u, v = pts[-1]
            d.ellipse((u - 8, v - 8, u + 8, v + 8), fill=c + (255,), outline="white", width=2)
        clip = Image.new("L", img.size, 0)
        ImageDraw.Draw(clip).rectangle((MARGIN["left"], MARGIN["top"], MARGIN["left"] + self.pw - 1, MARGIN["top"] + self.ph - 1), fill=255)
        img.paste(layer, (0, 0), Image.composite(layer.getchannel("A"), clip, clip))
        ImageDraw.Draw(img).text((self.W - MARGIN["right"], 8), self.tr("step {step} of {total}", step=f"{int(shown[k]):,}",
                                 total=f"{self.steps:,}"), fill="black", font=self.font, anchor="ra")
        return img


def nice_ticks(lo: float, hi: float, target: int = 5) -> np.ndarray:
    """Round tick values (1, 2 or 5 × 10^k apart) inside [lo, hi]."""
    raw = (hi - lo) / target
    step = 10 ** np.floor(np.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    ticks = np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step
    return np.round(ticks, 12)


def iter_frames(surface: Surface, results, colours=None, view=None, *, frames: int = GIF_FRAMES, size=SIZE,
                tr=ENGLISH, title: str = "", progress=None):
    """RGB frames of the animation, `frames` of them at most, evenly spaced over the steps, drawn
    one at a time as they are taken (300 frames held at once are ~460 MB). progress(fraction) is
    called as frames are drawn."""
    frames = int(min(max(frames, 2), MAX_EXPORT_FRAMES))
    f = _Frame(surface, results, colours, view or surface.domain, size, tr, title)
    shown = frame_steps(f.steps, frames)
    for k in range(len(shown)):
        yield f.draw(shown, k)
        if progress:
            progress((k + 1) / len(shown))


def animation_frames(*args, **kwargs) -> list[Image.Image]:
    """iter_frames' frames as a list."""
    return list(iter_frames(*args, **kwargs))


def frame_image(surface: Surface, results, colours=None, view=None, *, step: int | None = None, size=SIZE,
                tr=ENGLISH, title: str = "") -> Image.Image:
    """The picture at one step (default: the last)."""
    f = _Frame(surface, results, colours, view or surface.domain, size, tr, title)
    step = f.steps if step is None else int(min(max(step, 0), f.steps))
    shown = np.unique(np.concatenate([frame_steps(step, TAIL * 20), [step]]))
    return f.draw(shown, len(shown) - 1)


CLEAR = 255  # the palette has 255 colours: index 255 is "as the frame before"


def gif_bytes(images, frame_ms: int = FRAME_MS) -> bytes:
    """One palette for every frame (taken from the first), so colours do not flicker. Frames are
    written as they come (any iterable), each as the box where it differs from the one before."""
    from PIL import GifImagePlugin, ImageChops
    images = iter(images)
    first = next(images).quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    header, _ = GifImagePlugin.getheader(first, None, {"loop": 0, "duration": frame_ms})
    buf = io.BytesIO()
    buf.write(b"".join(header))
    previous = None
    for frame in itertools.chain([first], (im.quantize(palette=first, dither=Image.Dither.NONE) for im in images)):
        if previous is None:
            box, part = (0, 0, *frame.size), frame
        else:  # unchanged pixels inside the changed box become the transparent index: LZW packs them
            box = ImageChops.difference(frame, previous).getbbox() or (0, 0, 1, 1)
            now, before = np.asarray(frame.crop(box)), np.asarray(previous.crop(box))
            part = Image.fromarray(np.where(now == before, CLEAR, now).astype(np.uint8), "P")
            part.putpalette(first.getpalette())
        buf.write(b"".join(GifImagePlugin.getdata(part, offset=box[:2], duration=frame_ms, transparency=CLEAR, disposal=1)))
        previous = frame
    buf.write(b";")
    return buf.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def mp4_available() -> bool:
    try:
        import imageio_ffmpeg
        return Path(imageio_ffmpeg.get_ffmpeg_exe()).exists()
    except (ImportError, RuntimeError):
        return False


def mp4_bytes(images, fps: int = round(1000 / FRAME_MS)) -> bytes:
    """H.264 in MP4 through the ffmpeg that the imageio-ffmpeg wheel ships; frames from any
    iterable, sent to the encoder as they come."""
    import imageio_ffmpeg
    images = iter(images)
    first = next(images)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "animation.mp4")
        writer = imageio_ffmpeg.write_frames(path, first.size, fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                             quality=7, macro_block_size=16, ffmpeg_log_level="error")
        writer.send(None)
        for im in itertools.chain([first], images):
            writer.send(np.asarray(im.convert("RGB")).tobytes())
        writer.close()
        return Path(path).read_bytes()


def html_bytes(fig, title: str, text: str = "", lang: str = "en") -> bytes:
    """A standalone page: plotly.js inlined (≈4.7 MB), so it plays from a USB stick, offline."""
    div = pio.to_html(fig, include_plotlyjs=True, full_html=False, auto_play=False,
                      config={"displaylogo": False, "scrollZoom": True}, default_width="100%")
    page = (f'<!DOCTYPE html>\n<html lang="{_esc(lang)}"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
            '<style>body{font-family:sans-serif;margin:1.5em;max-width:1100px}</style></head>'
            f"<body><h2>{_esc(title)}</h2><p>{_esc(text)}</p>{div}</body></html>")
    return page.encode("utf-8")


def _esc(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))
