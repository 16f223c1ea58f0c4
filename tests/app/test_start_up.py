"""What run.py skips at start-up must be what Hydra would have found (simulator/app/job.py:
skip_mode_composition): Hydra composes the config once only to read `hydra.mode`, and this
project's configs never set it, so the mode comes from the command line alone."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra._internal.hydra import Hydra
from hydra.core.global_hydra import GlobalHydra

from simulator.app import job
from simulator.config import hydra as hydra_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("scenario", hydra_config.scenario_names())
def test_no_config_sets_hydra_mode_so_hydra_would_find_none(scenario):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(hydra_config.CONFIG_DIR), version_base="1.3"):
        hydra = GlobalHydra.instance().hydra
        assert hydra.get_mode(config_name="config", overrides=[f"scenario={scenario}"]) is None
        # the stand-in answers the same without composing anything
        assert job._mode_from_command_line(hydra, "config", [f"scenario={scenario}"]) is None
    GlobalHydra.instance().clear()


def test_a_command_line_that_sets_the_mode_keeps_hydras_lookup(monkeypatch):
    original = Hydra.get_mode
    monkeypatch.setattr(Hydra, "get_mode", original)
    job.skip_mode_composition(["scenario=baseline", "hydra.mode=MULTIRUN"])
    assert Hydra.get_mode is original
    job.skip_mode_composition(["scenario=baseline"])
    assert Hydra.get_mode is job._mode_from_command_line


def test_hydra_mode_on_the_command_line_still_makes_a_sweep(tmp_path):
    out = subprocess.run([sys.executable, "run.py", "scenario=baseline", "run.replications=1",
                          "run.end_date=2019-12-31", "hydra.mode=MULTIRUN",
                          f"hydra.sweep.dir={tmp_path}"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-1500:]
    assert (tmp_path / "multirun.yaml").is_file()
