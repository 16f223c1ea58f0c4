"""The Parquet parts of a run's simulation tables: which replications a part holds, its file
name, and how it is encoded. `run_dir` is the run directory these parts live in; the pipeline
decides who writes which part (`simulator.app.pipeline.replicate`)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.config.dictionary import DICTIONARY
from simulator.store.schemas import check

PARQUET_COMPRESSION = "zstd"  # smaller than snappy on these tables, and fast to read
PARQUET_LEVEL = 9  # past ~9 zstd gains little here and writes slower

_ARROW = {"int": pa.int64(), "float": pa.float32(), "str": pa.string(), "bool": pa.bool_(),
          "date": pa.date32()}


@lru_cache(maxsize=None)
def _arrow_schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(c.name, _ARROW[c.dtype]) for c in DICTIONARY[table]])


def _encodings(table: pa.Table) -> dict:
    """Floats byte-stream-split (their exponent bytes then compress), integers and dates
    delta-encoded (days run in order), text dictionary-encoded (a few ids repeated) unless most
    values are distinct (order and licence ids: prefix-delta encoded instead)."""
    schema = table.schema
    split = [f.name for f in schema if pa.types.is_floating(f.type)]
    delta = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_date(f.type)]
    text = [f.name for f in schema if pa.types.is_string(f.type)]
    unique = [c for c in text if len(table) and pc.count_distinct(table[c]).as_py() > len(table) / 2]
    return {"use_dictionary": [f.name for f in schema if f.name not in split + delta + unique],
            "column_encoding": {**{c: "BYTE_STREAM_SPLIT" for c in split},
                                **{c: "DELTA_BINARY_PACKED" for c in delta},
                                **{c: "DELTA_BYTE_ARRAY" for c in unique}}}


# A part holds one replication, or for a big run that keeps only the small tables, a batch of
# them: a summary replication is ~3k rows (~50 KB), and a part of one pays pandera's and
# Parquet's fixed cost (~20 ms) for them; the per-day and per-lot tables are ~55k rows (~24 MB in
# memory) a replication, big enough alone and too big to hold 25 of in each worker.
PART_MAX_REPLICATIONS = 25
PART_MIN_TASKS = 40  # parts of a map of n replications: at least 40 tasks to share between workers
BIG_TABLES = ("daily", "shipments")


def replications_per_part(replications: int, tables: Sequence[str]) -> int:
    """How many replications one Parquet part holds, in a run (or a batch of the stopping rule)
    of `replications` replications that keeps `tables`: never fewer than PART_MIN_TASKS parts,
    so that the work still spreads over the workers, at most PART_MAX_REPLICATIONS; 1 if a big
    table is kept. It depends on nothing else (not the worker count), so the files are the same
    however a run was spread."""
    if not tables or set(tables) & set(BIG_TABLES):
        return 1
    return max(1, min(PART_MAX_REPLICATIONS, replications // PART_MIN_TASKS))


def part_path(directory: Path, table: str, replications: range) -> Path:
    """tables/<table>/rep-000007.parquet for one replication, rep-000000-000024.parquet for a
    batch (first and last): sorted by name, the parts are in replication order."""
    first, last = replications[0], replications[-1]
    name = f"rep-{first:06d}" + (f"-{last:06d}" if last != first else "")
    return Path(directory) / "tables" / table / f"{name}.parquet"


def stacked(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Tables of one kind (the same columns and dtypes, as built) one after another, column by
    column (pd.concat's index and dtype bookkeeping took half as long again for a batch)."""
    if len(frames) == 1:  # a part of one replication: its table itself
        return frames[0]
    return pd.DataFrame({c: np.concatenate([f[c].to_numpy() for f in frames])
                         for c in frames[0].columns}, copy=False)


def write_part(directory: Path, replications: range, tables: Dict[str, pd.DataFrame]) -> None:
    """The tables of `replications` (consecutive; all of theirs, stacked in order), each
    validated against the data dictionary, as one Parquet part per table."""
    for name, df in tables.items():
        check(name, df)
        path = part_path(directory, name, replications)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = _arrow_table(df, _arrow_schema(name))
        pq.write_table(table, path, compression=PARQUET_COMPRESSION,
                       compression_level=PARQUET_LEVEL, **_encodings(table))


def _arrow_table(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """`df` (checked against the dictionary) as Arrow, column by column straight to the stored
    types (NaN as null, nanosecond dates to days): a third of the cost of Table.from_pandas and
    a cast, the same table, and no pandas metadata to strip."""
    return pa.Table.from_arrays([pa.array(df[f.name].to_numpy(), type=f.type, from_pandas=True,
                                          safe=False) for f in schema], schema=schema)
