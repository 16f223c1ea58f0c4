"""The data dictionary (simulator/config/dictionary.py) is what the tables are: the experiment
builds them in its order, the store refuses anything else, and the README documents each column."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import tiny_world as tw
from simulator import simulate
from simulator.config.dictionary import DICTIONARY, columns
from simulator.store.schemas import TableError, check

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tables():
    return simulate(tw.with_regime_from(tw.tiny_params(), tw.SHOCK_DATE, "individual"),
                    workers=1).tables


def test_built_tables_are_the_dictionary(tables):
    assert set(tables) == set(DICTIONARY)
    for name, df in tables.items():
        assert list(df.columns) == columns(name)
        check(name, df)


def test_a_table_off_the_dictionary_is_refused_in_one_line(tables):
    daily = tables["daily"]
    for bad, what in ((daily.drop(columns=["cover_days"]), "cover_days"),
                      (daily.assign(extra=1.0), "extra"),
                      (daily.assign(rationing=daily["rationing"].astype(float)), "rationing"),
                      (daily.assign(inventory_t=float("nan")), "inventory_t")):
        with pytest.raises(TableError) as err:
            check("daily", bad)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith("table daily") and what in msg


def _readme_section(table: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"**{table}**")
    end = text.find("\n\n**", start + 1)
    return text[start:end if end > 0 else None]


@pytest.mark.parametrize("table", list(DICTIONARY))
def test_the_readme_documents_every_column(table):
    section = _readme_section(table)
    named = set(re.findall(r"`([a-z_]+)`", section))
    for col in columns(table):
        if col == "replication":
            continue  # "Every row carries its replication", said once for all tables
        stem = col[:-5] if col.endswith("_date") else None
        ok = col in named or (stem is not None and f"`{stem}_day`/`_date`" in section)
        assert ok, f"README, {table}: column {col} is not documented"


def test_the_sources_document_lists_every_default_as_the_configs_cite_it():
    """docs/sources.md's index of defaults is regenerated from configs/ and must match it."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "docs/build_sources.py", "--check"], cwd=root,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = (root / "docs" / "sources.md").read_text()
    import yaml
    cover = yaml.safe_load((root / "configs" / "fab" / "default.yaml").read_text())["risk_cover_days"]
    assert f"| configs/fab/default.yaml | `risk_cover_days` | `{cover}` |" in text
    assert "## Part B: FACTS.md" in text and "## Part C: OBSERVED.md" in text
