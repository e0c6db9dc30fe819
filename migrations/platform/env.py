from alembic import context
from flask import current_app
from sqlalchemy.engine import make_url

import models
from migrations.env_common import run

url = context.config.attributes.get("url") or make_url(current_app.config["PLATFORM_DATABASE_URL"])
run(models.platform_metadata, url)
