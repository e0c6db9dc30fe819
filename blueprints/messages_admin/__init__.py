"""Staff pages for the messages customers are sent: the notifications log (queued, sent, failed,
attempts, the provider's answer; resending one) and the tenant's message templates (SMS text, email
subject and body, per language) with a live preview. Under /staff/messages."""
from flask import Blueprint

bp = Blueprint("messages_admin", __name__, url_prefix="/staff/messages")

from blueprints.messages_admin import views  # noqa: E402,F401
