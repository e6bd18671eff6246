"""Plotly's own texts (the chart toolbar's tooltips, its notices) in the page's language.

plotly.js translates these through a locale dictionary given in the chart's config; without one a
Chinese page shows English tooltips. TEXTS are the English keys plotly.js 3 looks up (read from
Streamlit's bundled plotly.js); scripts/catalog.py collects them like any other text."""
from __future__ import annotations

from i18n import ENGLISH

TEXTS = ("Autoscale", "Box Select", "Compare data on hover", "Double-click to zoom back out", "Download plot",
         "Download plot as a PNG", "Image download succeeded", "Lasso Select", "Orbital rotation", "Pan",
         "Preparing image - this may take a few seconds", "Reset", "Reset axes", "Reset camera to default",
         "Reset camera to last save", "Reset view", "Reset views", "Show closest data on hover",
         "Sorry, there was a problem downloading your image!", "Toggle Spike Lines", "Toggle show closest data on hover",
         "Turntable rotation", "Zoom", "Zoom in", "Zoom out")


def chart_config(tr=ENGLISH, **config) -> dict:
    """A Plotly config for st.plotly_chart: the given options, no Plotly logo, and plotly's own
    texts in the page's language."""
    out = {"displaylogo": False, **config}
    if tr.lang != ENGLISH.lang:
        out.update(locale=tr.lang, locales={tr.lang: {"dictionary": {t: tr(t) for t in TEXTS}}})
    return out
