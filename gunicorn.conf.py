"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

Worker class gthread: each worker process runs a pool of threads, one per request being served.
Live seat maps are server-sent event streams, each holding one thread for as long as a page is open
(but no database connection: blueprints/live.py lets go of it first, and each process has one Redis
subscriber for all its streams). So the pool is sized for streams, not for CPU: 2 workers (one per
core, `WEB_CONCURRENCY`) x 256 threads (`GUNICORN_THREADS`) hold ~500 open streams with room left for
ordinary requests, which Python serves one core per process either way. Measured by bench/live.py on
2 cores: see bench/README.md. gevent is not used: it is not installed, it would have to monkey-patch
psycopg 3 and redis-py, and threads measure well enough here.

`timeout` does not cut streams: for gthread it is the worker's heartbeat to the arbiter, sent by the
worker's main loop while request threads run, so only a wedged process is killed, never a long
request. `graceful_timeout` bounds a restart: open streams are cut then, and their browsers
reconnect (EventSource, `retry: 2000`) to another worker or the new one.
"""
import os

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
threads = int(os.environ.get("GUNICORN_THREADS") or 256)
# Connections per worker, open streams and kept-alive ones together (gthread: at most this many,
# of which `threads` are being served at once).
worker_connections = int(os.environ.get("GUNICORN_CONNECTIONS") or 1000)
backlog = 2048  # an 8 a.m. rush arrives all at once: let the kernel queue connections meanwhile
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # unset: no access log (the proxy keeps one)
errorlog = "-"
