"""A tenant's own home page, in its branding."""
from flask import Blueprint, g

from blueprints.web import render

bp = Blueprint("tenant_home", __name__)


@bp.get("/")
def home():
    return render("tenant/home.html", kind=g.tenant.kind)
