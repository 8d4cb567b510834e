"""The scheduler process: APScheduler with its job store in the application database."""
