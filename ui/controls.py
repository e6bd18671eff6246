"""Sidebar widgets → plain dicts in the scenario format. No computation here.

Each optimizer / schedule parameter gets a widget from its `Param` spec: torch's default, a range
(`min_value`) where the spec has a closed lower bound, and the spec's one-line meaning as help.
Values the engine refuses are explained next to the run (the scenario validator has the last word).
"""
from __future__ import annotations

import streamlit as st

from i18n import ENGLISH
from optimizers import OPTIMIZERS, SCHEDULES, ValidationError
from optimizers.fate import MAX_MAP, MAX_SWEEP
from optimizers.schedules import STEPS
from scenario import MAX_FILE_BYTES, MAX_MAP_STEPS, MAX_RUNS, MAX_STEPS
from surfaces.parse import MAX_LENGTH
from views.export import MAX_EXPORT_FRAMES, SIZE

from .link import MAX_PARAM_CHARS
from .state import MAX_PAGE_RUNS, add_run, duplicate_run, param_key, remove_run

PAGE_SCHEDULES = [n for n in SCHEDULES if n != "SequentialLR"]  # sequences: the warm-up option builds them


def summary(cls) -> str:
    """The first line of an optimizer's or schedule's docstring: what it does, in one sentence."""
    return (cls.__doc__ or "").strip().splitlines()[0]


def _init(key, value):
    if key not in st.session_state:
        st.session_state[key] = value


def param_widget(run_id: int, owner: str, name: str, spec, prefix: str = "p", tr=ENGLISH):
    """Draw one parameter's widget and return its value (None: use the default)."""
    key = param_key(run_id, owner, name, prefix)
    label, help_ = name, tr("{doc}. Allowed: {range}.", doc=tr(spec.doc), range=spec.range_text(tr))
    low = spec.low if spec.low is not None else None
    if spec.kind == "bool":
        _init(key, bool(spec.default))
        return st.checkbox(label, key=key, help=help_)
    if spec.kind == "choice":
        _init(key, spec.default)
        return st.selectbox(label, spec.choices, key=key, help=help_)
    if spec.kind == "pair":
        c1, c2 = st.columns(2)
        _init(key + "-0", float(spec.default[0]))
        _init(key + "-1", float(spec.default[1]))
        a = c1.number_input(f"{label}[0]", key=key + "-0", format="%g", help=help_, min_value=low)
        b = c2.number_input(f"{label}[1]", key=key + "-1", format="%g", help=help_, min_value=low)
        return [a, b]
    if spec.kind == "ints":
        _init(key, ", ".join(str(v) for v in (spec.default or ())))
        text = st.text_input(label, key=key, help=help_ + " " + tr("Comma-separated integers."))
        return _parse_ints(owner, name, text)
    if spec.kind == "int":
        _init(key, spec.default)
        placeholder = tr("default: the run's length") if STEPS in spec.doc else tr("default")
        return st.number_input(label, key=key, step=1, min_value=int(low) if low is not None else None,
                               help=help_, placeholder=placeholder)
    _init(key, spec.default)
    return st.number_input(label, key=key, format="%g", help=help_, min_value=float(low) if low is not None else None,
                           placeholder=tr("default"))


def _parse_ints(owner: str, name: str, text: str):
    """'100, 200' → [100, 200] without eval; anything else → ValidationError (shown by the caller)."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if len(parts) > 100:
        raise ValidationError(f"{owner}.{name}: at most 100 values")
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValidationError(f"{owner}.{name} must be integers separated by commas, got {text[:40]!r}") from None


def run_editor(run_id: int, index: int, steps: int, tr=ENGLISH) -> dict:
    """The widgets of one run; returns its scenario dict (or raises ValidationError for text
    that is not even a number list)."""
    opt = st.selectbox(tr("Optimizer"), list(OPTIMIZERS), key=f"opt-{run_id}",
                       format_func=lambda n: f"{n}  ({tr(OPTIMIZERS[n].source)})")
    cls = OPTIMIZERS[opt]
    st.caption(tr(summary(cls)))
    params = {k: param_widget(run_id, opt, k, p, tr=tr) for k, p in cls.params.items()}
    sched = st.selectbox(tr("Learning-rate schedule"), PAGE_SCHEDULES, key=f"sched-{run_id}",
                         format_func=lambda n: tr("none (constant)") if n == "none" else n,
                         help=tr("torch.optim.lr_scheduler's schedules, plus the lecture's η/√(t+1) and the Transformer's warm-up."))
    sparams = {k: param_widget(run_id, sched, k, p, prefix="s", tr=tr) for k, p in SCHEDULES[sched].params.items()}
    _init(f"warm-{run_id}", 0)
    warm = st.number_input(tr("Warm-up steps (0: none)"), key=f"warm-{run_id}", min_value=0, max_value=max(0, steps - 1), step=10,
                           help=tr("η rises linearly from start factor × η to η over these steps, then the schedule above takes over."))
    if warm:
        _init(f"warmf-{run_id}", 0.01)
        factor = st.number_input(tr("Warm-up start factor"), key=f"warmf-{run_id}", min_value=0.0, max_value=1.0, format="%g")
    noise, clip = gradient_options(run_id, tr)
    c1, c2 = st.columns([3, 1])
    _init(f"label-{run_id}", "")
    label = c1.text_input(tr("Label"), key=f"label-{run_id}", max_chars=80, placeholder=f"{opt}")
    colour = c2.color_picker(tr("Colour"), key=f"color-{run_id}")
    b1, b2 = st.columns(2)
    b1.button(tr("Duplicate"), key=f"dup-{run_id}", on_click=duplicate_run, args=(run_id,),
              disabled=len(st.session_state.run_ids) >= MAX_PAGE_RUNS, width="stretch")
    b2.button(tr("Remove"), key=f"del-{run_id}", on_click=remove_run, args=(run_id,),
              disabled=len(st.session_state.run_ids) <= 1, width="stretch")
    clean = {k: v for k, v in params.items() if v is not None}
    sclean = {k: v for k, v in sparams.items() if v is not None}
    schedule = {"name": sched, "params": sclean}
    if warm:
        rest = steps - int(warm)
        for k, p in SCHEDULES[sched].params.items():  # "defaults to the run's length" means what is left after warm-up
            if STEPS in p.doc and k not in sclean:
                sclean[k] = rest
        schedule = {"name": "SequentialLR", "params": {
            "schedulers": [{"name": "LinearLR", "params": {"start_factor": factor, "end_factor": 1.0, "total_iters": int(warm)}},
                           {"name": "ConstantLR", "params": {"factor": 1.0}} if sched == "none" else {"name": sched, "params": sclean}],
            "milestones": [int(warm)]}}
    elif sched == "none":
        schedule = None
    run = {"optimizer": opt, "params": clean, "label": label or _auto_label(opt, clean, sched, warm, tr)}
    if schedule is not None:
        run["schedule"] = schedule
    if noise is not None:
        run["noise"] = noise
    if clip is not None:
        run["clip"] = clip
    run["colour"] = colour
    return run


CLIPS = ("none", "max_norm", "clip_value")


def gradient_options(run_id: int, tr=ENGLISH):
    """Noise on the gradient (std, seed, how many seeds to draw) and clipping (torch.nn.utils)."""
    for key, value in ((f"nstd-{run_id}", 0.0), (f"nseed-{run_id}", 0), (f"nbundle-{run_id}", 1),
                       (f"clip-{run_id}", "none"), (f"clipv-{run_id}", 1.0)):
        _init(key, value)
    with st.popover(tr("Gradient: noise, clipping"), width="stretch"):
        std = st.number_input(tr("Noise std (0: exact gradient)"), key=f"nstd-{run_id}", min_value=0.0, format="%g",
                              help=tr("Adds N(0, std²) to each coordinate of the gradient at every step, like a minibatch."))
        noise = None
        if std > 0:
            a, b = st.columns(2)
            seed = a.number_input(tr("Seed"), key=f"nseed-{run_id}", min_value=0, max_value=2**32 - 1, step=1)
            bundle = b.number_input(tr("Seeds drawn"), key=f"nbundle-{run_id}", min_value=1, max_value=32,
                                    help=tr("Draw this many seeds as faint paths, with their mean path in bold."))
            noise = {"std": float(std), "seed": int(seed), "bundle": int(bundle)}
        kind = st.selectbox(tr("Clip the gradient"), CLIPS, key=f"clip-{run_id}",
                            format_func=lambda k: {"none": tr("no clipping"), "max_norm": tr("by norm (clip_grad_norm_)"),
                                                   "clip_value": tr("by value (clip_grad_value_)")}[k])
        clip = None
        if kind != "none":
            value = st.number_input(tr("max_norm") if kind == "max_norm" else tr("clip_value"), key=f"clipv-{run_id}",
                                    min_value=1e-12, format="%g")
            clip = {kind: float(value)}
    return noise, clip


def _auto_label(opt: str, params: dict, sched: str, warm: int, tr=ENGLISH) -> str:
    text = f"{opt}, η = {params.get('lr', OPTIMIZERS[opt].params['lr'].default):g}"
    if sched != "none":
        text += f" + {sched}"
    if warm:
        text += " " + tr("(warm-up {n})", n=warm)
    return text


def runs_section(steps: int, check, tr=ENGLISH):
    """All run editors. `check(run) → error text or None` is the scenario validator; its message
    is shown inside the run's box. Returns [(run dict or None, colour, error or None)]."""
    out = []
    ids = list(st.session_state.run_ids)
    for index, run_id in enumerate(ids):
        label = st.session_state.get(f"label-{run_id}") or st.session_state.get(f"opt-{run_id}", "")
        with st.expander(tr("Run {n}: {label}", n=index + 1, label=label), expanded=index == 0 and len(ids) <= 2):
            try:
                run = run_editor(run_id, index, steps, tr)
                colour = run.pop("colour")
                error = check(run, index)
            except ValidationError as e:
                run, colour, error = None, None, str(e)
            if error:
                st.error(error)
            out.append((None if error else run, colour, error))
    st.button(tr("＋ Add run"), on_click=add_run, disabled=len(ids) >= MAX_PAGE_RUNS, width="stretch",
              help=tr("Up to {n} runs on one map.", n=MAX_PAGE_RUNS))
    return out


def limits_section(tr=ENGLISH) -> None:
    """Every bound of this server in one place. The widgets refuse values beyond them (the box
    shows the bound), files and links beyond them are refused with a note, and nothing beyond
    them is computed: one student cannot take the server from the rest of the class."""
    with st.expander(tr("Limits")):
        st.markdown(tr(
            "- steps: at most {steps} per run\n"
            "- runs: at most {page_runs} on the page ({file_runs} in a scenario file or link; more are dropped with a note)\n"
            "- fate map: at most {cells} × {cells} starts, {map_steps} steps each\n"
            "- sweep: at most {sweep} × {sweep} settings, {map_steps} steps each\n"
            "- GIF / MP4: at most {frames} frames of {w} × {h} pixels\n"
            "- scenario files: at most {file_kb} kB\n"
            "- a typed formula: at most {formula} characters\n"
            "- a share link's scenario: at most {link} characters\n\n"
            "Anything beyond these is refused with a message, not computed.",
            steps=f"{MAX_STEPS:,}", page_runs=MAX_PAGE_RUNS, file_runs=MAX_RUNS, cells=MAX_MAP, map_steps=f"{MAX_MAP_STEPS:,}",
            sweep=MAX_SWEEP, frames=MAX_EXPORT_FRAMES, w=SIZE[0], h=SIZE[1], file_kb=f"{MAX_FILE_BYTES // 1000:,}",
            formula=MAX_LENGTH, link=f"{MAX_PARAM_CHARS:,}"))
