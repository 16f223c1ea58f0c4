"""Where the project is: the repository root, from which configs/, scenarios/, data/ and a run's
relative paths (run.macro_table) are found, whatever the working directory."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: simulator/<layer>/this file
