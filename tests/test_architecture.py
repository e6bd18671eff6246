"""The NumPy core knows no screen, and surfaces and optimizers do not import each other."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package):
    names = set()
    for f in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_ui_and_not_each_other():
    assert not imported_modules("surfaces") & {"streamlit", "plotly", "optimizers"}
    assert not imported_modules("optimizers") & {"streamlit", "plotly", "surfaces"}


def test_no_eval_or_exec_anywhere():
    for f in ROOT.rglob("*.py"):
        if ".git" in f.parts:
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec"}, f
