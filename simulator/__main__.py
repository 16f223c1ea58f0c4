"""`python -m simulator ...`: see simulator/app/cli.py."""
from simulator.app.cli import main
from simulator.app.errors import exit_now

exit_now(main())  # main() returns its exit code; no interpreter teardown to wait for
