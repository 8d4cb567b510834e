"""gunicorn settings for Duban's web workers: `gunicorn -c gunicorn.conf.py "app:create_app()"`.

Each setting can be overridden on the command line or in GUNICORN_CMD_ARGS.
"""
import os

bind = os.environ.get("DUBAN_BIND", "127.0.0.1:8000")
#: Synchronous workers, one request each; about two per core.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
#: A request still running after 30 s gets its worker killed; PostgreSQL cancels its statement at 25 s
#: (DATABASE_STATEMENT_TIMEOUT_MS), so the query ends before the worker and nothing keeps running.
timeout = 30
#: On a reload or stop, the requests under way get this long to finish.
graceful_timeout = 30
#: Workers are replaced after this many requests (spread by the jitter), so none grows for ever.
max_requests = 1000
max_requests_jitter = 100
#: Behind a reverse proxy that reuses connections.
keepalive = 5
