"""The page's two languages: English (the source text) and Traditional Chinese (the lecture's).

gettext-style: the English text itself is the key. `translator("zh-TW")` returns a `Translator`
that looks a text up in `zh-TW.json` and fills its {placeholders}; English returns the text as
is. tests/test_i18n.py collects every text the page can show (the `tr("…")` calls in app.py,
ui/ and views/, plus the core's parameter, optimizer, surface and tour texts) and checks that
the table has each one, in Chinese, with the same placeholders, and nothing stale.

Terms follow the lecture: 學習率 (learning rate), 梯度 (gradient), 動量 (momentum),
誤差表面 (error surface), 臨界點 (critical point), 鞍點 (saddle point).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from optimizers.params import said  # a value that is a Phrase or an error is said in the same language

LANGUAGES = {"en": "English", "zh-TW": "繁體中文"}
DEFAULT_LANGUAGE = "en"
_HERE = Path(__file__).resolve().parent


def load_table(lang: str) -> dict[str, str]:
    if lang == DEFAULT_LANGUAGE:
        return {}
    return json.loads((_HERE / f"{lang}.json").read_text(encoding="utf-8"))


_TABLES = {lang: load_table(lang) for lang in LANGUAGES}


@dataclass(frozen=True)
class Translator:
    """Callable tr(text, **values). Hashable (by language), so figure caches can key on it."""
    lang: str = DEFAULT_LANGUAGE
    table: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __call__(self, text: str, **values) -> str:
        out = self.table.get(text, text)
        return out.format(**{k: said(v, self) for k, v in values.items()}) if values else out

    def plural(self, count: int, one: str, many: str, /, **values) -> str:
        """`one` when count is 1, else `many` (English needs both; Chinese says them alike)."""
        return self(one if count == 1 else many, **values)


def translator(lang: str) -> Translator:
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return Translator(lang, _TABLES[lang])


ENGLISH = translator(DEFAULT_LANGUAGE)
