"""Experiments: the layer between the core and the screens.

`scenario` validates a scenario (a surface, runs, steps, a fate map or sweep) and runs it on the
core (`surfaces/`, `optimizers/`); `analysis` measures what the runs did (step lengths, bursts,
distance to the minima); `records` writes results as CSV/JSON; `tour` holds the lecture's scenes
as scenarios. NumPy only: `views/` and `ui/` (the screens), `cli.py` and the tests read these,
and nothing here imports them.
"""
