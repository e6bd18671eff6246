"""English and 繁體中文: the string table is complete and sound, and the page switches language."""
import json
import re
import string
from pathlib import Path

import pytest

from i18n import LANGUAGES, load_table, translator
from scripts.catalog import all_texts, core_texts, source_texts

CJK = re.compile(r"[\u3400-\u9fff]")
# Texts that are only names and formulas may stay as they are (the lecture writes Adam, loss …).
NAMES_ONLY = re.compile(r"^(Adam|RMSprop|RMS|SGD|loss|torch\.optim)([ ,η=0-9.e\-/√()+t]*)$")
TABLES = {lang: load_table(lang) for lang in LANGUAGES if lang != "en"}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_catalog_finds_the_page_texts_and_the_core_texts():
    src, core = source_texts(), core_texts()
    assert "▶ Play" in src and "Presentation mode" in src and "{doc}. Allowed: {range}." in src
    assert "learning rate γ" in core and "The burst" in core and "Rosenbrock" in core
    assert len(all_texts()) > 250


@pytest.mark.parametrize("lang", list(TABLES))
def test_every_text_is_translated_and_nothing_is_stale(lang):
    table, texts = TABLES[lang], all_texts()
    assert sorted(texts - table.keys()) == [], "missing translations (python -m scripts.catalog lists them)"
    assert sorted(table.keys() - texts) == [], "stale entries"


@pytest.mark.parametrize("lang", list(TABLES))
def test_translations_are_chinese_with_the_same_placeholders(lang):
    for english, text in TABLES[lang].items():
        assert text.strip(), english
        assert fields(text) == fields(english), english
        wordless = not re.search(r"[A-Za-z]", re.sub(r"\{\w+\}", "", english))  # e.g. "{field}: {error}"
        assert CJK.search(text) or NAMES_ONLY.match(english) or wordless, f"not translated: {english!r} → {text!r}"
        values = {name: "1" for name in fields(english)}
        assert translator(lang)(english, **values)  # formats without error


def test_lecture_terms_are_used():
    zh = TABLES["zh-TW"]
    assert "學習率" in zh["Learning-rate schedule"] and "梯度" in zh["gradient norm ‖g_t‖ (log)"]
    assert "動量" in zh["momentum factor μ"] and "臨界點" in zh["Stuck, but not at a critical point"]


def test_english_is_the_source_and_unknown_languages_fall_back():
    assert translator("en")("step {step} of {total}", step=3, total=9) == "step 3 of 9"
    assert translator("xx").lang == "en"
    assert translator("zh-TW")("step {step} of {total}", step=3, total=9) == "第 3 步，共 9 步"


def test_plurals_pick_the_form_and_both_forms_are_in_the_catalog():
    en, zh = translator("en"), translator("zh-TW")
    one, many = "This run stopped after 1 update.", "This run stopped after {n} updates."
    assert en.plural(1, one, many) == one and en.plural(3, one, many, n="3") == "This run stopped after 3 updates."
    assert zh.plural(1, one, many) == "這個執行在 1 次更新後停止。"
    assert {one, many} <= source_texts()  # tr.plural(count, one, many): both literals are collected


def test_the_table_file_is_valid_sorted_json():
    path = Path(__file__).resolve().parents[1] / "i18n" / "zh-TW.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert list(data) == sorted(data)


# ---------------------------------------------------------------- the page
st = pytest.importorskip("streamlit")

from tests.apptest import app_test, map_spec, player, widget  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# Widget labels that are torch's own parameter names or symbols stay as they are in both languages.
KEEP = re.compile(r"^[A-Za-z_0-9\[\]]+$|^Language · 語言$")


def page_texts(at):
    labels = [w.label for kind in ("button", "selectbox", "number_input", "toggle", "text_input", "slider", "checkbox")
              for w in at.get(kind) if getattr(w, "label", None)]
    texts = [e.value for kind in ("title", "subheader", "caption", "info", "markdown") for e in at.get(kind)
             if isinstance(getattr(e, "value", None), str) and e.value.strip()]
    return labels, texts


def test_switching_to_chinese_translates_every_label_and_text_on_the_page():
    st.cache_resource.clear()
    at = app_test().run()
    english_labels, english_texts = page_texts(at)
    widget(at, "selectbox", "lang").set_value("zh-TW").run()
    assert not at.exception
    labels, texts = page_texts(at)
    assert "梯度下降實驗室" in at.title[0].value
    assert "暴衝" in at.info[0].value
    untranslated = [x for x in labels if not CJK.search(x) and not KEEP.match(x)]
    assert untranslated == []
    assert [t for t in texts if not CJK.search(t) and t.strip("$") == t] == []
    assert labels != english_labels and texts != english_texts
    # the tour scene's run label follows the language; the figure's buttons are translated too
    texts = player(at)["texts"]
    assert (texts["play"]["symbol"], texts["pause"]["symbol"]) == ("▶ 播放", "❚❚ 暫停")
    assert all(CJK.search(t["name"]) for t in texts.values() if isinstance(t, dict))
    spec = map_spec(at)
    assert any(t.get("name") == "課程的 RMS，η = 1" for t in spec["data"])
    # and back
    widget(at, "selectbox", "lang").set_value("en").run()
    assert at.title[0].value == "Descent Lab"
    assert page_texts(at)[0] == english_labels
