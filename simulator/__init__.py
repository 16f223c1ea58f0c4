"""Trade-flow scenario simulator: Japan's 2019 export licensing curbs on HF, photoresist and FPI
and their effect on Korean fabs. `simulate(params)` runs replications and returns tidy tables."""
from .experiment import Results, simulate
from .params import Params
from .validation import ConfigError

__version__ = "0.1.0"
__all__ = ["simulate", "Results", "Params", "ConfigError", "__version__"]
