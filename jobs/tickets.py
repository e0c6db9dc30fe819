"""Drawing a confirmed booking's QR codes after the commit (harmless twice: only missing ones)."""


def complete(booking_id: int) -> None:
    from services.tickets import issue

    issue.complete(booking_id)
