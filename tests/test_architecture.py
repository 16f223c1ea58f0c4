"""The package's architecture is a checked contract: layers whose imports run one way
(pyproject.toml, [tool.importlinter]), modules small enough to read in one sitting, functions
short enough to follow."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "simulator"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# a longer function says why in its docstring, with this phrase
LONG_REASON = "Long because"


def test_import_layers_contract_holds():
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_no_module_is_too_long_to_read():
    long = {str(p.relative_to(ROOT)): n for p in _modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_no_function_is_too_long_without_a_reason():
    long = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                if n > MAX_FUNCTION_LINES and LONG_REASON not in doc:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, long


FIGURE_KIT = {"style", "axes", "glyphs", "saving", "load", "parallel", "__init__"}


def test_figure_modules_never_import_each_other():
    """They share the kit (style, axes) and data preparation (data*), not each other's code."""
    figures = PACKAGE / "present" / "figures"
    plots = {p.stem for p in figures.glob("*.py")} - FIGURE_KIT - {
        p.stem for p in figures.glob("data*.py")}
    offenders = []
    for path in figures.glob("*.py"):
        if path.stem == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module in plots:
                offenders.append(f"{path.name} imports .{node.module}")
    assert not offenders, offenders
