"""The gateways' raw messages, kept with their payment (rule 4: every callback stored as it came)."""
from __future__ import annotations

from models import db
from models.base import utcnow
from models.bookings import PaymentMessage
from services import transactions


def _jsonable(payload) -> dict:
    """Form fields and API answers as JSON: multi-dicts flattened, values as text where not plain."""
    if hasattr(payload, "to_dict"):
        payload = payload.to_dict(flat=True)
    return {str(k): v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
            for k, v in dict(payload or {}).items()}


def add(payment_id: int | None, gateway: str, kind: str, verdict: str, payload) -> None:
    """Add to the current transaction (it commits with the change the message led to)."""
    db.session.add(PaymentMessage(payment_id=payment_id, gateway=gateway, kind=kind, verdict=verdict[:16],
                                  payload=_jsonable(payload), created_at=utcnow()))


def record(payment_id: int | None, gateway: str, kind: str, verdict: str, payload) -> None:
    """Keep a message on its own, committed now (whatever happens next)."""
    def unit():
        add(payment_id, gateway, kind, verdict, payload)
        transactions.commit()

    transactions.run(unit)
