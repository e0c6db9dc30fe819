"""Tickets a gate can trust without asking the server (rule 5): each ticket carries a payload signed
with the tenant's Ed25519 key (keys.py, payload.py), drawn once as a QR code (qr.py); the customer
gets them as a page, a PDF (pdf.py) and a calendar entry (calendar.py)."""
