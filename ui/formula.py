"""The sidebar's typed surface: a text box for f(x, y), the view, the exact gradient in LaTeX.

A refused formula gets one line under the box (what is not allowed, and where) and the page
keeps drawing the last formula that was valid, with every other setting as it was.
"""
from __future__ import annotations

import streamlit as st

from surfaces import FormulaError, FormulaSpec
from surfaces.custom import DEFAULT_FORMULA, EXAMPLES
from surfaces.parse import FUNCTIONS, MAX_LENGTH
from views.text import md

from .bind import NUMBER, bound, choice
from .page import formula_spec as _formula_spec


def _use_example(page, name) -> None:
    if name in EXAMPLES:
        page.formula_text = EXAMPLES[name]
        _apply(page)


def _apply(page) -> None:
    """The boxes' formula and view, if valid, become the page's surface (else the last valid stays)."""
    try:
        spec = _formula_spec(page.formula_text, page.formula_domain)
    except FormulaError:
        return
    if spec != page.surface:
        page.surface = spec
        _keep_start_inside(page, spec.surface)


def _set_text(page, text) -> None:
    page.formula_text = str(text or "")[:MAX_LENGTH * 2]
    _apply(page)


def _set_domain(i: int):
    def write(page, value):
        page.formula_domain[i] = float(0.0 if value is None else value)
        _apply(page)
    return write


def formula_section(page, tr) -> FormulaSpec:
    """Draw the text box and the view; return the formula to draw (the last valid one)."""
    choice(st.selectbox, "formula.example", [None, *EXAMPLES], None, _use_example, label=tr("Start from an example"),
           fmt=lambda n: tr("Examples…") if n is None else f"{tr(n)}: {EXAMPLES[n]}")
    bound(st.text_input, "formula_text", page.formula_text, _set_text, label="f(x, y) =", placeholder=DEFAULT_FORMULA,
          help=tr("Ordinary notation: + − * / and ^ or ** for powers, 2x for 2*x; numbers like 1.5e-3; x, y, pi, e; "
                  "functions {functions} (min and max take two terms). At most {max} characters. "
                  "The gradient is derived exactly.", functions=", ".join(sorted(FUNCTIONS)), max=MAX_LENGTH))
    under_box = st.container()  # the refusal goes right under the text box, above the view's inputs
    c1, c2 = st.columns(2)
    labels = (tr("x from"), tr("x to"), tr("y from"), tr("y to"))
    for i, (col, label) in enumerate(zip((c1, c2, c1, c2), labels)):
        bound(col.number_input, f"formula_{('x0', 'x1', 'y0', 'y1')[i]}", float(page.formula_domain[i]), _set_domain(i), label=label,
              format=NUMBER, min_value=-1e6, max_value=1e6)
    last = page.surface
    try:
        _formula_spec(page.formula_text, page.formula_domain)
    except FormulaError as e:
        with under_box:
            st.error(md(e.in_language(tr)))
            st.caption(tr("The map shows the last valid formula: {formula}", formula=md(last.formula)))
    return last


def _keep_start_inside(page, surface) -> None:
    """A new view that no longer holds the start point, or a start where f is not finite, moves it."""
    (x0, x1), (y0, y1) = surface.domain
    x, y = page.start
    inside = x0 <= x <= x1 and y0 <= y <= y1
    if not inside or not all(map(_finite, surface.value_and_grad(float(x), float(y)))):
        page.start = [float(c) for c in surface.default_start]


def _finite(v) -> bool:
    try:
        return bool(abs(float(v)) < float("inf"))
    except (TypeError, ValueError):
        return False


def show_gradient(surface, tr) -> None:
    """The typed f and its exact partial derivatives, in LaTeX (in the main area: it has the width)."""
    with st.container(border=True):
        st.latex(surface.formula)
        for axis, text in zip("xy", surface.gradient_formula):
            if text is None:
                st.caption(tr("∂f/∂{axis} is too long to show; it is computed exactly all the same.", axis=axis))
            else:
                st.latex(rf"\frac{{\partial f}}{{\partial {axis}}} = {text}")
