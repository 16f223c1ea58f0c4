"""One failure path for both command lines (run.py and python -m simulator).

Bad input — a config key, a spec file, an observed-data file, a damaged run or sweep directory —
is refused as one line on stderr naming the file (and line or key) and the value, with exit code
2 and no traceback. Anything else that goes wrong is a fault of the program, not of the input: one
line too, exit code 1, and the traceback only at debug level (`SIMULATOR_DEBUG=1` prints it), so a
user never reads a Python stack to find their typo.

    with refusing() as outcome:
        outcome.code = command(args)
    return outcome.code
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from dataclasses import dataclass

EXIT_INPUT = 2  # the input was refused
EXIT_FAULT = 1  # the program failed on input it accepted

log = logging.getLogger(__name__)


def input_errors() -> tuple:
    """The exception types that mean "the input is bad" (imported lazily: --help stays fast)."""
    from simulator.analysis.backtest import ObservedDataError
    from simulator.analysis.io_bridge import BridgeError
    from simulator.config.errors import ConfigError
    from simulator.store.integrity import DamagedRun
    return ConfigError, ObservedDataError, DamagedRun, BridgeError


@dataclass
class Outcome:
    code: int = 0


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextlib.contextmanager
def refusing():
    """Run a command; turn bad input into one line and exit code 2, any other failure into one
    line and exit code 1 (its traceback at debug level), a Ctrl-C into exit code 130."""
    outcome = Outcome()
    try:
        yield outcome
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        outcome.code = 130
    except Exception as exc:  # noqa: BLE001 - the one place every command's failure ends up
        if isinstance(exc, input_errors()):
            print(f"error: {one_line(exc)}", file=sys.stderr)
            outcome.code = EXIT_INPUT
        else:
            print(f"error: {type(exc).__name__}: {one_line(exc)} (a fault of the program, not "
                  f"of your input; SIMULATOR_DEBUG=1 shows where)", file=sys.stderr)
            if os.environ.get("SIMULATOR_DEBUG"):
                traceback.print_exc()
            log.debug("traceback", exc_info=True)
            outcome.code = EXIT_FAULT


def exit_now(code: int) -> None:
    """End a finished command with `code`, skipping the interpreter's teardown. By now every file
    the command wrote is closed (a run directory is moved into place complete); what is left is
    CPython freeing ~10^5 objects module by module, 0.3-0.4 s a user waits for after every run
    (measured: benchmarks/benchmark.py --users). Logging and the output streams are flushed first.
    Only for a command that returned: a failure still raises and exits the ordinary way. The
    exit handlers do run (joblib's and multiprocessing's shut their worker processes down, so a
    parallel sweep leaves none behind): only the module-by-module teardown is skipped."""
    import atexit
    atexit._run_exitfuncs()  # CPython's own exit handlers, in order, as a normal exit runs them
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said
            pass
    os._exit(code)
