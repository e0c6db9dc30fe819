import click
from flask.cli import AppGroup

from services import platform_admins

platform_cli = AppGroup("platform", help="Platform administrators.")


@platform_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option(help="Prompted for when not given.")
def create_admin(email, name, password):
    """Create a platform admin (logs in at /admin/login on the platform host)."""
    try:
        admin = platform_admins.create_admin(email, name, password)
    except platform_admins.PlatformAdminError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created platform admin {admin.email}")
