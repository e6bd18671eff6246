"""The validator's refusals are said in the page's language: each is an English template with its
values (optimizers/params.py Phrase), in the catalog, and a Chinese page shows no English sentence
in a note, a run box or an upload message."""
import ast
import json
import re

import pytest

from experiments.scenario import parse_scenario, read_scenario_json, salvage_scenario
from experiments.tour import BY_KEY
from i18n import translator
from optimizers import Phrase, ValidationError
from scripts.catalog import ROOT, _files
from tests.hostile_links import corpus
from ui.link import read_link

ZH, EN = translator("zh-TW"), translator("en")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]+(?: [A-Za-z]+){3,}\b")  # four English words or more in a row


def english_sentences(text: str) -> list[str]:
    return ENGLISH_SENTENCE.findall(text)


def test_the_sentence_finder_finds_english_and_passes_names_and_chinese():
    assert english_sentences("runs[0]: Adam.lr must be a number in [0, inf), got -1.0") == ["lr must be a number in"]
    assert not english_sentences("runs[0]：不明的最佳化器 'Adom'；請從下列選擇：SGD, Adam, AdamW, RMSprop")


def test_every_refusal_has_a_literal_template_so_the_catalog_has_it():
    """A refusal built with an f-string or a variable would never reach the translation table."""
    for path in _files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("ValidationError", "Phrase"):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Name) and first.id == "template":
                    continue  # the class itself passing its template on
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                    f"{path.relative_to(ROOT)}:{node.lineno}: a refusal's template must be a literal text"


def test_a_refusal_is_english_by_str_and_chinese_in_language():
    with pytest.raises(ValidationError) as caught:
        parse_scenario({"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"lr": -1}}]})
    e = caught.value
    assert str(e) == e.in_language() == e.in_language(EN)
    assert str(e) == "runs[0]: Adam.lr must be a number in [0, inf), got -1.0"
    assert e.in_language(ZH) == "runs[0]：Adam.lr 必須是[0, inf) 之間的數字，收到 -1.0"


def test_nested_phrases_are_said_in_the_same_language():
    inner = ValidationError("{field} must be {kind} from {low} to {high}, got {value}", field="x",
                            kind=Phrase("an integer"), low="1", high="9", value="0")
    outer = ValidationError("{field}: {error}", field="runs[2]", error=inner)
    assert str(outer) == "runs[2]: x must be an integer from 1 to 9, got 0"
    assert outer.in_language(ZH) == "runs[2]：x 必須是 1 到 9 的整數，收到 0"


def test_a_refusal_survives_pickling_with_its_template():
    import pickle
    e = ValidationError("{field} must be an integer, got {value}", field="steps", value="1.5")
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e) and back.in_language(ZH) == e.in_language(ZH) != str(e)


BAD = {  # one scenario per kind of refusal the validator gives, each checked in both languages
    "not an object": [],
    "unknown key": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam"}], "colour": 1},
    "version": {"version": 9, "surface": "rosenbrock", "runs": [{"optimizer": "Adam"}]},
    "surface": {"surface": "rosenbrok", "runs": [{"optimizer": "Adam"}]},
    "surface key": {"surface": {"formula": "x^2", "colour": 1}, "runs": [{"optimizer": "Adam"}]},
    "formula text": {"surface": {"formula": 3}, "runs": [{"optimizer": "Adam"}]},
    "formula refused": {"surface": {"formula": "x^^2"}, "runs": [{"optimizer": "Adam"}]},
    "domain": {"surface": {"formula": "x^2", "domain": [[1, 0], [0, 1]]}, "runs": [{"optimizer": "Adam"}]},
    "start": {"surface": "rosenbrock", "start": [1], "runs": [{"optimizer": "Adam"}]},
    "start range": {"surface": "rosenbrock", "start": [1, 1e9], "runs": [{"optimizer": "Adam"}]},
    "steps": {"surface": "rosenbrock", "steps": 0, "runs": [{"optimizer": "Adam"}]},
    "no runs": {"surface": "rosenbrock", "runs": []},
    "too many runs": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam"}] * 17},
    "run not an object": {"surface": "rosenbrock", "runs": [3]},
    "run key": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "colour": 1}]},
    "optimizer": {"surface": "rosenbrock", "runs": [{"optimizer": "Adom"}]},
    "parameter name": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"lrr": 1}}]},
    "parameters": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": 3}]},
    "range": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"lr": -1}}]},
    "not finite": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"lr": 10**400}}]},
    "flag": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"amsgrad": 1}}]},
    "pair": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "params": {"betas": None, "eps": "x"}}]},
    "integer": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "StepLR", "params": {"step_size": 1.5}}}]},
    "choice": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "ReduceLROnPlateau", "params": {"mode": "up"}}}]},
    "nesterov": {"surface": "rosenbrock", "runs": [{"optimizer": "SGD", "params": {"lr": 0.1, "nesterov": True}}]},
    "etas": {"surface": "rosenbrock", "runs": [{"optimizer": "Rprop", "params": {"etas": [2, 3]}}]},
    "step sizes": {"surface": "rosenbrock", "runs": [{"optimizer": "Rprop", "params": {"step_sizes": [1, 0.1]}}]},
    "schedule": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "CosineLR"}}]},
    "schedule key": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "StepLR", "x": 1}}]},
    "schedule type": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": 3}]},
    "schedule params": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "StepLR", "params": 3}}]},
    "one cycle": {"surface": "rosenbrock", "steps": 100, "runs": [{"optimizer": "SGD", "params": {"lr": 0.1, "momentum": 0.9},
                                                                  "schedule": {"name": "OneCycleLR", "params": {"max_lr": 0.1, "total_steps": 10}}}]},
    "cycle momentum": {"surface": "rosenbrock", "runs": [{"optimizer": "Adagrad", "schedule": {"name": "CyclicLR", "params": {"base_lr": 0.01, "max_lr": 0.1}}}]},
    "sequential member": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "SequentialLR", "params": {
        "schedulers": ["OneCycleLR", "StepLR"], "milestones": [5]}}}]},
    "sequential milestones": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "SequentialLR", "params": {
        "schedulers": [{"name": "LinearLR"}, {"name": "StepLR", "params": {"step_size": 5}}], "milestones": []}}}]},
    "sequential empty": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "schedule": {"name": "SequentialLR", "params": {"schedulers": []}}}]},
    "warm-up with sequence": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "warmup": {"steps": 5}, "schedule": {
        "name": "SequentialLR", "params": {"schedulers": [{"name": "LinearLR"}, {"name": "StepLR", "params": {"step_size": 5}}],
                                           "milestones": [5]}}}]},
    "label": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "label": 3}]},
    "clip": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam", "clip": {"max_norm": 1, "clip_value": 1}}]},
    "map": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam"}], "map": {"run": 4}},
    "sweep param": {"surface": "rosenbrock", "runs": [{"optimizer": "Adam"}], "sweep": {"param": "momentum"}},
    "sweep axis": {"surface": "rosenbrock", "runs": [{"optimizer": "SGD"}], "sweep": {"lr": [1, 0.1, 3]}},
    "sweep values": {"surface": "rosenbrock", "runs": [{"optimizer": "SGD"}], "sweep": {"param": "momentum", "values": [-1, 0.5, 3]}},
}


@pytest.mark.parametrize("name", list(BAD))
def test_each_refusal_is_said_in_chinese_without_an_english_sentence(name):
    with pytest.raises(ValidationError) as caught:
        parse_scenario(BAD[name])
    e = caught.value
    zh = e.in_language(ZH)
    assert re.search(r"[\u3400-\u9fff]", zh) and not english_sentences(zh), (str(e), zh)
    assert e.in_language(EN) == str(e)


def test_a_missing_required_parameter_is_said_in_chinese():
    from optimizers.params import Param, check_params
    with pytest.raises(ValidationError) as caught:
        check_params("X", {"milestones": Param(None, "", kind="ints", low=1, required=True)}, {})
    assert caught.value.in_language(ZH) == "X.milestones 為必填（[1, inf) 之間的整數清單）"


FILES = {"not UTF-8": b"\xff\xfe{", "not JSON": b'{"surface": ', "duplicate key": b'{"steps": 1, "steps": 2}',
         "too deep": b"[" * 200 + b"]" * 200, "too large": b" " * 2_000_000}


@pytest.mark.parametrize("name", list(FILES))
def test_a_refused_file_is_said_in_chinese(name):
    with pytest.raises(ValidationError) as caught:
        read_scenario_json(FILES[name], "“my.json”")
    zh = caught.value.in_language(ZH)
    assert "“my.json”" in zh and re.search(r"[\u3400-\u9fff]", zh) and not english_sentences(zh), (str(caught.value), zh)


CORPUS = corpus()


def test_every_note_a_hostile_link_gives_is_said_in_chinese():
    """Notes carry the refusal itself as a value, so the page says it in its own language."""
    said = 0
    for name, params, _ in CORPUS:
        for text, values in read_link(params, BY_KEY).notes:
            zh = ZH(text, **values)
            # user values echoed in a note (labels, unknown names) are theirs: only the app's words count
            mine = zh
            for v in values.values():
                if isinstance(v, str):
                    mine = mine.replace(v, "")
            assert not english_sentences(mine), (name, EN(text, **values), zh)
            said += 1
    assert said >= len(CORPUS) // 2


def test_salvage_notes_keep_the_refusal_not_its_english_text():
    data = json.loads(json.dumps(BAD["optimizer"]))
    data["runs"].append({"optimizer": "Adam"})
    kept, notes = salvage_scenario(data)
    assert kept and len(kept["runs"]) == 1
    (text, values), = notes
    assert isinstance(values["error"], ValidationError)
    assert ZH(text, **values) == "已忽略執行 1：runs[0]：不明的最佳化器 'Adom'；請從下列選擇：" + ", ".join(
        __import__("optimizers").OPTIMIZERS)


# ---------------------------------------------------------------- the page
st = pytest.importorskip("streamlit")
from tests.apptest import fresh, plain, widget  # noqa: E402
from ui.link import encode_scenario  # noqa: E402


def test_the_chinese_page_says_a_link_refusal_in_chinese():
    data = dict(BAD["optimizer"], runs=[{"optimizer": "Adom"}, {"optimizer": "Adam", "params": {"lr": 0.05}}])
    at = fresh({"v": "1", "s": encode_scenario(data), "lang": "zh-TW"})
    assert not at.exception
    notes = " ".join(plain(w.value) for w in at.warning)
    assert "不明的最佳化器 'Adom'" in notes and not english_sentences(notes), notes


def test_the_chinese_page_says_a_run_box_refusal_in_chinese():
    at = fresh({"lang": "zh-TW"})
    run = at.session_state["page"].runs[0].id
    widget(at, "selectbox", f"run{run}.optimizer").select("SGD").run()
    widget(at, "number_input", f"run{run}.p.SGD.momentum").set_value(0.0).run()
    widget(at, "checkbox", f"run{run}.p.SGD.nesterov").set_value(True).run()
    assert not at.exception
    errors = " ".join(plain(e.value) for e in at.error)
    assert "SGD.nesterov 需要 momentum > 0 且 dampening = 0" in errors and not english_sentences(errors), errors
