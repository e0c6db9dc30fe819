"""the gate: gates as staff opened them (what each admits), every scan made there (by which device;
admitted, refused with its reason, exits; offline scans once per device and client id), and the
ticket's check-in (the gate it went in at; out again after an exit scan)

Revision ID: t0011_gate
Revises: t0010_tickets_messages
Create Date: 2026-12-05 21:20:12.344789
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = "t0011_gate"
down_revision = 't0010_tickets_messages'
branch_labels = None
depends_on = None

CONFLICT = "result = 'admitted' AND reason IS NOT NULL"


def upgrade():
    op.create_table('gates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('current_slot_only', sa.Boolean(), nullable=False),
    sa.Column('grace_minutes', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=True),
    sa.Column('board_seq', sa.Integer(), nullable=True),
    sa.Column('allows_exit', sa.Boolean(), nullable=False),
    sa.Column('opened_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind <> 'timed' OR day IS NOT NULL", name=op.f('ck_gates_timed_has_day')),
    sa.CheckConstraint("kind <> 'trip' OR (trip_id IS NOT NULL AND board_seq IS NOT NULL AND event_id IS NULL)",
                       name=op.f('ck_gates_trip_named')),
    sa.CheckConstraint("kind = 'trip' OR (event_id IS NOT NULL AND trip_id IS NULL)",
                       name=op.f('ck_gates_event_named')),
    sa.CheckConstraint("kind IN ('event', 'timed', 'trip')", name=op.f('ck_gates_kind_known')),
    sa.CheckConstraint('grace_minutes BETWEEN 0 AND 240', name=op.f('ck_gates_grace_range')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_gates_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_gates_staff_id_staff_members'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_gates_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gates'))
    )
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.create_index('ix_gates_opened', ['opened_at'], unique=False)

    op.create_table('scans',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gate_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('scanned_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.CheckConstraint("direction IN ('entry', 'exit')", name=op.f('ck_scans_direction_known')),
    sa.CheckConstraint("result <> 'rejected' OR reason IS NOT NULL", name=op.f('ck_scans_rejection_has_reason')),
    sa.CheckConstraint("result IN ('admitted', 'rejected', 'exited')", name=op.f('ck_scans_result_known')),
    sa.ForeignKeyConstraint(['gate_id'], ['gates.id'], name=op.f('fk_scans_gate_id_gates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_scans_staff_id_staff_members'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_scans_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index('uq_scans_device_client', ['device_id', 'client_id'], unique=True,
                              postgresql_where=sa.text('client_id IS NOT NULL'),
                              sqlite_where=sa.text('client_id IS NOT NULL'))
        batch_op.create_index('ix_scans_conflicts', ['recorded_at'], unique=False,
                              postgresql_where=sa.text(CONFLICT), sqlite_where=sa.text(CONFLICT))
        batch_op.create_index('ix_scans_gate_result', ['gate_id', 'result', 'reason'], unique=False)
        batch_op.create_index('ix_scans_ticket', ['ticket_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('used_gate_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('exited_at', models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tickets_used_gate_id_gates'), 'gates', ['used_gate_id'], ['id'],
                                    ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_used_gate_id_gates'), type_='foreignkey')
        batch_op.drop_column('exited_at')
        batch_op.drop_column('used_gate_id')

    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_ticket')
        batch_op.drop_index('ix_scans_gate_result')
        batch_op.drop_index('ix_scans_conflicts')
        batch_op.drop_index('uq_scans_device_client')

    op.drop_table('scans')
    with op.batch_alter_table('gates', schema=None) as batch_op:
        batch_op.drop_index('ix_gates_opened')

    op.drop_table('gates')
