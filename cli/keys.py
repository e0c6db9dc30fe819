"""`flask keys`: a tenant's ticket signing keys (rotate, retire, list)."""
import click
from flask.cli import AppGroup

from services.tenant_db import tenant_context
from services.tenants import TenantError
from services.tickets import keys

keys_cli = AppGroup("keys", help="Ticket signing keys (Ed25519) of a tenant.")
TENANT = click.option("--tenant", "slug", required=True, help="Tenant slug, e.g. rail.")


def _show(key) -> str:
    return f"key {key.id}  {key.status:<8} since {key.created_at:%Y-%m-%d %H:%M} UTC  public {key.public_key}"


@keys_cli.command("rotate")
@TENANT
def rotate(slug):
    """Add a new key that signs from now on; tickets signed before stay valid until their key is retired."""
    try:
        with tenant_context(slug):
            click.echo(f"signing with {_show(keys.rotate())}")
    except TenantError as exc:
        raise click.ClickException(str(exc)) from exc


@keys_cli.command("retire")
@TENANT
@click.argument("kid", type=int)
def retire(slug, kid):
    """Retire a key: it signs nothing more and tickets it signed admit nobody (a lost or leaked key)."""
    try:
        with tenant_context(slug):
            click.echo(f"retired {_show(keys.retire(kid))}")
    except (TenantError, keys.UnknownKey) as exc:
        raise click.ClickException(str(exc)) from exc


@keys_cli.command("list")
@TENANT
def list_(slug):
    try:
        with tenant_context(slug):
            found = keys.listing()
            for key in found:
                click.echo(_show(key))
            if not found:
                click.echo("no key yet: the first confirmed booking makes key 1 (or run `flask keys rotate`)")
    except TenantError as exc:
        raise click.ClickException(str(exc)) from exc
