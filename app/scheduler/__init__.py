"""The one scheduler process: its static jobs, each a thin call into the services, and the tick.

Inside ``app`` so that ``duban scheduler`` (app/commands.py) needs nothing outside it; the top-level
``scheduler`` package is only ``python -m scheduler``.
"""
