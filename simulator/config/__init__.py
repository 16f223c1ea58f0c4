"""Configuration: the typed parameters, their validation, derived facts of the world (calendar,
national demand) and the one module that knows Hydra (`hydra`). Imports nothing else of the
package."""
