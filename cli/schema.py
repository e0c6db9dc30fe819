import tempfile
from pathlib import Path

import click
from alembic import command
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from services import schema

schema_cli = AppGroup("schema", help="Migrate the platform and tenant databases.")


@schema_cli.command("upgrade")
def upgrade():
    """Upgrade the platform database and every tenant database to the current schema."""
    done, failed = schema.upgrade_all()
    click.echo(f"platform upgraded; tenants upgraded: {', '.join(done) or 'none'}")
    for slug, why in failed.items():
        click.echo(f"tenant {slug} NOT upgraded: {why}", err=True)
    if failed:
        raise SystemExit(1)


@schema_cli.command("grant-app-role")
@click.argument("role")
def grant_app_role(role):
    """As the schema owner, let ROLE (the app's login role) read and write what the app does, read
    and append to the audit log, and nothing more, on the registry and every tenant database."""
    try:
        done = schema.grant_app_role_everywhere(role)
    except schema.GrantError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{role} may now work as the app on: {', '.join(done)}")


@schema_cli.command("revision")
@click.argument("which", type=click.Choice(sorted(schema.SCHEMAS)))
@click.option("-m", "--message", required=True)
@click.option("--rev-id", default=None, help="A readable revision id, e.g. t0002_people.")
@click.option("--url", default=None, help="A scratch database to compare against (default: a temporary SQLite file).")
def revision(which, message, rev_id, url):
    """Autogenerate a revision from the models against a scratch database at the current head."""
    with tempfile.TemporaryDirectory() as tmp:
        target = make_url(url) if url else make_url(f"sqlite:///{Path(tmp) / 'scratch.sqlite3'}")
        cfg = schema.alembic_config(which, target)
        command.upgrade(cfg, "heads")
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
