"""The sidebar's run editors: widgets drawn from the page's runs, writing back to them.

Each optimizer / schedule parameter gets a widget from its `Param` spec: torch's default, a range
(`min_value`) where the spec has a closed lower bound, and the spec's one-line meaning as help.
Values the engine refuses are explained next to the run (the scenario validator has the last word).
"""
from __future__ import annotations

import streamlit as st

from experiments.scenario import MAX_BUNDLE, MAX_FILE_BYTES, MAX_LABEL, MAX_MAP_STEPS, MAX_RUNS, MAX_STEPS, MAX_WORK, WARMUP_FACTOR
from i18n import ENGLISH
from optimizers import OPTIMIZERS, SCHEDULES
from optimizers.fate import MAX_MAP, MAX_SWEEP
from optimizers.schedules import STEPS
from surfaces.parse import MAX_LENGTH
from views.export import MAX_EXPORT_FRAMES, SIZE
from views.text import md

from .bind import NUMBER, act, bound, choice
from .link import MAX_PARAM_CHARS
from .page import (
    MAX_PAGE_RUNS,
    Run,
    add_run,
    duplicate_run,
    remove_run,
    run_label,
    scenario_dict,
    set_optimizer,
    set_schedule,
)
from .share import MAX_DOWNLOAD_ROWS

PAGE_SCHEDULES = [n for n in SCHEDULES if n != "SequentialLR"]  # sequences: the warm-up option builds them


def summary(cls) -> str:
    """The first line of an optimizer's or schedule's docstring: what it does, in one sentence."""
    return (cls.__doc__ or "").strip().splitlines()[0]


def _set_param(run_id: int, name: str, index: int | None = None, schedule: bool = False):
    """A setter for one optimizer (or schedule) parameter of a run; index: one entry of a pair."""
    def write(page, value):
        run = page.run(run_id)
        params = run.schedule_params if schedule else run.params
        if index is None:
            params[name] = value
        else:
            pair = list(params.get(name) or (None, None))
            pair[index] = value
            params[name] = pair
    return write


def _set(run_id: int, attr: str, convert=lambda v: v):
    def write(page, value):
        setattr(page.run(run_id), attr, convert(value))
    return write


def param_widget(run: Run, name: str, spec, schedule: bool = False, tr=ENGLISH):
    """Draw one parameter's widget from the page's value (None: the default)."""
    params = run.schedule_params if schedule else run.params
    owner = run.schedule if schedule else run.optimizer
    key = f"run{run.id}.{'s' if schedule else 'p'}.{owner}.{name}"
    value = params.get(name, spec.default)
    label, help_ = name, tr("{doc}. Allowed: {range}.", doc=tr(spec.doc), range=spec.range_text(tr))
    low = spec.low
    write = _set_param(run.id, name, schedule=schedule)
    if spec.kind == "bool":
        bound(st.checkbox, key, bool(value), write, label=label, help=help_)
    elif spec.kind == "choice":
        choice(st.selectbox, key, spec.choices, value, write, label=label, help=help_)
    elif spec.kind == "pair":
        c1, c2 = st.columns(2)
        pair = list(value) if isinstance(value, (list, tuple)) and len(value) == 2 else list(spec.default)
        for i, col in enumerate((c1, c2)):
            bound(col.number_input, f"{key}.{i}", _float(pair[i]), _set_param(run.id, name, i, schedule),
                  label=f"{label}[{i}]", format=NUMBER, help=help_, min_value=low)
    elif spec.kind == "ints":
        text = ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value or "")
        bound(st.text_input, key, text, lambda page, t: write(page, parse_ints(t)), label=label,
              help=help_ + " " + tr("Comma-separated integers."))
    elif spec.kind == "int":
        placeholder = tr("default: the run's length") if STEPS in spec.doc else tr("default")
        bound(st.number_input, key, None if value is None else int(value), write, label=label, step=1,
              min_value=int(low) if low is not None else None, help=help_, placeholder=placeholder)
    else:
        bound(st.number_input, key, _float(value), write, label=label, format=NUMBER, help=help_,
              min_value=float(low) if low is not None else None, placeholder=tr("default"))


def _float(v):
    return None if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) else float(v)


def parse_ints(text: str):
    """'100, 200' → [100, 200] without eval; other text is kept as it is typed, and the validator
    names it ("must be a list of integers") inside the run's box."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    try:
        return [int(p) for p in parts][:1000]
    except ValueError:
        return str(text)[:200]


def run_editor(page, run: Run, steps: int, tr=ENGLISH) -> None:
    """The widgets of one run (they write to the page)."""
    rid = run.id
    choice(st.selectbox, f"run{rid}.optimizer", list(OPTIMIZERS), run.optimizer,
           lambda p, v: set_optimizer(p.run(rid), v), fmt=lambda n: f"{n}  ({tr(OPTIMIZERS[n].source)})", label=tr("Optimizer"))
    cls = OPTIMIZERS[run.optimizer]
    st.caption(tr(summary(cls)))
    for k, spec in cls.params.items():
        param_widget(run, k, spec, tr=tr)
    choice(st.selectbox, f"run{rid}.schedule", PAGE_SCHEDULES, run.schedule, lambda p, v: set_schedule(p.run(rid), v),
           fmt=lambda n: tr("none (constant)") if n == "none" else n, label=tr("Learning-rate schedule"),
           help=tr("torch.optim.lr_scheduler's schedules, plus the lecture's η/√(t+1) and the Transformer's warm-up."))
    for k, spec in SCHEDULES[run.schedule].params.items():
        param_widget(run, k, spec, schedule=True, tr=tr)
    bound(st.number_input, f"run{rid}.warmup", int(run.warmup_steps), _set(rid, "warmup_steps", lambda v: int(v or 0)),
          label=tr("Warm-up steps (0: none)"), min_value=0, max_value=max(0, steps - 1), step=10,
          help=tr("η rises linearly from start factor × η to η over these steps, then the schedule above takes over."))
    if run.warmup_steps:
        bound(st.number_input, f"run{rid}.warmup_factor", float(run.warmup_factor),
              _set(rid, "warmup_factor", lambda v: float(WARMUP_FACTOR if v is None else v)),
              label=tr("Warm-up start factor"), min_value=1e-12, max_value=1.0, format=NUMBER)
    gradient_options(run, tr)
    c1, c2 = st.columns([3, 1])
    bound(c1.text_input, f"run{rid}.label", run.label, _set(rid, "label", lambda v: (v or "").strip()[:MAX_LABEL]),
          label=tr("Label"), max_chars=MAX_LABEL, placeholder=run_label(page, run, tr),
          help=tr("Leave empty: the label follows the optimizer, its lr and the schedule."))
    bound(c2.color_picker, f"run{rid}.colour", run.colour, _set(rid, "colour"), label=tr("Colour"))
    b1, b2 = st.columns(2)
    b1.button(tr("Duplicate"), key=f"run{rid}.dup", on_click=act(duplicate_run, rid),
              disabled=len(page.runs) >= MAX_PAGE_RUNS, width="stretch")
    b2.button(tr("Remove"), key=f"run{rid}.del", on_click=act(remove_run, rid),
              disabled=len(page.runs) <= 1, width="stretch")


CLIPS = ("none", "max_norm", "clip_value")


def gradient_options(run: Run, tr=ENGLISH) -> None:
    """Noise on the gradient (std, seed, how many seeds to draw) and clipping (torch.nn.utils)."""
    rid = run.id
    with st.popover(tr("Gradient: noise, clipping"), width="stretch"):
        bound(st.number_input, f"run{rid}.noise", float(run.noise_std), _set(rid, "noise_std", lambda v: float(v or 0.0)),
              label=tr("Noise std (0: exact gradient)"), min_value=0.0, max_value=1e12, format=NUMBER,
              help=tr("Adds N(0, std²) to each coordinate of the gradient at every step, like a minibatch."))
        if run.noise_std > 0:
            a, b = st.columns(2)
            bound(a.number_input, f"run{rid}.seed", int(run.noise_seed), _set(rid, "noise_seed", lambda v: int(v or 0)),
                  label=tr("Seed"), min_value=0, max_value=2**32 - 1, step=1)
            bound(b.number_input, f"run{rid}.bundle", int(run.bundle), _set(rid, "bundle", lambda v: int(v or 1)),
                  label=tr("Seeds drawn"), min_value=1, max_value=MAX_BUNDLE,
                  help=tr("Draw this many seeds as faint paths, with their mean path in bold."))
        choice(st.selectbox, f"run{rid}.clip", CLIPS, run.clip, _set(rid, "clip"), label=tr("Clip the gradient"),
               fmt=lambda k: {"none": tr("no clipping"), "max_norm": tr("by norm (clip_grad_norm_)"),
                              "clip_value": tr("by value (clip_grad_value_)")}[k])
        if run.clip != "none":
            bound(st.number_input, f"run{rid}.clip_value", float(run.clip_value),
                  _set(rid, "clip_value", lambda v: float(1.0 if v is None else v)),
                  label=tr("max_norm") if run.clip == "max_norm" else tr("clip_value"), min_value=1e-12, max_value=1e12,
                  format=NUMBER)


def runs_section(page, check, tr=ENGLISH):
    """All run editors. `check(run dict) → error text or None` is the scenario validator; its
    message is shown inside the run's box. Returns [(run dict or None, colour, error or None)]."""
    out = []
    data = scenario_dict(page, tr)
    for index, (run, settings) in enumerate(zip(page.runs, data["runs"])):
        with st.expander(tr("Run {n}: {label}", n=index + 1, label=md(settings["label"])),
                         expanded=index == 0 and len(page.runs) <= 2):
            run_editor(page, run, page.steps, tr)
            error = check(settings, index)
            if error:
                st.error(md(error))
        out.append((None if error else settings, run.colour, error))
    st.button(tr("＋ Add run"), key="add_run", on_click=act(add_run), disabled=len(page.runs) >= MAX_PAGE_RUNS,
              width="stretch", help=tr("Up to {n} runs on one map.", n=MAX_PAGE_RUNS))
    return out


def limits_section(tr=ENGLISH) -> None:
    """Every bound of this server in one place. The widgets refuse values beyond them (the box
    shows the bound), files and links beyond them are refused with a note, and nothing beyond
    them is computed: one student cannot take the server from the rest of the class."""
    with st.expander(tr("Limits")):
        st.markdown(tr(
            "- steps: at most {steps} per run\n"
            "- runs: at most {page_runs} on the page ({file_runs} in a scenario file or link; more are dropped with a note)\n"
            "- work: at most {work} run-steps in all (steps × runs, each extra noise seed drawn counting as a run)\n"
            "- fate map: at most {cells} × {cells} starts, {map_steps} steps each\n"
            "- sweep: at most {sweep} × {sweep} settings, {map_steps} steps each\n"
            "- GIF / MP4: at most {frames} frames of {w} × {h} pixels\n"
            "- CSV / JSON download: at most {rows} rows (one per run and step)\n"
            "- scenario files: at most {file_kb} kB\n"
            "- a typed formula: at most {formula} characters\n"
            "- a share link's scenario: at most {link} characters\n\n"
            "Anything beyond these is refused with a message, not computed.",
            steps=f"{MAX_STEPS:,}", work=f"{MAX_WORK:,}", rows=f"{MAX_DOWNLOAD_ROWS:,}", page_runs=MAX_PAGE_RUNS, file_runs=MAX_RUNS, cells=MAX_MAP, map_steps=f"{MAX_MAP_STEPS:,}",
            sweep=MAX_SWEEP, frames=MAX_EXPORT_FRAMES, w=SIZE[0], h=SIZE[1], file_kb=f"{MAX_FILE_BYTES // 1000:,}",
            formula=MAX_LENGTH, link=f"{MAX_PARAM_CHARS:,}"))
