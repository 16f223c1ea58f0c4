"""The accelerated build (simulator/app/accel.py): used only while it matches the sources, and
the same tables as the pure Python it was compiled from.

The loader's rules run in the default suite; the comparison of a compiled build with pure Python
needs a build (`python -m simulator accel build --strict`) and runs with `pytest -m accel` (CI
builds it first: .ci/run)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import simulator.model as model

ROOT = Path(__file__).resolve().parents[2]


def _package_with_build(tmp_path: Path) -> Path:
    pkg = tmp_path / "model"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "fab.py").write_text("X = 1\n")
    (pkg / model.BUILD_DIR).mkdir()
    stamp = {"python": sys.implementation.cache_tag, "sources": model.source_digests(pkg)}
    (pkg / model.BUILD_DIR / model.STAMP).write_text(json.dumps(stamp))
    return pkg


def test_a_build_that_matches_its_sources_is_used(tmp_path):
    pkg = _package_with_build(tmp_path)
    assert model.usable_build(pkg, {}) == (pkg / model.BUILD_DIR, "")


def test_an_edited_source_makes_the_build_stale(tmp_path):
    pkg = _package_with_build(tmp_path)
    (pkg / "fab.py").write_text("X = 2\n")
    where, why = model.usable_build(pkg, {})
    assert where is None and "fab.py changed" in why


def test_a_new_or_removed_module_makes_the_build_stale(tmp_path):
    pkg = _package_with_build(tmp_path)
    (pkg / "suppliers.py").write_text("")
    assert model.usable_build(pkg, {})[0] is None
    (pkg / "suppliers.py").unlink()
    (pkg / "fab.py").unlink()
    assert "fab.py" in model.usable_build(pkg, {})[1]


def test_a_build_for_another_python_is_not_used(tmp_path):
    pkg = _package_with_build(tmp_path)
    stamp = pkg / model.BUILD_DIR / model.STAMP
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "python": "cpython-39"}))
    where, why = model.usable_build(pkg, {})
    assert where is None and "cpython-39" in why


def test_pure_python_on_request_and_without_a_build(tmp_path):
    pkg = _package_with_build(tmp_path)
    assert model.usable_build(pkg, {model.PURE_ENV: "1"}) == (None, "")
    assert model.usable_build(pkg, {model.PURE_ENV: "0"})[0] is not None
    (pkg / model.BUILD_DIR / model.STAMP).unlink()
    assert model.usable_build(pkg, {}) == (None, "")


def test_the_model_modules_are_the_ones_a_build_compiles():
    """Every module but the loader is compiled and stamped; the loader stays Python."""
    names = set(model.source_digests(ROOT / "simulator" / "model"))
    assert "__init__.py" not in names and {"fab.py", "suppliers.py", "world.py"} <= names


TABLE_HASHES = r"""
import hashlib, json, sys
import simulator.model as m
from simulator.config.hydra import compose_params
from simulator.experiment import run_replication
out = {"compiled": m.COMPILED, "fab_module": __import__("simulator.model.fab").model.fab.__file__}
for scenario, reps in (("lift_2023", (0, 3)), ("curbs_2019", (1,))):
    p = compose_params(scenario)
    for r in reps:
        for name, df in run_replication(p, r).items():
            out[f"{scenario}/{r}/{name}"] = hashlib.sha256(df.to_csv(index=False).encode()).hexdigest()
print(json.dumps(out))
"""


def _hashes(pure: bool) -> dict:
    env = {**os.environ, model.PURE_ENV: "1" if pure else "0"}
    proc = subprocess.run([sys.executable, "-c", TABLE_HASHES], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.accel
def test_compiled_tables_equal_pure_python_byte_for_byte():
    compiled, pure = _hashes(pure=False), _hashes(pure=True)
    assert compiled.pop("compiled") is True, "no usable build: python -m simulator accel build --strict"
    assert compiled.pop("fab_module").endswith(".so")
    assert pure.pop("compiled") is False and pure.pop("fab_module").endswith(".py")
    assert compiled == pure


def test_without_a_c_compiler_the_build_says_so_and_exits_0_unless_strict(monkeypatch, capsys):
    """The README's quick start builds the model: on a machine without a compiler that command
    must not stop the run after it (one line, exit 0); CI's --strict makes it an error."""
    from simulator.app import accel
    monkeypatch.setattr(accel.shutil, "which", lambda name: None)
    if accel.importlib.util.find_spec("mypyc") is not None:
        assert "no C compiler" in accel.missing_prerequisite()
    assert accel.build(strict=False) == 0
    assert accel.build(strict=True) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("note: ") and err[1].startswith("error: ")
    assert all("pure Python" in line for line in err)
