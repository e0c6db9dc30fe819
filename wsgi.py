"""WSGI entry point for gunicorn: `gunicorn wsgi:app`. Production only.

A server process never runs the development set-up (outbox page, generated secrets, SQLite): with
no JATRA_ENV it is production, which refuses to start until the secrets and servers are set, and
development or testing are refused here outright. `make run` is the development server.
"""
import os

from dotenv import load_dotenv

load_dotenv()

from app import create_app  # noqa: E402
from config import ConfigError  # noqa: E402

env = os.environ.get("JATRA_ENV") or "production"
if env != "production":
    raise ConfigError(f"wsgi.py serves production only, but JATRA_ENV is {env!r}: "
                      "unset it or set JATRA_ENV=production (for development use `make run`)")

app = create_app({"JATRA_ENV": "production"})
