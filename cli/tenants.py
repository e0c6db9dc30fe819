import click
from flask import current_app
from flask.cli import AppGroup

from models.platform import TENANT_KINDS
from services import tenants

tenants_cli = AppGroup("tenants", help="Create, list, suspend and resume tenants.")


def _fail(exc: Exception):
    raise click.ClickException(str(exc))


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name, e.g. 'Dhaka Zoo'.")
@click.option("--kind", type=click.Choice(TENANT_KINDS), required=True)
@click.option("--database-url", default=None,
              help="An existing empty database to use; default: a new one beside the platform's.")
@click.option("--domain", default=None, help="A custom host name of its own.")
def create(slug, name, kind, database_url, domain):
    """Create the tenant's database, migrate it and register it."""
    try:
        info = tenants.create_tenant(slug, name, kind, database_url=database_url, custom_domain=domain)
    except tenants.TenantError as exc:
        _fail(exc)
    click.echo(f"created {info.slug} ({info.kind}) at {tenants.tenant_url(info)}")


@tenants_cli.command("list")
def list_():
    """Every tenant with its kind, status and address (never its database password)."""
    rows = tenants.list_tenants()
    if not rows:
        click.echo("no tenants yet: flask tenants create SLUG --name NAME --kind rail|events")
    for info in rows:
        url = info.database_url.render_as_string(hide_password=True)
        click.echo(f"{info.slug:<12} {info.kind:<7} {info.status:<12} {tenants.tenant_url(info):<36} {url}")


def _status_command(name: str, status: str, help_text: str):
    @tenants_cli.command(name, help=help_text)
    @click.argument("slug")
    def command(slug):
        try:
            info = tenants.set_status(slug, status)
        except tenants.TenantError as exc:
            _fail(exc)
        click.echo(f"{info.slug} is now {info.status}")

    return command


_status_command("suspend", "suspended", "Serve a 'temporarily unavailable' page instead of the site.")
_status_command("resume", "active", "Back to normal: pages and sales.")
_status_command("maintenance", "maintenance", "Show pages with a banner and refuse sales.")


@tenants_cli.command("health")
def health():
    """Check every tenant's database now and record the result."""
    from jobs.queue import enqueue

    for info in tenants.list_tenants():
        job = enqueue("jobs.health.check_tenant", tenant=info.slug)
        click.echo(f"{info.slug:<12} {job.return_value() or 'queued'}")


@tenants_cli.command("gateway")
@click.argument("slug")
@click.argument("gateway", type=click.Choice(("sslcommerz", "bkash")))
@click.option("--mode", type=click.Choice(("live", "sandbox", "simulator")), default="live", show_default=True,
              help="live: real money; sandbox: the gateway's public sandbox; simulator: the local one.")
@click.option("--base-url", default=None, help="Another base URL than the mode's own.")
@click.option("--credential", "credentials", multiple=True, metavar="KEY=VALUE",
              help="sslcommerz: store_id, store_passwd; bkash: app_key, app_secret, username, password.")
@click.option("--disable", is_flag=True, help="Keep the settings but offer the gateway to nobody.")
def gateway(slug, gateway, mode, base_url, credentials, disable):
    """Set a tenant's payment gateway (credentials are sealed, never stored plain)."""
    from services.checkout.gateways import CREDENTIAL_KEYS, GatewayMisconfigured, seal_settings

    values = dict(c.split("=", 1) for c in credentials if "=" in c)
    missing = [k for k in CREDENTIAL_KEYS[gateway] if not values.get(k)]
    if missing:
        _fail(click.UsageError(f"missing --credential {', '.join(k + '=...' for k in missing)}"))
    try:
        info = tenants.get(slug)
        if current_app.config["JATRA_ENV"] == "production" and mode != "live" and not info.features.get("test"):
            raise GatewayMisconfigured(f"production refuses --mode {mode} for {slug}, which is not marked test")
        settings = seal_settings(info.slug, gateway, enabled=not disable, mode=mode, credentials=values,
                                 base_url=base_url)
        tenants.update_config(info.slug, payment_gateways={gateway: settings})
    except (tenants.TenantError, GatewayMisconfigured) as exc:
        _fail(exc)
    click.echo(f"{slug}: {gateway} {'disabled' if disable else 'enabled'} ({mode})")


def _disable_channel(slug: str, channel: str) -> None:
    """Keep the channel's settings but send nothing through them (messages fail as not configured)."""
    info = tenants.get(slug)
    tenants.update_config(info.slug, message_channels={channel: {**info.message_channels.get(channel, {}),
                                                                  "enabled": False}})


@tenants_cli.command("sms")
@click.argument("slug")
@click.argument("provider", type=click.Choice(("sslwireless",)))
@click.option("--url", default="https://smsplus.sslwireless.com", show_default=True,
              help="The provider's API address (the account's own, when it has one).")
@click.option("--sid", default=None, help="The sender id (masking or stakeholder id) the provider gave.")
@click.option("--credential", "credentials", multiple=True, metavar="KEY=VALUE", help="sslwireless: api_token.")
@click.option("--disable", is_flag=True, help="Keep the settings but send no SMS through them.")
def sms(slug, provider, url, sid, credentials, disable):
    """Set a tenant's SMS provider (the API token is sealed, never stored plain)."""
    from services.notify.channels import ChannelError, seal_sms

    try:
        if disable:
            _disable_channel(slug, "sms")
        else:
            settings = seal_sms(tenants.get(slug).slug, provider=provider, url=url, sid=sid,
                                credentials=dict(c.split("=", 1) for c in credentials if "=" in c))
            tenants.update_config(slug, message_channels={"sms": settings})
    except (tenants.TenantError, ChannelError) as exc:
        _fail(exc)
    click.echo(f"{slug}: SMS {'disabled' if disable else f'through {provider} at {url} as {sid}'}")


@tenants_cli.command("email")
@click.argument("slug")
@click.option("--host", default=None, help="The SMTP server.")
@click.option("--security", type=click.Choice(("starttls", "tls", "none")), default="starttls", show_default=True,
              help="starttls: upgrade a plain connection (port 587); tls: TLS from the start (465); none: plain.")
@click.option("--port", type=int, default=None, help="Default: 587, 465 or 25 by --security.")
@click.option("--from", "sender", default=None, help='The From address, e.g. "Dhaka Zoo <tickets@zoo.example>".')
@click.option("--username", default=None, help="Log in as this user (the password is asked for when not given).")
@click.option("--password", default=None, help="The SMTP password (sealed).")
@click.option("--disable", is_flag=True, help="Keep the settings but send no email through them.")
def email(slug, host, security, port, sender, username, password, disable):
    """Set a tenant's SMTP server for email (the password is sealed, never stored plain)."""
    from services.notify.channels import ChannelError, seal_email
    from services.notify.smtp import DEFAULT_PORTS

    if not disable and not (host and sender):
        _fail(click.UsageError("missing --host and --from"))
    if username and password is None and not disable:
        password = click.prompt("SMTP password", hide_input=True)
    try:
        if disable:
            _disable_channel(slug, "email")
        else:
            port = port or DEFAULT_PORTS[security]
            settings = seal_email(tenants.get(slug).slug, host=host, port=port, security=security, sender=sender,
                                  username=username, password=password)
            tenants.update_config(slug, message_channels={"email": settings})
    except (tenants.TenantError, ChannelError) as exc:
        _fail(exc)
    click.echo(f"{slug}: email {'disabled' if disable else f'through {host}:{port} ({security}) from {sender}'}")


# Settings an operator may change here, each with how its value is read from the command line.
SETTINGS = {
    "hold_minutes": int, "advance_sale_days": int, "max_seats_per_booking": int, "max_event_seats_per_order": int,
    "timezone": str, "currency": str, "booking_prefix": str, "vat_percent": float,
    "service_charge_per_ticket": float, "service_charge_percent": float, "refund_policy": "json",
}


@tenants_cli.command("set")
@click.argument("slug")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
def set_settings(slug, pairs):
    """Change a tenant's settings, e.g. `vat_percent=15 service_charge_per_ticket=20`, or
    `refund_policy='[{"hours": 24, "inclusive": true, "percent": 0}]'` (see services/checkout/policy.py)."""
    import json

    from services.checkout.policy import validated

    values = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        kind = SETTINGS.get(key)
        if kind is None:
            _fail(click.UsageError(f"unknown setting {key!r}; one of: {', '.join(sorted(SETTINGS))}"))
        try:
            value = json.loads(raw) if kind == "json" else kind(raw)
            values[key] = validated(value) if key == "refund_policy" else value
        except ValueError as exc:
            _fail(click.UsageError(f"{key}: {exc}"))
    try:
        tenants.update_config(tenants.get(slug).slug, settings=values)
    except tenants.TenantError as exc:
        _fail(exc)
    click.echo(f"{slug}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
