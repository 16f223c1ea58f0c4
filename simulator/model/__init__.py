"""The model: SimPy actors (licensing authority, suppliers, lanes, fabs, perceived risk, timeline)
and their wiring (`world`). Imports only `simulator.config`.

An accelerated build (`python -m simulator accel build`: the model's modules compiled with mypyc)
lives in `_compiled/` beside this file, with a stamp of the sources it was compiled from. It is
used only while every source still matches its stamp: a build older than an edit is ignored with
a warning, never run, so the tables are those of the code you read. Without a build (no C
compiler, or never built) the model runs as the pure Python it is; `TRADEFLOW_PURE_PYTHON=1`
forces that. `COMPILED` says which one this process runs. This file itself is never compiled.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Mapping, Optional

BUILD_DIR = "_compiled"
STAMP = "STAMP.json"
PURE_ENV = "TRADEFLOW_PURE_PYTHON"


def source_digests(package_dir: Path) -> dict:
    """sha256 of every model module a build compiles (all but this file)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(package_dir.glob("*.py")) if p.name != "__init__.py"}


def usable_build(package_dir: Path, environ: Mapping[str, str]) -> tuple[Optional[Path], str]:
    """The compiled build's directory if it may be used, else None; and why not, for a warning
    ('' when there is nothing to say: no build, or pure Python asked for)."""
    if environ.get(PURE_ENV, "") not in ("", "0"):
        return None, ""
    build = package_dir / BUILD_DIR
    stamp = build / STAMP
    if not stamp.is_file():
        return None, ""
    try:
        meta = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None, f"{stamp} is unreadable"
    if meta.get("python") != sys.implementation.cache_tag:
        return None, f"it was built for {meta.get('python')}, this is {sys.implementation.cache_tag}"
    stamped, now = meta.get("sources", {}), source_digests(package_dir)
    changed = sorted(n for n, d in now.items() if stamped.get(n) != d)
    changed += sorted(set(stamped) - set(now))
    if changed:
        return None, f"{', '.join(changed)} changed since it was built"
    return build, ""


def _use(build: Path) -> bool:
    """Load the build's shared library and put its modules first on this package's path."""
    libs = sorted(build.glob("*__mypyc*.so"))
    model_dir = build / "simulator" / "model"
    if len(libs) != 1 or not model_dir.is_dir():
        return False
    name = libs[0].name.split(".", 1)[0]
    spec = importlib.util.spec_from_file_location(name, libs[0])
    if spec is None or spec.loader is None:
        return False
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the compiled modules import it by this name
    spec.loader.exec_module(module)
    __path__.insert(0, str(model_dir))  # type: ignore[name-defined]  # a package's search path
    return True


def _select() -> bool:
    build, why_not = usable_build(Path(__file__).resolve().parent, os.environ)
    if why_not:
        warnings.warn(f"the compiled model is not used ({why_not}): running pure Python; rebuild "
                      f"with: python -m simulator accel build", RuntimeWarning, stacklevel=2)
    return build is not None and _use(build)


COMPILED = _select()
