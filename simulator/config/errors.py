"""The one error type of bad configuration: its message names the key (or file and line) and the
offending value, and run.py prints it as one line."""


class ConfigError(ValueError):
    """A parameter is missing, out of range or inconsistent with another one."""
