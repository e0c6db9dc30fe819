import click
from flask.cli import AppGroup

from models.people import STAFF_ROLES
from services import staff as staff_service
from services.audit import Actor
from services.tenant_db import tenant_context
from services.tenants import TenantError

staff_cli = AppGroup("staff", help="Staff accounts of a tenant.")


@staff_cli.command("create")
@click.option("--tenant", "slug", required=True, help="Tenant slug, e.g. zoo.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(STAFF_ROLES), default="admin", show_default=True)
@click.password_option(help="Prompted for when not given.")
def create(slug, email, name, role, password):
    """Create a staff account (the first admin of a new tenant, typically)."""
    try:
        with tenant_context(slug):
            member = staff_service.create_staff(email, name, role, password, actor=Actor.system("flask staff create"))
            click.echo(f"created {member.role} {member.email} on {slug}")
    except (staff_service.StaffError, TenantError) as exc:
        raise click.ClickException(str(exc)) from exc
