"""Experiments: arms x seeds of searches (``plan``: the TOML plan, its checks and the run
directories), run and compared (``run``). Above the engine and the report: the engine never
imports this package."""
