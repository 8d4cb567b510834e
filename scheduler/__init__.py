"""The scheduler process (one for the whole system): its static jobs, one tick of deadline work, `duban scheduler`.

It drives the application and is never imported by it.
"""
