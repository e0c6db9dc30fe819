"""Uploaded images: checked (size, real image type, dimensions), stored under the configured media
folder in a subfolder per tenant, named by a random id so a URL never changes meaning and can be
cached for a year."""
from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from services.audit import Actor
from services.events import EventsError
from services.events import catalog
from services.tenant_db import require_tenant

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_SIDE = 6000
MAX_IMAGES = 8


def tenant_media_root(slug: str | None = None) -> Path:
    """The current tenant's media folder: tenants never see each other's files."""
    return Path(current_app.config["MEDIA_FOLDER"]) / (slug or require_tenant().slug)


def check_image(data: bytes) -> str:
    """The file extension of a valid JPEG, PNG or WebP image; else EventsError with the reason."""
    limit = current_app.config["MEDIA_MAX_IMAGE_BYTES"]
    if not data:
        raise EventsError(str(_l("Choose an image file to upload.")), "image")
    if len(data) > limit:
        raise EventsError(str(_l("The image is too large: at most %(mb)s MB.", mb=round(limit / 1024 / 1024, 1))),
                          "image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()  # reads the whole file: a truncated or forged image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise EventsError(str(_l("That file is not an image we can use (JPEG, PNG or WebP).")), "image") from None
    if kind not in FORMATS:
        raise EventsError(str(_l("That file is not an image we can use (JPEG, PNG or WebP).")), "image")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise EventsError(str(_l("The image is too big: at most %(px)s pixels on a side.", px=MAX_SIDE)), "image")
    return FORMATS[kind]


def upload_event_image(event_id: int, stream, *, actor: Actor) -> str:
    """Check, store and attach an image to an event; returns its media path."""
    limit = current_app.config["MEDIA_MAX_IMAGE_BYTES"]
    event = catalog.get_event(event_id)
    if len(event.images) >= MAX_IMAGES:
        raise EventsError(str(_l("An event has at most %(n)s images.", n=MAX_IMAGES)), "image")
    data = stream.read(limit + 1)
    extension = check_image(data)
    relative = f"events/{uuid.uuid4().hex}.{extension}"
    target = tenant_media_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    try:
        catalog.add_image(event.id, relative, actor=actor)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return relative


def remove_event_image(event_id: int, relative: str, *, actor: Actor) -> None:
    catalog.remove_image(event_id, relative, actor=actor)
    (tenant_media_root() / relative).unlink(missing_ok=True)
