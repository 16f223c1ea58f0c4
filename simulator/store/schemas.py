"""pandera schemas of the simulation tables, built from the data dictionary
(`simulator.config.dictionary`): the store validates every table it writes and every table it
reads back, so a table that is not what the dictionary says never reaches a reader unnoticed."""
from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from typing import Dict

import numpy as np
import pandas as pd
import pandera.pandas as pa

from simulator.config.dictionary import DICTIONARY, dtypes

# pandera resolves every column's dtype through `is_geopandas_dtype`, which tries
# `from geopandas.array import GeometryDtype` on each call (pandera 0.35,
# pandera/engines/pandas_engine.py); without geopandas, each failed import searches sys.path
# again: a quarter of a table's validation. A None in sys.modules makes that import fail at once,
# which is what it does anyway when geopandas is not installed.
if "geopandas" not in sys.modules and importlib.util.find_spec("geopandas") is None:
    sys.modules["geopandas"] = None  # type: ignore[assignment]

# text columns are checked as object columns: an element-wise str check costs seconds a run
_DTYPES = {"int": "int64", "float": "float64", "str": object, "bool": "bool",
           "date": "datetime64[ns]"}


def read_dtypes(table: str) -> Dict[str, object]:
    """dtypes to read a saved table with (the dictionary's, text read as text): a float column
    whose values all happen to be whole (a day column) must not come back as integers."""
    return {name: str if dtype == "object" else dtype for name, dtype in dtypes(table).items()}


class TableError(ValueError):
    """A table that does not match the data dictionary: the message names table and column."""


def _not_infinite(s: pd.Series) -> bool:
    """No float is infinite (missing is NaN, which `nullable` governs): an overflow upstream
    must stop the run, not become `inf` in a table a report sums."""
    return not np.isinf(s.to_numpy()).any()


_FINITE = pa.Check(_not_infinite, error="values must be finite (an inf means an overflow)")


@lru_cache(maxsize=None)
def schema(table: str) -> pa.DataFrameSchema:
    cols = {c.name: pa.Column(_DTYPES[c.dtype], nullable=c.nullable, coerce=False,
                              checks=[_FINITE] if c.dtype == "float" else None)
            for c in DICTIONARY[table]}
    return pa.DataFrameSchema(cols, strict=True, ordered=True, name=table)


def check(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate `df` as `table`; raise TableError with one line on the first mismatch."""
    try:
        # inplace: nothing is coerced, so the table need not be copied to be checked
        return schema(table).validate(df, lazy=False, inplace=True)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as exc:
        text = " ".join(str(exc).split())  # pandera's message spans lines: keep it on one
        if '"error": "' in text:  # a summary of several errors: the first one says enough
            text = text.split('"error": "', 1)[1].split(" DataFrameSchema", 1)[0].split('"', 1)[0]
            text += " the dictionary" if text.endswith(" not in") else ""
        text = text.split(" contains null values", 1)[0] + (
            " contains missing values" if " contains null values" in text else "")
        raise TableError(f"table {table} does not match the data dictionary "
                         f"(simulator/config/dictionary.py): {text[:300]}") from None


def check_all(tables: Dict[str, pd.DataFrame]) -> None:
    for name, df in tables.items():
        check(name, df)
