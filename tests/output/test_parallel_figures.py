"""Figures drawn at once (simulator/present/figures/parallel.py): the run's process draws beside
forked children, each taking the next figure; whatever a child does not finish is drawn again in
the parent, so no figure is lost and a figure's error surfaces in the parent."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from simulator.present.figures.parallel import draw_all

PARENT = os.getpid()


def _job(tmp_path: Path, name: str):
    def draw():
        path = tmp_path / f"{name}.{os.getpid()}"
        path.write_text(name)
        return [path]
    return draw


def test_every_figure_is_drawn_once_in_order_and_the_work_is_shared(tmp_path):
    names = [f"fig{i}" for i in range(8)]
    drawn = draw_all({n: _job(tmp_path, n) for n in names}, workers=2)
    assert list(drawn) == names
    by = {p.name.split(".")[0]: int(p.name.split(".")[1]) for paths in drawn.values() for p in paths}
    assert set(by) == set(names)
    assert len(list(tmp_path.iterdir())) == len(names)  # none drawn twice
    assert PARENT in set(by.values())  # the parent draws too


def test_a_figure_a_child_cannot_draw_is_drawn_by_the_parent(tmp_path):
    """A child that dies in the middle of a figure (killed, out of memory) loses nothing."""
    def slow():  # the parent takes the first figure and is busy while the child takes the next
        time.sleep(0.5)
        return _job(tmp_path, "slow")()

    def dies_in_a_child():
        if os.getpid() != PARENT:
            os._exit(1)
        return _job(tmp_path, "fragile")()
    jobs = {"slow": slow, "fragile": dies_in_a_child,
            **{f"fig{i}": _job(tmp_path, f"fig{i}") for i in range(4)}}
    drawn = draw_all(jobs, workers=2)
    assert set(drawn) == set(jobs)
    assert all(p.exists() for paths in drawn.values() for p in paths)
    assert drawn["fragile"][0].name == f"fragile.{PARENT}"  # drawn again, here


def test_a_figures_error_is_raised_in_the_parent(tmp_path):
    def broken():
        raise ValueError("no data for this figure")
    jobs = {**{f"fig{i}": _job(tmp_path, f"fig{i}") for i in range(3)}, "broken": broken}
    with pytest.raises(ValueError, match="no data for this figure"):
        draw_all(jobs, workers=2)


def test_one_worker_draws_everything_here(tmp_path):
    drawn = draw_all({n: _job(tmp_path, n) for n in ("a", "b", "c")}, workers=1)
    assert {int(p.name.split(".")[1]) for paths in drawn.values() for p in paths} == {PARENT}
