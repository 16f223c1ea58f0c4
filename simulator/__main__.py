"""`python -m simulator ...`: see simulator/app/cli.py."""
import sys

from simulator.app.cli import main

sys.exit(main())
