"""The application layer: the run pipeline, the command line, Hydra callbacks and calibration.
It sits above every other layer and is imported by none of them."""
