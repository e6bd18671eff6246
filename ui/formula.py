"""The sidebar's typed surface: a text box for f(x, y), the view, the exact gradient in LaTeX.

A refused formula gets one line under the box (what is not allowed, and where) and the page
keeps drawing the last formula that was valid, with every other setting as it was.
"""
from __future__ import annotations

import streamlit as st

from surfaces import FormulaError, FormulaSpec, parse_domain
from surfaces.custom import DEFAULT_DOMAIN, DEFAULT_FORMULA, EXAMPLES
from surfaces.parse import FUNCTIONS, MAX_LENGTH

DOMAIN_KEYS = ("formula_x0", "formula_x1", "formula_y0", "formula_y1")


def init_formula_state() -> None:
    st.session_state.setdefault("formula_text", DEFAULT_FORMULA)
    for key, value in zip(DOMAIN_KEYS, (*DEFAULT_DOMAIN[0], *DEFAULT_DOMAIN[1])):
        st.session_state.setdefault(key, float(value))
    st.session_state.setdefault("formula_valid", FormulaSpec(DEFAULT_FORMULA, DEFAULT_DOMAIN))


def set_formula(spec: FormulaSpec) -> None:
    """Put a (valid) typed surface into the widgets."""
    st.session_state.formula_text = spec.formula
    for key, value in zip(DOMAIN_KEYS, (*spec.domain[0], *spec.domain[1])):
        st.session_state[key] = float(value)
    st.session_state.formula_valid = spec


def _use_example() -> None:
    name = st.session_state.get("formula_example")
    if name:
        st.session_state.formula_text = EXAMPLES[name]
        st.session_state.formula_example = None


def formula_section(tr) -> FormulaSpec:
    """Draw the text box and the view; return the formula to draw (the last valid one)."""
    init_formula_state()
    st.selectbox(tr("Start from an example"), list(EXAMPLES), key="formula_example", index=None, on_change=_use_example,
                 format_func=lambda n: f"{tr(n)}: {EXAMPLES[n]}", placeholder=tr("Examples…"))
    st.text_input("f(x, y) =", key="formula_text", placeholder=DEFAULT_FORMULA,
                  help=tr("Ordinary notation: + − * / and ^ or ** for powers, 2x for 2*x; numbers like 1.5e-3; x, y, pi, e; "
                          "functions {functions} (min and max take two terms). At most {max} characters. "
                          "The gradient is derived exactly.", functions=", ".join(sorted(FUNCTIONS)), max=MAX_LENGTH))
    under_box = st.container()  # the refusal goes right under the text box, above the view's inputs
    c1, c2 = st.columns(2)
    labels = (tr("x from"), tr("x to"), tr("y from"), tr("y to"))
    for col, key, label in zip((c1, c2, c1, c2), DOMAIN_KEYS, labels):
        col.number_input(label, key=key, format="%g", min_value=-1e6, max_value=1e6)
    last = st.session_state.formula_valid
    try:
        x0, x1, y0, y1 = (st.session_state[k] for k in DOMAIN_KEYS)
        spec = FormulaSpec(str(st.session_state.formula_text).strip(), parse_domain([[x0, x1], [y0, y1]]))
        surface = spec.surface
    except FormulaError as e:
        with under_box:
            st.error(tr(e.template, **{k: tr(v) if isinstance(v, str) else v for k, v in e.values.items()}))
            st.caption(tr("The map shows the last valid formula: {formula}", formula=last.formula))
        return last
    if spec != last:
        st.session_state.formula_valid = spec
        _keep_start_inside(surface)
        st.session_state.preset = None
    return spec


def _keep_start_inside(surface) -> None:
    """A new view that no longer holds the start point, or a start where f is not finite, moves it."""
    (x0, x1), (y0, y1) = surface.domain
    x, y = st.session_state.get("start_x"), st.session_state.get("start_y")
    inside = x is not None and y is not None and x0 <= x <= x1 and y0 <= y <= y1
    if not inside or not all(map(_finite, surface.value_and_grad(float(x), float(y)))):
        st.session_state.start_x, st.session_state.start_y = surface.default_start


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
