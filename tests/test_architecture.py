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


# --- no world in the code -------------------------------------------------------------------------
# Layers that must work for any world from its config alone (issue 19): their identifiers and
# string literals (docstrings and comments may explain with examples) hold no name a world's
# config gives: countries and their codes, materials, buyers, suppliers.
WORLD_FREE_LAYERS = ("model", "experiment", "store", "analysis", "present")
# (file, literal) pairs that look like a world's names but are not: font family names
NOT_WORLD_NAMES = {("simulator/present/figures/glyphs.py", '"Noto Sans JP"'),
                   ("simulator/present/figures/glyphs.py", '"Noto Sans KR"')}


def _world_names() -> set:
    """Every name the configs of every world give: the world's countries (codes and names),
    materials, buyers and suppliers (ids and names); origins' codes and names."""
    import yaml
    configs = ROOT / "configs"
    names = set()
    for path in (configs / "world").glob("*.yaml"):
        w = yaml.safe_load(path.read_text())["world"]
        names |= {w[k] for k in ("licensing_country", "licensing_name", "licensing_adjective",
                                 "home_country", "home_name", "importer_name") if w.get(k)}
    for group in ("materials", "fabs", "suppliers"):
        for path in (configs / group).glob("*.yaml"):
            for key, node in (yaml.safe_load(path.read_text()) or {}).items():
                names.add(key)
                if isinstance(node, dict):
                    names |= {node[k] for k in ("name", "short_name") if node.get(k)}
    for path in (configs / "origins").glob("*.yaml"):
        for code, name in (yaml.safe_load(path.read_text()) or {}).items():
            names |= {code, name.split(" (")[0]}
    return {n for n in names if len(n) >= 2 and n.lower() not in {"row", "rest of world"}}


def _code_tokens(path: Path):
    """(line, text) of every identifier and string literal outside docstrings."""
    import io
    import tokenize
    source = path.read_text()
    docs = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            docs.update(range(body[0].lineno, body[0].end_lineno + 1))
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.NAME, tokenize.STRING) and tok.start[0] not in docs:
            yield tok.start[0], tok.string


def test_model_analysis_and_presentation_hold_no_world_specific_names():
    import re
    names = _world_names()
    assert {"JP", "Japan", "hf", "samsung_electronics"} <= names  # the rule sees the default world
    codes = {n for n in names if re.fullmatch(r"[A-Z]{2,3}", n)}  # ISO country codes
    words = names - codes
    # a name as a word of a literal or a part of an identifier (Japan's; hf in hf_share); a
    # country code in capitals in a literal ("JP", not "US$"), in lower case in an identifier
    # (imports_jp_rel)
    by_name = re.compile(r"(?i)(?<![a-z0-9])(" + "|".join(
        re.escape(n).replace(r"\ ", r"[\s_]") for n in sorted(words, key=len, reverse=True))
        + r")(?![a-z0-9])")
    by_code = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(sorted(codes)) + r")(?![A-Za-z0-9$])")
    in_name = re.compile(r"(?<![a-z0-9])(" + "|".join(c.lower() for c in sorted(codes))
                         + r")(?![a-z0-9])")
    found = []
    for layer in WORLD_FREE_LAYERS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            for line, text in _code_tokens(path):
                spaced = text.replace("_", " ")
                literal = text[:1] in "\"'" or text[:2].lower() in ("f\"", "f'", "r\"", "r'")
                hit = by_name.search(spaced) or (by_code.search(text) if literal
                                                 else in_name.search(spaced))
                if hit and (rel, text) not in NOT_WORLD_NAMES:
                    found.append(f"{rel}:{line}: {text[:60]}")
    assert not found, "\n".join(found)
