"""The house's layout, read from the import statements (ast, not by grepping names).

Layers, each importing only from the layers before it:
    core        surfaces/, optimizers/      (NumPy and numba; the two do not import each other)
    words       i18n/                       (the translator; Phrase comes from the core)
    experiments experiments/                (scenario, analysis, records, tour)
    views       views/                      (plain functions returning plotly figures)
    screens     ui/, then app.py and cli.py
Beside them, for developers only: harness/ (servers, Chromium, the websocket client, the monkey),
tests/, bench/ and scripts/. Nothing in the layers imports those, and tests/ and bench/ do not
import each other.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [{"surfaces", "optimizers"}, {"i18n"}, {"experiments"}, {"views"}, {"ui"}, {"app", "cli"}]
DEVELOPER = {"harness", "tests", "bench", "scripts"}
TOPS = set().union(*LAYERS) | DEVELOPER


def _unit(f: Path) -> str:
    """The top-level package (or module) a file belongs to."""
    rel = f.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _files():
    for f in ROOT.rglob("*.py"):
        if not ({".git", "golden"} & set(f.parts)) and _unit(f) in TOPS:
            yield f


def _imports(f: Path) -> set[str]:
    """Absolute module names a file imports (anywhere in it, also inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def graph() -> dict[str, set[str]]:
    """Top-level unit → the other top-level units it imports."""
    out: dict[str, set[str]] = {}
    for f in _files():
        unit = _unit(f)
        out.setdefault(unit, set()).update(m.split(".")[0] for m in _imports(f) if m.split(".")[0] in TOPS - {unit})
    return out


def layer(unit: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if unit in names)


def test_every_import_runs_down_the_layers():
    back = [(a, b) for a, targets in graph().items() if a not in DEVELOPER for b in targets
            if b in DEVELOPER or layer(b) > layer(a) or (layer(b) == layer(a) and a != b)]
    assert back == []


def test_the_import_graph_has_no_cycle():
    g = graph()
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(g.get(node, ())):
            assert state.get(nxt) != 1, "cycle: " + " → ".join(path + [nxt])
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2
    for node in sorted(g):
        if node not in state:
            visit(node, [node])


def test_tests_and_benchmarks_do_not_import_each_other():
    g = graph()
    assert "bench" not in g.get("tests", set()) and "tests" not in g.get("bench", set())


def test_the_core_knows_no_screen():
    third_party = {"streamlit", "plotly", "pandas", "PIL"}
    for f in _files():
        if _unit(f) in ("surfaces", "optimizers"):
            assert not {m.split(".")[0] for m in _imports(f)} & third_party, f


def test_no_eval_or_exec_anywhere():
    """Not as a name, an attribute (builtins.eval) or a string given to getattr."""
    banned = {"eval", "exec", "compile", "__import__"}
    for f in ROOT.rglob("*.py"):
        if ".git" in f.parts:
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
            assert name not in {"eval", "exec"}, f"{f}:{node.lineno}"
            if name == "getattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                assert node.args[1].value not in banned, f"{f}:{node.lineno}"


def _module_imports(f: Path) -> set[str]:
    """Modules a file imports, relative imports resolved against its package."""
    package = ".".join(f.relative_to(ROOT).parent.parts)
    names = set()
    for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package if node.level else ""
            module = ".".join(p for p in (base, node.module) if p)
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}  # `from . import compiled`
    return names


def test_a_surface_module_does_not_import_what_is_built_on_it():
    """surfaces/compiled.py compiles the formulas of standard.py and lecture.py, which build on
    base.py: none of those three imports it (the package's __init__ joins them)."""
    for name in ("base", "standard", "lecture"):
        assert "surfaces.compiled" not in _module_imports(ROOT / "surfaces" / f"{name}.py"), name
