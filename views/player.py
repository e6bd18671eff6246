"""What the map's player (ui/player.js) is sent: the map once, without frames, and what it needs
to make every frame itself; and, for the same element as a still chart, any figure. map_figure makes both this and the exported animation (its Plotly
frames), from the same Tail of each run, so what the page plays is what the export plays."""
from __future__ import annotations

from plotly.io.json import to_json_plotly

from i18n import ENGLISH

from .toolbar import chart_config


def player_texts(alt: str, tr=ENGLISH) -> dict:
    """The player's words in the page's language: each button's symbol, name (for a screen reader
    and its tooltip) and key."""
    def button(symbol, name, key=""):
        return {"symbol": symbol, "name": name, "key": key}

    return {"alt": alt, "player": tr("Animation controls"), "speed": tr("Playback speed"), "step": tr("step"), "at_step": tr("step {n}"),
            "failed": tr("The chart could not be drawn. Reload the page to try again."),
            "start": button("|◀", tr("Go to the first step"), "Home"),
            "back": button("‹", tr("One frame back"), "←"),
            "play": button(tr("▶ Play"), tr("Play"), tr("space")),
            "pause": button(tr("❚❚ Pause"), tr("Pause"), tr("space")),
            "forward": button("›", tr("One frame forward"), "→"),
            "end": button("▶|", tr("Go to the last step"), "End")}


def player_spec(fig, alt: str, tr=ENGLISH, fill: bool = False) -> str:
    """The player's data as JSON: the figure without its frames and their buttons and slider (the
    player has its own), the moving traces' indices, each run's positions at the shown steps, and
    the texts. fill: presentation mode (the chart fills the window's height)."""
    figure = fig.to_dict(frames=False)
    layout = figure["layout"]
    for part in ("updatemenus", "sliders"):
        layout.pop(part, None)
    height = layout.pop("height", 620)
    layout["margin"] = dict(layout.get("margin", {}), b=70 if fill else 50)
    spec = dict(fig.player, figure=figure, height=height, fill=fill, texts=player_texts(alt, tr), clickable=True,
                config=chart_config(tr, scrollZoom=True, toImageButtonOptions={
                    "format": "png", "filename": "descent-lab-frame", "scale": 2}))
    return to_json_plotly(spec)


def chart_spec(fig, alt: str, tr=ENGLISH) -> str:
    """A still chart for the same element (no player): drawn by the page's one plotly.js, so that
    a first visit loads no second copy of it (Streamlit's own is 4.7 MB)."""
    figure = fig.to_dict()
    height = figure["layout"].pop("height", 450)
    texts = {"alt": alt, "failed": player_texts(alt, tr)["failed"]}
    return to_json_plotly(dict(figure=figure, height=height, texts=texts, config=chart_config(tr)))
