"""`flask` commands: thin wrappers that parse arguments and call one service each."""
from flask import Flask


def register(app: Flask) -> None:
    from cli.demo import demo_cli
    from cli.keys import keys_cli
    from cli.platform import platform_cli
    from cli.schema import schema_cli
    from cli.staff import staff_cli
    from cli.tenants import tenants_cli

    for group in (tenants_cli, schema_cli, demo_cli, staff_cli, platform_cli, keys_cli):
        app.cli.add_command(group)
