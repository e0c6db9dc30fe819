"""The built-in wording of every message, in English here and in Bangla in the catalogue.
Jinja variables in double braces; the variables each message may use are listed in templates.py."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# kind -> {"sms": body, "email": (subject, body)}
BUILTIN = {
    "booking_confirmed": {
        "sms": _l("{{ reference }} confirmed{{ pnr_note }}: {{ title }}, {{ when }}. {{ seats }}. "
                  "Tickets: {{ tickets_link }}"),
        "email": (_l("Your tickets: {{ reference }}, {{ title }}"),
                  _l("Dear {{ name }},\n\nYour booking {{ reference }}{{ pnr_note }} is confirmed.\n\n{{ details }}\n\n"
                     "Total paid: {{ total }}\n\nYour tickets are attached as a PDF and are online at "
                     "{{ tickets_link }}. Show the QR code at the gate, on paper or on your phone.\n\n{{ site }}")),
    },
    "reminder": {
        "sms": _l("Reminder: {{ title }}, {{ when }}. {{ seats }}. Tickets: {{ tickets_link }}"),
        "email": (_l("Tomorrow: {{ title }}"),
                  _l("Dear {{ name }},\n\nA reminder of your booking {{ reference }}: {{ title }}, {{ when }}.\n\n"
                     "{{ details }}\n\nYour tickets: {{ tickets_link }}\n\n{{ site }}")),
    },
    "payment_failed": {
        "sms": _l("Your payment for {{ title }} did not go through. Your seats are held until {{ hold_until }}: "
                  "try again at {{ link }}"),
        "email": (_l("Payment did not go through: {{ title }}"),
                  _l("Dear {{ name }},\n\nYour payment of {{ total }} for {{ title }} did not go through, and "
                     "nothing was taken. Your seats are held until {{ hold_until }}: you can try again at "
                     "{{ link }}\n\n{{ site }}")),
    },
    "booking_cancelled": {
        "sms": _l("{{ reference }} ({{ title }}) is cancelled.{{ refund_note }} {{ link }}"),
        "email": (_l("Cancelled: {{ reference }}"),
                  _l("Dear {{ name }},\n\n{{ reference }} ({{ title }}, {{ when }}) is cancelled.{{ refund_note }}\n\n"
                     "{{ details }}\n\n{{ link }}\n\n{{ site }}")),
    },
    "refund_done": {
        "sms": _l("{{ amount }} has been refunded for {{ reference }}. {{ link }}"),
        "email": (_l("Refund made: {{ reference }}"),
                  _l("Dear {{ name }},\n\n{{ amount }} has been refunded for {{ reference }} ({{ title }}). "
                     "It reaches your account in the time your bank or wallet takes.\n\n{{ link }}\n\n{{ site }}")),
    },
    "late_refund": {
        "sms": _l("Your payment for {{ title }} came after the hold had ended and the seats were taken. "
                  "We are refunding {{ total }} in full. {{ link }}"),
        "email": (_l("Payment refunded: {{ title }}"),
                  _l("Dear {{ name }},\n\nYour payment for {{ title }} came after your hold had ended, and the "
                     "seats had been taken meanwhile. We are refunding {{ total }} in full; nothing is kept.\n\n"
                     "{{ link }}\n\n{{ site }}")),
    },
}

KIND_NAMES = {
    "booking_confirmed": _l("Booking confirmed (with the tickets)"),
    "reminder": _l("Reminder, 24 hours before"),
    "payment_failed": _l("Payment failed"),
    "booking_cancelled": _l("Booking cancelled"),
    "refund_done": _l("Refund made"),
    "late_refund": _l("Late payment refunded"),
}

COMMON = ("site", "name", "reference", "title", "when", "link")
VARIABLES = {
    "site": _l("The operator's name"),
    "name": _l("The contact's name"),
    "reference": _l("The booking reference, e.g. ZOO-2026-000123"),
    "pnr_note": _l("' (PNR …)' for train bookings, else nothing"),
    "title": _l("The train and stretch, or the event"),
    "when": _l("Local date and time of departure or entry"),
    "place": _l("The boarding station or the venue"),
    "seats": _l("The seats or tickets, e.g. 'KA-12, KA-13'"),
    "details": _l("One line per ticket (email)"),
    "total": _l("The amount paid"),
    "amount": _l("The amount refunded"),
    "refund_note": _l("' A refund of … is on its way.' when there is one"),
    "hold_until": _l("When the hold ends (local time)"),
    "link": _l("The booking page"),
    "tickets_link": _l("The tickets page"),
}
KIND_VARIABLES = {
    "booking_confirmed": COMMON + ("pnr_note", "place", "seats", "details", "total", "tickets_link"),
    "reminder": COMMON + ("pnr_note", "place", "seats", "details", "tickets_link"),
    "payment_failed": COMMON + ("total", "hold_until", "seats"),
    "booking_cancelled": COMMON + ("refund_note", "seats", "details"),
    "refund_done": COMMON + ("amount",),
    "late_refund": COMMON + ("total",),
}
