"""Trade-flow scenario simulator: Japan's 2019 export licensing curbs on HF, photoresist and FPI
and their effect on Korean fabs. `simulate(params)` runs replications and returns tidy tables.

`simulate` and `Results` are imported on first use (PEP 562): the command lines' start-up, their
--help and their refusals, need neither pandas nor the model."""
from simulator.config.params import Params
from simulator.config.validation import ConfigError
from simulator.config.version import __version__

__all__ = ["simulate", "Results", "Params", "ConfigError", "__version__"]


def __getattr__(name: str):
    if name in ("simulate", "Results"):
        from simulator import experiment
        return getattr(experiment, name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
