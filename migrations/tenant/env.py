"""Tenant schema. With a URL (from `services.schema`) migrates that database; without one (plain
`alembic` use) migrates every tenant in the registry."""
from alembic import context

import models
from migrations.env_common import run

url = context.config.attributes.get("url")
if url is not None:
    run(models.tenant_metadata, url)
else:
    from services import tenants

    for info in tenants.list_tenants():
        run(models.tenant_metadata, info.database_url)
