"""Share, save, load and export, as the page shows them.

The share link is the address bar itself (app.py writes the state into st.query_params on every
run); here it is also printed with a copy button. Save/load use the scenario file format of
cli.py. Exports: CSV/JSON/HTML/PNG are made when their button is pressed (deferred downloads);
GIF/MP4 take a few seconds, so they are made on request with a progress bar and then offered.
"""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import streamlit as st

from experiments.records import row_count, trace_json, trajectories_csv
from experiments.scenario import MAX_FILE_BYTES, read_scenario_json
from experiments.tour import BY_KEY
from optimizers import ValidationError
from views import export as ex
from views.text import md

from . import jobs
from .bind import bound, page
from .page import active_scene
from .state import load_dict


def page_url() -> str:
    try:
        url = st.context.url or ""
    except Exception:  # AppTest and older servers have no URL; a relative link still works
        url = ""
    base = url.split("?")[0] or "http://localhost:8501"
    return base if base.endswith("/") else base + "/"


def on_upload() -> None:
    """A scenario file from the user's disk (untrusted): loaded, or a message and nothing changed."""
    file = st.session_state.get("upload")
    if file is None:
        return
    try:
        scenario = read_scenario_json(file.getvalue()[: MAX_FILE_BYTES + 1], f"“{file.name[:80]}”")
    except ValidationError as e:
        st.session_state.upload_error = e  # said when drawn, in the page's language then
        return
    st.session_state.upload_error = None
    notes = load_dict(scenario.to_dict())
    page().notes = notes


def share_section(scenario, tr) -> None:
    with st.expander(tr("Share, save, load"), expanded=False):
        st.caption(tr("The address bar always holds this view (scenario, colours, language, view options): "
                      "copy it from there, or copy this link (right-click it):"))
        # A link, not st.code: Streamlit's code block brings a 0.4 MB syntax highlighter to every first visit.
        link = quote(page_url() + "?" + urlencode(st.query_params.to_dict()), safe=":/?&=%#+~-._")
        st.link_button("🔗 " + tr("This view as a link"), link, width="stretch")
        st.download_button(tr("Save scenario (JSON)"), data=json.dumps(scenario.to_dict(), indent=2, ensure_ascii=False),
                           file_name="scenario.json", mime="application/json", on_click="ignore", width="stretch",
                           help=tr("The same format as cli.py reads."))
        st.file_uploader(tr("Load a scenario file"), type=["json"], key="upload", on_change=on_upload,
                         help=tr("A .json scenario as saved here or written for cli.py (at most 1 MB)."))
        error = st.session_state.get("upload_error")
        if error:
            st.error(tr("That file is not a valid scenario: {error}", error=md(error.in_language(tr))))


def _title(tr, surface) -> tuple[str, str]:
    preset = BY_KEY.get(active_scene(page()) or "")
    if preset:
        return preset.heading(tr), tr(preset.text)
    return tr(surface.title), tr(surface.description)


FAST_ROWS = 20_000  # rows of CSV/JSON written in well under a second
MAX_DOWNLOAD_ROWS = 200_000  # ~45 MB of CSV: a session keeps one prepared download of at most this
MADE = "made_download"  # the session's one prepared download: (kind, settings key, bytes)


def _keep_download(kind: str, key, data: bytes) -> None:
    """A session keeps only its latest prepared download: making a GIF lets go of the CSV."""
    st.session_state[MADE] = (kind, key, data)


def _made(kind: str, key):
    made = st.session_state.get(MADE)
    return made[2] if made and made[0] == kind and made[1] == key else None


def _data_export(col, kind, label, make, file_name, mime, rows, key, tr, help_) -> None:
    """A deferred download when it is quick to make; else a button that makes it with a
    progress bar, then the download; none over MAX_DOWNLOAD_ROWS (cli.py writes any size)."""
    if rows > MAX_DOWNLOAD_ROWS:
        col.button(label, key=f"make_{kind}", disabled=True, width="stretch",
                   help=tr("{rows} rows: a download from the page holds at most {max}. "
                           "`python3 cli.py export SCENARIO.json --csv out.csv` writes any size.",
                           rows=f"{rows:,}", max=f"{MAX_DOWNLOAD_ROWS:,}"))
        return
    if rows <= FAST_ROWS:
        col.download_button(label, data=make, file_name=file_name, mime=mime, on_click="ignore", width="stretch", help=help_)
        return
    if col.button(tr("Prepare {what}", what=label), key=f"make_{kind}", width="stretch", help=help_):
        bar = col.progress(0.0, text=tr("Writing {kind}…", kind=kind))
        data = make(lambda f: bar.progress(f, text=tr("Writing {kind}…", kind=kind)))
        bar.empty()
        _keep_download(kind, key, data)
    data = _made(kind, key)
    if data is not None:
        col.download_button(tr("Download {kind} ({size} MB)", kind=kind, size=f"{len(data) / 1e6:.1f}"), data=data,
                            file_name=file_name, mime=mime, on_click="ignore", key=f"get_{kind}", width="stretch")


def export_section(scenario, results, map_figure, colours, view, tr) -> None:
    """map_figure(): the map with its Plotly frames (made only when the HTML export is asked for)."""
    surface = scenario.surface_obj
    title, text = _title(tr, surface)
    lang = page().lang
    if any(st.session_state.get(f"make_{kind}") for kind in ("CSV", "JSON", "GIF", "MP4")):
        st.session_state.pop(MADE, None)  # a new download is being made: the old one goes before anything is drawn
    section = bound(st.expander, "export", bool(page().export_open), lambda q, v: setattr(q, "export_open", bool(v)),
                    label=tr("Export: data, standalone page, pictures"))
    if not section.open:  # its widgets are drawn only when it is open (app.py says why)
        return
    with section:
        scenario_key = json.dumps(scenario.to_dict(), sort_keys=True)
        key = (scenario_key, tuple(colours), str(view), lang, title)
        c1, c2, c3 = st.columns(3)
        rows = row_count(results)  # over FAST_ROWS (≥ ~1 s to write): made on request, with a progress bar
        _data_export(c1, "CSV", tr("Trajectories (CSV)"), lambda progress=None: trajectories_csv(scenario.surface_obj, results, progress),
                     "descent-lab-trajectories.csv", "text/csv", rows, key, tr,
                     tr("One row per run and step: point, loss, gradient, η, σ, η/σ and momentum per coordinate; curvature, effective sharpness and stability."))
        _data_export(c2, "JSON", tr("Trajectories (JSON)"), lambda progress=None: trace_json(scenario, results, progress),
                     "descent-lab-trajectories.json", "application/json", rows, key, tr,
                     tr("The scenario and every recorded quantity per step, as cli.py trace prints it."))
        c3.download_button(tr("Animated map (HTML)"), data=lambda: ex.html_bytes(map_figure(), title, text, lang),
                           file_name="descent-lab.html", mime="text/html", on_click="ignore", width="stretch",
                           help=tr("A standalone page with the player: it plays offline, e.g. from a USB stick."))
        longest = max(max(r.steps_taken for r in results), max(len(r.points) - 1 for r in results))
        p1, p2 = st.columns([2, 1], vertical_alignment="bottom")
        p = page()
        step = longest if p.png_step is None else min(max(int(p.png_step), 0), longest)  # past a shorter run's end: its end
        bound(p1.number_input, "png_step", step, lambda q, v: setattr(q, "png_step", None if v is None else int(v)),
              label=tr("Step shown in the PNG"), min_value=0, max_value=max(longest, 0), step=1)
        p2.download_button(tr("Picture (PNG)"), on_click="ignore", width="stretch", file_name=f"descent-lab-step-{step}.png",
                           mime="image/png",
                           data=lambda: ex.png_bytes(ex.frame_image(surface, results, list(colours), view, step=step, tr=tr, title=title)))
        st.caption(tr("The camera icon above the map saves the frame on screen as PNG, too."))

        frames = bound(st.slider, "gif_frames", int(p.gif_frames), lambda q, v: setattr(q, "gif_frames", int(v)),
                       label=tr("Frames in the GIF / MP4"), min_value=30, max_value=ex.MAX_EXPORT_FRAMES, step=10,
                       help=tr("25 frames per second; the steps are spread evenly over the frames."))
        kinds = ["GIF"] + (["MP4"] if ex.mp4_available() else [])
        wanted = key + (frames,)
        cols = st.columns(len(kinds))
        for col, kind in zip(cols, kinds):
            if col.button(tr("Make {kind}", kind=kind), key=f"make_{kind}", width="stretch"):
                bar = st.progress(0.0, text=tr("Drawing {n} frames…", n=frames))
                data = jobs.run(jobs.animation_job, kind, scenario_key, [r.path_only() for r in results], list(colours), view, frames, lang, title,
                                progress=lambda f, bar=bar: bar.progress(f, text=tr("Drawing {n} frames…", n=frames)))
                bar.empty()
                _keep_download(kind, wanted, data)
            data = _made(kind, wanted)
            if data is not None:
                col.download_button(tr("Download {kind} ({size} MB)", kind=kind, size=f"{len(data) / 1e6:.1f}"), data=data,
                                    file_name=f"descent-lab.{kind.lower()}", mime="image/gif" if kind == "GIF" else "video/mp4",
                                    on_click="ignore", key=f"get_{kind}", width="stretch")
        if "MP4" not in kinds:
            st.caption(tr("MP4 needs the imageio-ffmpeg package on the server."))
