"""The stories gen-scenario can write, one module each. A story module
declares NAME (the --scenario value), TITLE, CONFIG (the config file whose
zones and policy it is written for), OUT (the default capture path), SEED,
the docstring that tells it, and build(seed), which returns the filled
Scenario. Adding a story is adding a module and one line here."""
from . import angers, grand_angouleme

STORIES = {m.NAME: m for m in (grand_angouleme, angers)}
DEFAULT = grand_angouleme.NAME
