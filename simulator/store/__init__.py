"""The run store: the only writer and reader of a run directory's files."""
