"""Control characters are refused at the edge, before any view, with a 400 that says so.

No text a person types contains a NUL byte, another C0 control character or DEL (tab, line feed
and carriage return aside, which multi-line fields hold). PostgreSQL cannot even store a NUL in a text
column, so one in a search box, a login or a name used to end as a 500 deep in some query. We refuse
rather than strip: silently changing what was sent would search for, store or log in with something
the person did not type, and a refusal names the problem plainly."""
from __future__ import annotations

import re

from flask import Flask, abort, request
from flask_babel import gettext as _

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ADDRESS = ""  # _offending_field's answer when the path itself holds one


def _strings(value):
    """Every string in a JSON document: keys and values, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _offending_field() -> str | None:
    """The name of the first field holding a control character, ADDRESS for the path, else None."""
    if _CONTROL.search(request.path):
        return ADDRESS
    has_body = request.method not in ("GET", "HEAD", "OPTIONS")
    for source in (request.args, request.form) if has_body else (request.args,):
        for name, value in source.items(multi=True):
            if _CONTROL.search(name) or _CONTROL.search(value):
                return _CONTROL.sub("?", name) or "?"
    for name, upload in request.files.items(multi=True) if has_body else ():
        if _CONTROL.search(upload.filename or ""):
            return _CONTROL.sub("?", name) or "?"
    if has_body and request.is_json:
        document = request.get_json(silent=True)
        if any(_CONTROL.search(text) for text in _strings(document)):
            return "JSON"
    return None


def refuse_control_characters():
    field = _offending_field()
    if field == ADDRESS:
        abort(400, description=_("The address contains a control character (such as a NUL byte), which no address "
                                 "here may contain. Check the link and try again."))
    if field is not None:
        abort(400, description=_("“%(field)s” contains a control character (such as a NUL byte), which no text here "
                                 "may contain. Remove it and try again.", field=field[:40]))


def init_app(app: Flask) -> None:
    """Register after the site hook, so the refusal is a page in the tenant's own branding (binding
    the tenant reads only the host) and before every view and blueprint hook."""
    app.before_request(refuse_control_characters)
