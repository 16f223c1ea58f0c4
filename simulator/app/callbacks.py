"""Hydra callbacks: what run.py -m does when a sweep ends."""
from __future__ import annotations

from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class CompareSweep(Callback):
    """At the end of `run.py -m`, compare the sweep's finished runs (simulator/present/comparison.py)."""

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        from simulator.present.comparison import build
        try:
            out = build(Path(config.hydra.sweep.dir))
        except FileNotFoundError as exc:  # every job failed: their own errors were reported
            print(f"no comparison: {exc}")
            return
        print(f"comparison of the sweep's runs -> {out}")
