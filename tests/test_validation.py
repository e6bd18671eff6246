"""Validation: bad settings raise one ValidationError naming the field; random scenarios never
raise anything else (hypothesis)."""
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.scenario import MAX_RUNS, MAX_STEPS, parse_scenario, run_scenario
from optimizers import OPTIMIZERS, SCHEDULES, ValidationError
from surfaces import SURFACES


@pytest.mark.parametrize("opt,params,needle", [
    ("SGD", {"lr": -0.1}, "SGD.lr must be a number in [0, inf)"),
    ("Adam", {"betas": [0.9, 1.0]}, "Adam.betas must be two numbers, each in [0, 1)"),
    ("Adam", {"betas": [-0.1, 0.9]}, "Adam.betas"),
    ("Adam", {"eps": 0}, "Adam.eps must be a number in (0, inf)"),
    ("RMSprop", {"eps": -1e-8}, "RMSprop.eps"),
    ("Adagrad", {"lr": "fast"}, "Adagrad.lr"),
    ("SGD", {"lr": float("nan")}, "SGD.lr must be a finite number"),
    ("SGD", {"nesterov": True}, "SGD.nesterov needs momentum > 0"),
    ("SGD", {"momentum": 0.9, "nesterov": "yes"}, "SGD.nesterov must be true or false"),
    ("Rprop", {"etas": [1.5, 1.2]}, "Rprop.etas must satisfy 0 < etas[0] < 1 < etas[1]"),
    ("Adam", {"beta1": 0.9}, "Adam has no parameter 'beta1'; allowed: lr, betas, eps"),
    ("Adadelta", {"rho": 1.5}, "Adadelta.rho must be a number in [0, 1]"),
])
def test_invalid_optimizer_parameters_name_the_parameter_and_range(opt, params, needle):
    with pytest.raises(ValidationError) as e:
        OPTIMIZERS[opt].validate(params)
    assert needle in str(e.value)
    assert "\n" not in str(e.value)


def test_defaults_follow_torch():
    d = {n: {k: p.default for k, p in o.params.items()} for n, o in OPTIMIZERS.items()}
    assert d["SGD"]["lr"] == 1e-3 and d["Adam"]["betas"] == (0.9, 0.999) and d["Adam"]["eps"] == 1e-8
    assert d["AdamW"]["weight_decay"] == 1e-2 and d["Adagrad"]["eps"] == 1e-10 and d["RMSprop"]["alpha"] == 0.99
    assert d["NAdam"]["lr"] == 2e-3 and d["NAdam"]["momentum_decay"] == 4e-3 and d["Adamax"]["lr"] == 2e-3
    assert d["Adadelta"] == {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}
    assert d["Rprop"] == {"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)}
    assert d["Lion"]["weight_decay"] == 1e-3  # optax's default


def test_every_optimizer_and_schedule_documents_formula_and_reference():
    for cls in list(OPTIMIZERS.values()) + list(SCHEDULES.values()):
        assert cls.__doc__ and cls.formula, cls.name
        for name, p in cls.params.items():
            assert p.doc, (cls.name, name)
    for cls in OPTIMIZERS.values():
        assert "Reference" in cls.__doc__, cls.name


def base_scenario(**kw):
    d = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 50, "runs": [{"optimizer": "Adam", "params": {"lr": 0.05}}]}
    d.update(kw)
    return d


@pytest.mark.parametrize("mutation,needle", [
    ({"surface": "banana"}, "unknown surface 'banana'; choose one of: lecture_regression"),
    ({"steps": MAX_STEPS + 1}, "steps must be an integer from 1 to 100,000"),
    ({"steps": 2.5}, "steps must be an integer"),
    ({"start": [1, "a"]}, "start must be a list of two numbers"),
    ({"start": [1, float("inf")]}, "start must be finite"),
    ({"runs": []}, "runs must be a non-empty list"),
    ({"runs": [{"optimizer": "SGD"}] * (MAX_RUNS + 1)}, "at most 16 runs"),
    ({"runs": [{"optimizer": "Adamm"}]}, "runs[0]: unknown optimizer 'Adamm'; choose one of: SGD, Adagrad"),
    ({"runs": [{"optimizer": "SGD", "schedule": {"name": "Cosine"}}]}, "unknown schedule 'Cosine'; choose one of"),
    ({"runs": [{"optimizer": "SGD", "schedule": {"name": "StepLR", "params": {"step_size": 0}}}]}, "StepLR.step_size"),
    ({"runs": [{"optimizer": "Adagrad", "schedule": {"name": "OneCycleLR"}}]}, "set cycle_momentum to false"),
    ({"runs": [{"optimizer": "SGD", "schedule": {"name": "OneCycleLR", "params": {"total_steps": 10}}}]}, "OneCycleLR.total_steps must be at least"),
    ({"runs": [{"optimizer": "SGD", "schedule": {"name": "SequentialLR", "params": {"schedulers": ["LinearLR"], "milestones": [5]}}}]}, "one milestone fewer"),
    ({"runs": [{"optimizer": "SGD", "schedule": {"name": "SequentialLR", "params": {"schedulers": ["ReduceLROnPlateau", "StepLR"], "milestones": [5]}}}]}, "SequentialLR cannot contain ReduceLROnPlateau"),
    ({"runs": [{"optimizer": "SGD", "colour": "red"}]}, "runs[0] has unknown key 'colour'; allowed: optimizer, params"),
    ({"extra": 1}, "unknown scenario key 'extra'"),
    ({"version": 99}, "unsupported scenario version"),
])
def test_invalid_scenarios(mutation, needle):
    with pytest.raises(ValidationError) as e:
        parse_scenario(base_scenario(**mutation))
    assert needle in str(e.value)


def test_scenario_round_trips_through_json():
    d = json.load(open("scenarios/adam_cosine_rosenbrock.json"))
    s = parse_scenario(d)
    again = parse_scenario(json.loads(json.dumps(s.to_dict())))
    assert again == s


# --- property tests ---------------------------------------------------------------------

def _value_for(p):
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    lo = p.low if p.low is not None else -10.0
    hi = min(p.high if p.high is not None else lo + 10.0, lo + 10.0)
    num = st.floats(lo, hi, exclude_min=p.low_open, exclude_max=p.high_open, allow_nan=False)
    if p.kind == "int":
        return st.integers(int(math.ceil(lo + (1 if p.low_open else 0))), int(lo) + 200)
    if p.kind == "pair":
        return st.tuples(num, num).map(list)
    if p.kind == "ints":
        return st.lists(st.integers(0, 300), max_size=4).map(sorted)
    return num


@st.composite
def valid_runs(draw):
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    cls = OPTIMIZERS[name]
    keys = draw(st.lists(st.sampled_from(sorted(cls.params)), unique=True, max_size=3))
    params = {k: draw(_value_for(cls.params[k])) for k in keys}
    sched = draw(st.sampled_from(["none", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "InverseSqrtLR", "NoamLR", "ReduceLROnPlateau", "CyclicLR"]))
    run = {"optimizer": name, "params": params}
    if sched != "none":
        sp = {}
        if sched in ("CyclicLR",) and cls.cycles is None:
            sp["cycle_momentum"] = False
        run["schedule"] = {"name": sched, "params": sp}
    return run


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surface=st.sampled_from(sorted(SURFACES)), runs=st.lists(valid_runs(), min_size=1, max_size=4), steps=st.integers(1, 60))
def test_random_valid_scenarios_never_raise(surface, runs, steps):
    data = {"surface": surface, "steps": steps, "runs": runs}
    try:
        scenario = parse_scenario(data)
    except ValidationError:
        return  # e.g. a cross-parameter rule such as nesterov without momentum: refused cleanly
    results = run_scenario(scenario)
    assert len(results) == len(runs)
    for r in results:
        assert np.isfinite(r.points).all()
        assert len(r.points) == (steps + 1 if r.diverged_at is None else r.diverged_at)
        assert (r.diverged_at is None) == (r.reason is None)


junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(junk, st.fixed_dictionaries({"surface": st.sampled_from(sorted(SURFACES)), "runs": junk}),
                      st.fixed_dictionaries({"surface": st.just("booth"), "runs": st.lists(st.fixed_dictionaries(
                          {"optimizer": st.sampled_from(sorted(OPTIMIZERS)), "params": st.dictionaries(st.sampled_from(["lr", "betas", "eps", "momentum", "alpha", "etas", "nesterov"]), junk, max_size=3),
                           "schedule": junk}), min_size=1, max_size=3)})))
def test_random_invalid_scenarios_raise_only_validation_error(data):
    try:
        parse_scenario(data)
    except ValidationError as e:
        assert "\n" not in str(e) and len(str(e)) < 400
