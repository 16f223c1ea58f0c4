"""Hydra callbacks: what run.py -m does when a sweep ends."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class CompareSweep(Callback):
    """At the end of `run.py -m`: the sweep summary (simulator/present/sweep.py), listing every
    job with its status, and the comparison of the complete runs (simulator/present/comparison.py).
    A sweep in which any job failed exits with status 1, after both are written."""

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        from simulator.app.sweep import finish_sweep

        failed = finish_sweep(Path(config.hydra.sweep.dir))
        if failed:
            sys.exit(1)
