"""Whether a run can be written where it is asked to go, checked before Hydra creates anything.

Hydra makes `hydra.run.dir` (or `hydra.sweep.dir`) before the job starts; a directory it cannot
make or write there ends in a traceback and, worse, a sweep that dies half-way. So run.py asks
here first and refuses with one line naming the key and the path.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

# file systems that hold the kernel's state, not files: writing a run there is never meant
PSEUDO_FILESYSTEMS = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs",
                      "tracefs", "securityfs", "pstore", "bpf", "configfs", "fusectl", "mqueue",
                      "binfmt_misc", "autofs", "efivarfs", "hugetlbfs", "rpc_pipefs", "nsfs"}
PSEUDO_ROOTS = ("/proc", "/sys", "/dev")  # where /proc/mounts cannot be read (macOS, containers)


def _mounts():
    """(mount point, file-system type) of this machine, longest mount point first."""
    try:
        text = Path("/proc/self/mounts").read_text()
    except OSError:
        return []
    rows = [line.split()[1:3] for line in text.splitlines() if len(line.split()) >= 3]
    return sorted(((point.replace("\\040", " "), fs) for point, fs in rows),
                  key=lambda r: len(r[0]), reverse=True)


def file_system(path: Path) -> Optional[str]:
    """The type of the file system `path` is on, if this machine says."""
    text = str(path)
    for point, fs in _mounts():
        if text == point or text.startswith(point.rstrip("/") + "/"):
            return fs
    return None


def output_dir_problem(key: str, value: str, cwd: Optional[Path] = None) -> Optional[str]:
    """A one-line reason why a run cannot be written to `value` (the path given for `key`), or
    None. Interpolations (`${now:...}`) are left to Hydra: the fixed part before the first one
    is checked."""
    fixed = str(value).split("${", 1)[0]
    path = Path(os.path.abspath(Path(cwd or Path.cwd()) / fixed)) if fixed else Path(cwd or Path.cwd())
    fs = file_system(path)
    if fs in PSEUDO_FILESYSTEMS or (fs is None and str(path).startswith(PSEUDO_ROOTS)):
        return f"{key}={value}: {path} is on a system pseudo-file system ({fs or path.parts[1]}), " \
               f"not a place for files"
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{key}={value}: {existing} is a file, so no directory can be made below it"
    try:
        read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows)
        read_only = False
    if read_only:
        return f"{key}={value}: {existing} is on a read-only file system"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{key}={value}: {existing} is not writable by this user"
    return None
