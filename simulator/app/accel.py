"""The accelerated build: the model's modules compiled with mypyc, beside the pure Python.

    python -m simulator accel build [--strict]   compile simulator/model/*.py into simulator/model/_compiled
    python -m simulator accel status             is there a build, and does this process use it
    python -m simulator accel clean              remove the build (the model runs as pure Python)

Why mypyc and not a rewrite: the model stays the Python you read and test; mypyc compiles the same
files (typed classes become C structs, attribute access and calls skip the interpreter), and the
tables are identical either way (tests/test_accel.py, `pytest -m accel`, compares them byte for
byte). The build needs the `accel` extra (mypy, which ships mypyc) and a C compiler. Without
either, `build` says so in one line and exits 0: the model runs as pure Python, so the README's
commands work on any machine; `--strict` makes that an error (CI). A build is used only while the
sources match the stamp it wrote (simulator/model/__init__.py), so an edit never runs stale code.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path
from typing import Optional, Sequence

with warnings.catch_warnings():  # a stale build is what `build` is here to replace: no warning
    warnings.simplefilter("ignore", RuntimeWarning)
    import simulator.model as model

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # .../simulator
MODEL_DIR = PACKAGE_ROOT / "model"
SETUP = """\
from setuptools import setup
from mypyc.build import mypycify

setup(name="tradeflow_model_compiled", ext_modules=mypycify(
    ["--follow-imports=silent", {modules}], opt_level="3"))
"""


def missing_prerequisite() -> Optional[str]:
    """Why this machine cannot compile the model, or None."""
    if importlib.util.find_spec("mypyc") is None:
        return "mypyc is not installed (pip install -e \".[accel]\")"
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")[:1]
    if not cc or shutil.which(cc[0]) is None:
        return f"no C compiler ({cc[0] if cc else 'CC unset'}) on this machine"
    if importlib.util.find_spec("setuptools") is None:
        return "setuptools is not installed (pip install -e \".[accel]\")"
    return None


def _compile(work: Path, staging: Path) -> tuple[int, str]:
    shutil.copytree(PACKAGE_ROOT, work / "simulator",
                    ignore=shutil.ignore_patterns("__pycache__", model.BUILD_DIR, "*.so", "*.pyc"))
    sources = sorted(model.source_digests(work / "simulator" / "model"))
    (work / "setup.py").write_text(SETUP.format(
        modules=", ".join(repr(f"simulator/model/{name}") for name in sources)))
    proc = subprocess.run([sys.executable, "setup.py", "build_ext", "--build-lib", str(staging),
                           "--build-temp", str(work / "temp"), "--parallel", str(os.cpu_count() or 1)],
                          cwd=work, capture_output=True, text=True)
    return proc.returncode, (proc.stdout + proc.stderr)


def _cannot(problem: str, strict: bool) -> int:
    """One line on why the model stays pure Python: a note (exit 0), or under --strict an error."""
    print(f"{'error' if strict else 'note'}: {problem}: the model runs as pure Python",
          file=sys.stderr)
    return 1 if strict else 0


def build(strict: bool) -> int:
    problem = missing_prerequisite()
    if problem:
        return _cannot(problem, strict)
    started = time.perf_counter()
    target = MODEL_DIR / model.BUILD_DIR
    with tempfile.TemporaryDirectory(prefix="tradeflow-accel-") as tmp:
        work, staging = Path(tmp) / "src", Path(tmp) / "build"
        code, output = _compile(work, staging)
        if code != 0:
            lines = [ln for ln in output.splitlines() if "error" in ln.lower()] or output.splitlines()
            return _cannot(f"mypyc could not compile the model "
                           f"({lines[-1].strip() if lines else 'no output'})", strict)
        stamp = {"python": sys.implementation.cache_tag,
                 "sources": model.source_digests(work / "simulator" / "model")}
        (staging / model.STAMP).write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
        fresh = MODEL_DIR / (model.BUILD_DIR + ".new")
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(staging, fresh)
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)  # the old build is gone before the new one appears: never a mix
    print(f"compiled {len(stamp['sources'])} model modules with mypyc in "
          f"{time.perf_counter() - started:.0f} s -> {target.relative_to(PACKAGE_ROOT.parent)} "
          f"(used from the next process on; {model.PURE_ENV}=1 runs pure Python)")
    return 0


def status() -> int:
    where, why_not = model.usable_build(MODEL_DIR, os.environ)
    if where is not None:
        print(f"compiled build in {where}, current with the sources; this process "
              f"{'uses it' if model.COMPILED else 'does not use it'}")
    else:
        print(f"no usable compiled build{f' ({why_not})' if why_not else ''}: the model runs as "
              f"pure Python")
    return 0


def clean() -> int:
    target = MODEL_DIR / model.BUILD_DIR
    shutil.rmtree(target, ignore_errors=True)
    print(f"removed {target.relative_to(PACKAGE_ROOT.parent)}: the model runs as pure Python")
    return 0


def main(argv: Sequence[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator accel", description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=["build", "status", "clean"])
    ap.add_argument("--strict", action="store_true",
                    help="build: fail (exit 1) if the model cannot be compiled here")
    args = ap.parse_args(argv)
    if args.action == "build":
        return build(args.strict)
    return status() if args.action == "status" else clean()
