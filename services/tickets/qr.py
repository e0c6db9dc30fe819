"""Drawing a ticket's QR code, once (it is stored with the ticket, not drawn per page view).

segno, not qrcode: segno was pinned already, has no dependencies, picks the alphanumeric mode for
a base45 payload by itself, lets us fix error correction M without boosting it (so we know the
version we get), and writes a compact single-path SVG that prints and zooms sharp.
"""
from __future__ import annotations

import functools
import io

import segno

ERROR = "m"
MAX_VERSION = 10


def make(payload: str) -> segno.QRCode:
    code = segno.make(payload, error=ERROR, boost_error=False, micro=False)
    if code.version > MAX_VERSION:  # a payload layout change that would make codes hard to scan
        raise ValueError(f"QR version {code.version} is above {MAX_VERSION}")
    return code


@functools.lru_cache(maxsize=512)
def matrix(payload: str) -> tuple[tuple[int, ...], ...]:
    """The modules, dark = 1, without the quiet zone (kept for the last few hundred payloads: a PDF
    drawn again for the same tickets does not compute its codes again)."""
    return tuple(tuple(row) for row in make(payload).matrix)


def svg(payload: str, title: str = "") -> str:
    """An inline SVG (no XML declaration), scalable: width and height come from the page's CSS."""
    out = io.BytesIO()
    make(payload).save(out, kind="svg", xmldecl=False, svgns=True, nl=False, border=4, scale=1,
                       omitsize=True, svgclass="qr", lineclass=None, title=title or None, dark="#000")
    return out.getvalue().decode()


def png(payload: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    make(payload).save(out, kind="png", border=4, scale=scale)
    return out.getvalue()
