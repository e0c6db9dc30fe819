"""Data shapes, one module per area. Importing this package registers every model."""
from models.base import TenantModel, db, platform_metadata, tenant_metadata  # noqa: F401
from models import platform  # noqa: F401
from models import people  # noqa: F401
from models import customers  # noqa: F401
from models import sessions  # noqa: F401
from models import rail  # noqa: F401
from models import events  # noqa: F401
from models import sales  # noqa: F401
from models import bookings  # noqa: F401
from models import messaging  # noqa: F401
from models import gate  # noqa: F401
