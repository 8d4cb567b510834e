"""`python -m scheduler`: the scheduler process (app/scheduler/) started from outside the `duban` command."""
