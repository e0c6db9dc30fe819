"""The gate console for staff: open a gate (its name, what it admits), scan tickets by camera,
hardware scanner or typed number, online or offline; counters per gate; the admin's view of every
gate and the conflicts report. Under /staff/gate. The scan API (api.py) answers JSON to the
console's script, authenticated by the gate's token rather than the login session."""
from flask import Blueprint

bp = Blueprint("gate", __name__, url_prefix="/staff/gate")

from blueprints.gate import api, views  # noqa: E402,F401
