"""Every English text the page can show: the keys the translation tables must have.

    python -m scripts.catalog           lists the texts missing from zh-TW.json (and stale ones)

Collected from (1) the source: calls tr("…"), tr.plural(n, "…", "…"), note("…"), Phrase("…") and ValidationError("…") with a literal
text in app.py, ui/, views/, optimizers/ and experiments/; (2) the core's own texts: parameter meanings, optimizer
summaries and sources, why a rule has no stability threshold, surface names and descriptions,
critical-point kinds, the kinds of point a run ends at, why a run stopped,
why a typed formula was refused, the formula examples,
and the tour's titles, explanations and run labels.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["app.py", "ui", "views", "optimizers", "experiments"]
CALLS = {"tr", "note", "Phrase", "ValidationError"}  # the validator's refusals are said in the page's language too


def _files():
    for name in SOURCES:
        path = ROOT / name
        yield from (sorted(path.rglob("*.py")) if path.is_dir() else [path])


def source_texts() -> set[str]:
    found = set()
    for f in _files():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
            texts = node.args[1:3] if name == "plural" else node.args[:1]  # tr.plural(n, one, many)
            if name in CALLS or name == "plural":
                found |= {a.value for a in texts if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def core_texts() -> set[str]:
    from experiments.stability import POINT_KINDS
    from experiments.tour import PRESETS
    from optimizers import OPTIMIZERS, SCHEDULES
    from optimizers.engine import REASONS
    from surfaces import SURFACES, formula_surface
    from surfaces.custom import EXAMPLES
    from surfaces.parse import MESSAGES, WORDS
    from ui.controls import summary
    from views.stepfig import CAUSES, STABILITY_TEXTS
    from views.toolbar import TEXTS as TOOLBAR

    found = set(REASONS.values()) | set(CAUSES.values()) | set(STABILITY_TEXTS.values()) | set(MESSAGES.values()) | set(EXAMPLES) | set(WORDS) | set(TOOLBAR)
    typed = formula_surface("x^2")
    found |= {typed.title, typed.reference}
    for registry in (OPTIMIZERS, SCHEDULES):
        for cls in registry.values():
            found |= {p.doc for p in cls.params.values()}
    found |= set(POINT_KINDS)
    for cls in OPTIMIZERS.values():
        found |= {summary(cls), cls.source} | ({cls.no_threshold} - {""})
    for s in SURFACES.values():
        found |= {s.title, s.description} | {p.kind for p in s.critical_points} | ({s.reference} - {""})
    for p in PRESETS:
        found |= {p.name, p.text} | {r["label"] for r in p.scenario["runs"] if r.get("label")}
    return found


def all_texts() -> set[str]:
    return source_texts() | core_texts()


def main() -> int:
    from i18n import LANGUAGES, load_table
    texts = all_texts()
    status = 0
    for lang in LANGUAGES:
        if lang == "en":
            continue
        table = load_table(lang)
        missing, stale = sorted(texts - table.keys()), sorted(table.keys() - texts)
        print(f"{lang}: {len(texts)} texts, {len(missing)} missing, {len(stale)} stale")
        for t in missing:
            print("  missing:", repr(t))
        for t in stale:
            print("  stale:", repr(t))
        status |= bool(missing or stale)
    return status


if __name__ == "__main__":
    sys.exit(main())
