"""events and attractions: venues, zones, events, ticket types, time slots, seat plans, search

Revision ID: t0004_events
Revises: t0003_rail
Create Date: 2026-11-23 09:45:00

Full-text search objects exist for one dialect each and are not declared by the models (see
`migrations.env_common.include_object`): on PostgreSQL a generated, weighted tsvector column
(title A, description B, venue and category C; the 'simple' configuration so Bangla words are
kept as written) with a GIN index; on SQLite an FTS5 table kept in step by triggers.
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = "t0004_events"
down_revision = "t0003_rail"
branch_labels = None
depends_on = None

_PG_SEARCH = """
ALTER TABLE events ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(description, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(search_extra, '')), 'C')
) STORED;
CREATE INDEX ix_events_search_vector ON events USING gin (search_vector);
"""

_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE events_fts USING fts5(title, description, search_extra,"
    " content='events', content_rowid='id')",
    """CREATE TRIGGER events_fts_ai AFTER INSERT ON events BEGIN
        INSERT INTO events_fts(rowid, title, description, search_extra)
        VALUES (new.id, new.title, new.description, new.search_extra);
    END""",
    """CREATE TRIGGER events_fts_ad AFTER DELETE ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, title, description, search_extra)
        VALUES ('delete', old.id, old.title, old.description, old.search_extra);
    END""",
    """CREATE TRIGGER events_fts_au AFTER UPDATE OF title, description, search_extra ON events BEGIN
        INSERT INTO events_fts(events_fts, rowid, title, description, search_extra)
        VALUES ('delete', old.id, old.title, old.description, old.search_extra);
        INSERT INTO events_fts(rowid, title, description, search_extra)
        VALUES (new.id, new.title, new.description, new.search_extra);
    END""",
]


def upgrade():
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("amenities", models.base.JSONType(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name=op.f("ck_venues_capacity_positive")),
        sa.CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name=op.f("ck_venues_latitude_range")),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name=op.f("ck_venues_longitude_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
        sa.UniqueConstraint("name", name=op.f("uq_venues_name")),
    )
    op.create_table(
        "venue_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name=op.f("ck_venue_zones_capacity_positive")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_venue_zones_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_zones")),
        sa.UniqueConstraint("venue_id", "name", name=op.f("uq_venue_zones_venue_id_name")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("admission", sa.String(length=16), nullable=False),
        sa.Column("images", models.base.JSONType(), nullable=False),
        sa.Column("details", models.base.JSONType(), nullable=False),
        sa.Column("search_extra", sa.Text(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("admission IN ('general', 'timed', 'seated')", name=op.f("ck_events_admission_known")),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'sold_out', 'cancelled', 'completed')",
            name=op.f("ck_events_status_known"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_events_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_events_venue_id_venues"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["venue_zones.id"], name=op.f("fk_events_zone_id_venue_zones"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_category", ["category"], unique=False)
        batch_op.create_index("ix_events_status_starts_at", ["status", "starts_at"], unique=False)

    op.create_table(
        "event_seat_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_seat_plans_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_seat_plans")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_seat_plans_event_id")),
    )
    op.create_table(
        "ticket_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("min_per_order", sa.Integer(), nullable=False),
        sa.Column("max_per_order", sa.Integer(), nullable=False),
        sa.Column("sales_start", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sales_end", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('adult', 'child', 'student', 'senior', 'vip', 'group', 'general')",
            name=op.f("ck_ticket_types_kind_known"),
        ),
        sa.CheckConstraint(
            "min_per_order >= 1 AND max_per_order >= min_per_order", name=op.f("ck_ticket_types_order_limits")
        ),
        sa.CheckConstraint("price >= 0", name=op.f("ck_ticket_types_price_not_negative")),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0", name=op.f("ck_ticket_types_quantity_not_negative")),
        sa.CheckConstraint("quantity IS NULL OR sold + held <= quantity", name=op.f("ck_ticket_types_no_oversell")),
        sa.CheckConstraint(
            "sales_start IS NULL OR sales_end IS NULL OR sales_end > sales_start",
            name=op.f("ck_ticket_types_sales_window_order"),
        ),
        sa.CheckConstraint("sold >= 0 AND held >= 0", name=op.f("ck_ticket_types_counts_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_ticket_types_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_types")),
        sa.UniqueConstraint("event_id", "name", name=op.f("uq_ticket_types_event_id_name")),
    )
    op.create_table(
        "time_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_time_slots_capacity_not_negative")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_time_slots_ends_after_start")),
        sa.CheckConstraint("sold + held <= capacity", name=op.f("ck_time_slots_no_oversell")),
        sa.CheckConstraint("sold >= 0 AND held >= 0", name=op.f("ck_time_slots_counts_not_negative")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_time_slots_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_slots")),
        sa.UniqueConstraint("event_id", "starts_at", name=op.f("uq_time_slots_event_id_starts_at")),
    )
    op.create_table(
        "event_price_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seat_plan_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("color", sa.String(length=9), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_event_price_categories_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["seat_plan_id"],
            ["event_seat_plans.id"],
            name=op.f("fk_event_price_categories_seat_plan_id_event_seat_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_price_categories")),
        sa.UniqueConstraint("seat_plan_id", "name", name=op.f("uq_event_price_categories_seat_plan_id_name")),
    )
    op.create_table(
        "event_seat_sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seat_plan_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("seats_per_row", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "rows BETWEEN 1 AND 100 AND seats_per_row BETWEEN 1 AND 200", name=op.f("ck_event_seat_sections_grid_size")
        ),
        sa.ForeignKeyConstraint(
            ["seat_plan_id"],
            ["event_seat_plans.id"],
            name=op.f("fk_event_seat_sections_seat_plan_id_event_seat_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_seat_sections")),
        sa.UniqueConstraint("seat_plan_id", "name", name=op.f("uq_event_seat_sections_seat_plan_id_name")),
    )
    op.create_table(
        "event_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.CheckConstraint("status IN ('available', 'blocked')", name=op.f("ck_event_seats_status_known")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["event_price_categories.id"],
            name=op.f("fk_event_seats_category_id_event_price_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["event_seat_sections.id"],
            name=op.f("fk_event_seats_section_id_event_seat_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_seats")),
        sa.UniqueConstraint("section_id", "row", "number", name=op.f("uq_event_seats_section_id_row_number")),
    )
    with op.batch_alter_table("event_seats", schema=None) as batch_op:
        batch_op.create_index("ix_event_seats_category_id", ["category_id"], unique=False)

    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_SEARCH)
    elif dialect == "sqlite":
        for statement in _SQLITE_SEARCH:
            op.execute(statement)


def downgrade():
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for name in ("events_fts_au", "events_fts_ad", "events_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS events_fts")
    with op.batch_alter_table("event_seats", schema=None) as batch_op:
        batch_op.drop_index("ix_event_seats_category_id")

    op.drop_table("event_seats")
    op.drop_table("event_seat_sections")
    op.drop_table("event_price_categories")
    op.drop_table("time_slots")
    op.drop_table("ticket_types")
    op.drop_table("event_seat_plans")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_status_starts_at")
        batch_op.drop_index("ix_events_category")

    op.drop_table("events")
    op.drop_table("venue_zones")
    op.drop_table("venues")
