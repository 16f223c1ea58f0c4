"""Trade-flow scenario simulator: Japan's 2019 export licensing curbs on HF, photoresist and FPI
and their effect on Korean fabs. `simulate(params)` runs replications and returns tidy tables."""
from simulator.experiment import Results, simulate
from simulator.config.params import Params
from simulator.config.validation import ConfigError
from simulator.config.version import __version__
__all__ = ["simulate", "Results", "Params", "ConfigError", "__version__"]
