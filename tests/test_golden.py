"""Golden regression: the tiny world's tables, committed (tests/golden/), equal the model's now,
value for value (as pydesrap_mms keeps tests/exp_results/). A deliberate model change regenerates
them with `python tests/golden/regenerate.py` and says so in its commit."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from golden.regenerate import FLOAT_FORMAT, tables

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def now():
    return tables()


@pytest.mark.parametrize("name", ["events", "licences", "shipments", "daily", "imports_monthly"])
def test_the_tiny_worlds_tables_equal_the_golden_ones(name, now, tmp_path):
    path = tmp_path / f"{name}.csv"
    now[name].to_csv(path, index=False, float_format=FLOAT_FORMAT)
    expected = (GOLDEN / f"{name}.csv").read_text()
    got = path.read_text()
    if got != expected:
        exp, new = pd.read_csv(GOLDEN / f"{name}.csv"), pd.read_csv(path)
        pytest.fail(f"{name}: differs from tests/golden/{name}.csv ({len(new)} rows now, "
                    f"{len(exp)} then); if the change is deliberate, run "
                    f"python tests/golden/regenerate.py and say so in the commit")
