"""The platform host: what Jatra is, and the tenants it serves."""
from flask import Blueprint

from blueprints.web import render
from services import tenants

bp = Blueprint("platform", __name__)


@bp.get("/")
def home():
    listed = [t for t in tenants.list_tenants() if t.status != "suspended"]
    return render("platform/home.html", tenants=listed, tenant_url=tenants.tenant_url)
