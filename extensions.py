"""Flask extensions, created unbound and initialised in `create_app()`."""
from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from models import db  # noqa: F401  (one SQLAlchemy handle for the whole app)

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
