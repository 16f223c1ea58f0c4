"""Checks of run.py's command line that need no Hydra: what Hydra's grammar accepts but the run
cannot use, refused in one line before Hydra creates anything (config/hydra.py's
check_command_line calls these first).

- an empty output directory (`hydra.run.dir=`, as from an unset shell variable), which would
  write into the working directory;
- `hydra.launcher.n_jobs=0`, which joblib refuses only once the sweep has started;
- a sweeper's search space (`hydra.sweeper.params...`) without a sweeper to read it;
- flags that take a value (`--cfg job`, `-p PKG`) are set aside so the overrides next to them are
  still checked; quoted values (`scenario='baseline'`, which Hydra's grammar accepts) are read
  without their quotes.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

FLAGS_WITH_VALUE = ("--cfg", "-c", "--package", "-p")
FLAGS_WITHOUT_VALUE = ("--resolve",)


def split_flags(argv: Sequence[str]) -> Tuple[List[str], List[str]]:
    """(flags with their values, the rest): `--cfg job scenario=x` -> (['--cfg', 'job'], [...])."""
    flags, rest, skip = [], [], False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            flags.append(a)
        elif a in FLAGS_WITH_VALUE:
            flags.append(a)
            skip = i + 1 < len(argv)
        elif a in FLAGS_WITHOUT_VALUE or a.startswith(tuple(f + "=" for f in FLAGS_WITH_VALUE)):
            flags.append(a)
        else:
            rest.append(a)
    return flags, rest


def unquote(value: str) -> str:
    """A value as Hydra reads it: one pair of matching outer quotes removed."""
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


def argv_problem(argv: Sequence[str]) -> Optional[str]:
    """A one-line error for what Hydra's grammar takes but a run cannot use, or None."""
    pairs = {}
    for a in argv:
        if a.startswith("-") or "=" not in a:
            continue
        key, _, value = a.partition("=")
        pairs[key.lstrip("+~")] = value
    for key in ("hydra.run.dir", "hydra.sweep.dir"):
        if key in pairs and not unquote(pairs[key]):
            return (f"{key}= is empty (an unset shell variable?): give a directory, or leave "
                    f"{key} out for the default under outputs/")
    if "hydra.launcher.n_jobs" in pairs:
        value = unquote(pairs["hydra.launcher.n_jobs"])
        try:
            jobs = int(value)
        except ValueError:
            return f"hydra.launcher.n_jobs = {value!r}: a whole number of parallel jobs"
        if jobs == 0:
            return ("hydra.launcher.n_jobs = 0: at least 1 parallel job (or -1 for one per core, "
                    "joblib's convention)")
    searched = [k for k in pairs if k.startswith("hydra.sweeper.params")]
    if searched and "hydra/sweeper" not in pairs:
        return (f"{searched[0]}: a search space needs a sweeper to read it; add "
                f"hydra/sweeper=policy_search (and -m)")
    return None
