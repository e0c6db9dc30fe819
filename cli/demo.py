import click
from flask.cli import AppGroup

from services import demo, tenants

demo_cli = AppGroup("demo", help="Demo tenants and data.")


@demo_cli.command("seed")
def seed():
    """Create the demo tenants rail, zoo and fort with their data (safe to run again)."""
    for line in demo.seed() or ["demo data already in place"]:
        click.echo(line)
    for info in tenants.list_tenants():
        click.echo(f"  {info.name:<22} {tenants.tenant_url(info)}")
