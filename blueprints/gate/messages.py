"""What the gate says, in the staff member's language: the verdict's title and each reason's
sentence. The same texts go to the console as JSON for its offline verdicts."""
from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.gate.checkin import Outcome
from services.rail.trip_stops import tenant_zone

REASON_TEXTS = {
    "unreadable": _l("Not a ticket of ours: the code cannot be read."),
    "other_operator": _l("Another operator's ticket."),
    "unknown_key": _l("Signed with a key we do not know (retired or never ours)."),
    "bad_signature": _l("Forged or altered: the signature does not match."),
    "unknown_ticket": _l("No ticket with this number."),
    "wrong_event": _l("For another event."),
    "wrong_trip": _l("For another train."),
    "wrong_date": _l("For another day: %(day)s."),
    "wrong_station": _l("Boards at another station: %(station)s."),
    "wrong_slot": _l("Entry slot %(starts)s–%(ends)s is over."),
    "not_yet_open": _l("Not yet open: entry from %(starts)s."),
    "already_used": _l("Already used at %(gate)s, %(at)s, by %(by)s."),
    "cancelled": _l("Cancelled."),
    "refunded": _l("Refunded."),
    "expired": _l("Expired."),
    "not_inside": _l("Not inside: no entry to leave from."),
}
# Short names of the reasons, for counters and reports.
REASON_LABELS = {
    "unreadable": _l("Unreadable"), "other_operator": _l("Another operator"), "unknown_key": _l("Unknown key"),
    "bad_signature": _l("Forged"), "unknown_ticket": _l("Unknown ticket"), "wrong_event": _l("Wrong event"),
    "wrong_trip": _l("Wrong train"), "wrong_date": _l("Wrong day"), "wrong_station": _l("Wrong station"),
    "wrong_slot": _l("Slot over"), "not_yet_open": _l("Too early"), "already_used": _l("Already used"),
    "cancelled": _l("Cancelled"), "refunded": _l("Refunded"), "expired": _l("Expired"), "not_inside": _l("Not inside"),
}
TITLES = {"admitted": _l("VALID"), "rejected": _l("NOT VALID"), "exited": _l("EXIT")}


def offline_texts() -> dict:
    """The console's texts, placeholders left in, for verdicts it gives without the server."""
    return {
        "reasons": {code: str(text) for code, text in REASON_TEXTS.items()},
        "valid": str(TITLES["admitted"]), "not_valid": str(TITLES["rejected"]), "exit": str(TITLES["exited"]),
        "online": _("Online"), "offline": _("Offline — %(n)s scans waiting"),
        "offline_one": _("Offline — 1 scan waiting"), "syncing": _("Syncing…"),
        "offline_ready": _("Offline — scans are checked on this device"),
        "this_device": _("this device"), "camera_start": _("Start camera"), "camera_stop": _("Stop camera"),
        "camera_denied": _("The camera is not available: allow it in the browser, or use a scanner or type "
                           "the number."),
        "conflict": _("Admitted offline, but: %(reason)s"),
    }


def _hhmm(moment) -> str:
    """07:02 on the tenant's clock (as the offline data writes it; cheaper than Babel on every scan)."""
    return moment.astimezone(tenant_zone()).strftime("%H:%M") if moment else ""


def reason_text(outcome: Outcome) -> str:
    if outcome.reason is None:
        return ""
    facts = outcome.facts
    values = {"day": format_date(facts["day"], "medium") if "day" in facts else "",
              "station": facts.get("station", ""), "starts": _hhmm(facts.get("starts_at")),
              "ends": _hhmm(facts.get("ends_at")), "gate": "", "at": "", "by": ""}
    if outcome.first is not None:
        values.update(gate=outcome.first.gate, at=_hhmm(outcome.first.at), by=outcome.first.by)
    return str(REASON_TEXTS[outcome.reason]) % values


def detail(outcome: Outcome) -> str:
    """'Adult, seat KA-12, Rahim U.': what the guard compares with the person in front of them."""
    parts = []
    if outcome.claims is not None and outcome.claims.label:
        parts.append(outcome.claims.label)
    if outcome.holder:
        words = outcome.holder.split()
        parts.append(" ".join(words[:1] + [w[0] + "." for w in words[1:2]]))
    return ", ".join(parts)


def as_json(outcome: Outcome) -> dict:
    first = outcome.first
    message = reason_text(outcome)
    if outcome.conflict:
        message = _("Admitted offline, but: %(reason)s", reason=message)
    return {
        "result": outcome.result, "reason": outcome.reason, "title": str(TITLES[outcome.result]),
        "message": message, "detail": detail(outcome), "ticket": outcome.number, "ticket_id": outcome.ticket_id,
        "first": {"gate": first.gate, "at": _hhmm(first.at), "by": first.by} if first else None,
        "scan_id": outcome.scan_id, "conflict": outcome.conflict,
        **({"id": outcome.client_id} if outcome.client_id else {}),
    }
