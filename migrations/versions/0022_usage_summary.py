"""Usage summary (issue 14): the usage report's figures per local month, kept ahead of time by a trigger.

Two APPEND-ONLY delta tables: per space, group and local (Europe/Berlin) month the confirmed bookings that start
in that month, their public ones, the declined ones that start in it, and the confirmed seconds inside it; and per
month and heat-grid cell (weekday * 24 + wall hour, as spaces.core.usage) the confirmed seconds. A row trigger on
bookings inserts the negative figures of the old row (if it counted: confirmed or declined) and the positive ones
of the new row, cut at local month boundaries and the heat at UTC hours (Berlin's offsets are whole hours, so a
UTC hour is a wall hour). It only inserts: no shared row is ever updated, so bookings of different spaces never
wait for each other. The sum of the rows of a key is its figure; usage_compact() folds them (cron, hourly),
usage_rebuild() computes both tables from the bookings again (bulk loads: spaces/dev/synthetic.py).

The report reads the whole months of a period from here and the rest (the partial months at either edge, the
bookings crossing into the whole months) from the bookings, through the partial GiST index ix_bookings_usage.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

LOCK_KEY = 140_022  # pg_advisory_xact_lock: one compaction or rebuild at a time (spaces/planning/usage/summary.py)


def upgrade():
    op.create_table(
        'usage_month_figures',
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('confirmed', sa.Integer(), nullable=False),
        sa.Column('public', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('declined', sa.Integer(), nullable=False),
    )
    op.create_index('ix_usage_month_figures_month', 'usage_month_figures', ['month'])
    op.create_table(
        'usage_month_heat',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('cell', sa.SmallInteger(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
    )
    op.create_index('ix_usage_month_heat_month', 'usage_month_heat', ['month'])
    # The edges of a period: bookings that count, by time (the slot index holds no declined ones).
    op.create_index('ix_bookings_usage', 'bookings', ['during'], postgresql_using='gist',
                    postgresql_where=sa.text("status IN ('confirmed', 'declined')"))
    op.execute("""
        CREATE FUNCTION usage_local_months(during tstzrange)
        RETURNS TABLE (month date, l timestamptz, u timestamptz) LANGUAGE sql STABLE AS $$
            SELECT m::date, greatest(lower(during), m AT TIME ZONE 'Europe/Berlin'),
                   least(upper(during), (m + interval '1 month') AT TIME ZONE 'Europe/Berlin')
            FROM generate_series(date_trunc('month', lower(during) AT TIME ZONE 'Europe/Berlin'),
                                 date_trunc('month', (upper(during) - interval '1 microsecond')
                                                     AT TIME ZONE 'Europe/Berlin'),
                                 interval '1 month') AS m
        $$""")
    op.execute("""
        CREATE FUNCTION usage_hour_cells(l timestamptz, u timestamptz)
        RETURNS TABLE (cell smallint, seconds float8) LANGUAGE sql STABLE AS $$
            SELECT ((extract(isodow FROM h AT TIME ZONE 'Europe/Berlin')::int - 1) * 24
                    + extract(hour FROM h AT TIME ZONE 'Europe/Berlin')::int)::smallint,
                   date_part('epoch', least(u, h + interval '1 hour')) - date_part('epoch', greatest(l, h))
            FROM generate_series(date_trunc('hour', l, 'UTC'), u - interval '1 microsecond', interval '1 hour') AS h
        $$""")
    op.execute("""
        CREATE FUNCTION usage_add(b_space integer, b_organisation integer, b_during tstzrange, b_status text,
                                  b_public boolean, sign integer)
        RETURNS void LANGUAGE plpgsql AS $$  -- plpgsql: its statements' plans are kept for the session
        BEGIN
            INSERT INTO usage_month_figures (space_id, organisation_id, month, confirmed, public, seconds, declined)
            SELECT b_space, b_organisation, m.month,
                   sign * (b_status = 'confirmed' AND m.l = lower(b_during))::int,
                   sign * (b_status = 'confirmed' AND b_public AND m.l = lower(b_during))::int,
                   CASE WHEN b_status = 'confirmed'
                        THEN sign * (date_part('epoch', m.u) - date_part('epoch', m.l)) ELSE 0 END,
                   sign * (b_status = 'declined' AND m.l = lower(b_during))::int
            FROM usage_local_months(b_during) AS m
            WHERE b_status = 'confirmed' OR m.l = lower(b_during);  -- a declined one: only where it starts
            INSERT INTO usage_month_heat (month, cell, seconds)
            SELECT m.month, c.cell, sign * sum(c.seconds)
            FROM usage_local_months(b_during) AS m CROSS JOIN LATERAL usage_hour_cells(m.l, m.u) AS c
            WHERE b_status = 'confirmed'
            GROUP BY m.month, c.cell;
        END
        $$""")
    op.execute("""
        CREATE FUNCTION usage_bookings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND OLD.status IN ('confirmed', 'declined') THEN
                PERFORM usage_add(OLD.space_id, OLD.organisation_id, OLD.during, OLD.status, OLD.is_public, -1);
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.status IN ('confirmed', 'declined') THEN
                PERFORM usage_add(NEW.space_id, NEW.organisation_id, NEW.during, NEW.status, NEW.is_public, 1);
            END IF;
            RETURN NULL;
        END
        $$""")
    op.execute("CREATE TRIGGER bookings_usage_insert_delete AFTER INSERT OR DELETE ON bookings "
               "FOR EACH ROW EXECUTE FUNCTION usage_bookings_changed()")
    op.execute("""
        CREATE TRIGGER bookings_usage_update AFTER UPDATE ON bookings FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.during IS DISTINCT FROM NEW.during
              OR OLD.space_id IS DISTINCT FROM NEW.space_id OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id
              OR OLD.is_public IS DISTINCT FROM NEW.is_public)
        EXECUTE FUNCTION usage_bookings_changed()""")
    op.execute(f"""
        CREATE FUNCTION usage_compact() RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT pg_try_advisory_xact_lock({LOCK_KEY}) THEN
                RETURN false;  -- another compaction or a rebuild is at it
            END IF;
            -- only the keys with more than one row (those changed since the last time): a few, not the table
            WITH keys AS (
                SELECT space_id, coalesce(organisation_id, -1) AS organisation_id, month FROM usage_month_figures
                GROUP BY 1, 2, 3 HAVING count(*) > 1
            ), gone AS (
                DELETE FROM usage_month_figures f USING keys k
                WHERE f.space_id = k.space_id AND coalesce(f.organisation_id, -1) = k.organisation_id
                  AND f.month = k.month
                RETURNING f.*
            )
            INSERT INTO usage_month_figures (space_id, organisation_id, month, confirmed, public, seconds, declined)
            SELECT space_id, organisation_id, month, sum(confirmed), sum(public), sum(seconds), sum(declined)
            FROM gone GROUP BY space_id, organisation_id, month
            HAVING sum(confirmed) <> 0 OR sum(public) <> 0 OR sum(declined) <> 0 OR abs(sum(seconds)) >= 0.001;
            WITH keys AS (
                SELECT month, cell FROM usage_month_heat GROUP BY 1, 2 HAVING count(*) > 1
            ), gone AS (
                DELETE FROM usage_month_heat h USING keys k WHERE h.month = k.month AND h.cell = k.cell
                RETURNING h.*
            )
            INSERT INTO usage_month_heat (month, cell, seconds)
            SELECT month, cell, sum(seconds) FROM gone GROUP BY month, cell HAVING abs(sum(seconds)) >= 0.001;
            RETURN true;
        END
        $$""")
    op.execute(f"""
        CREATE FUNCTION usage_rebuild() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            LOCK TABLE bookings IN SHARE MODE;  -- no booking changes meanwhile (waits for those under way)
            PERFORM pg_advisory_xact_lock({LOCK_KEY});
            DELETE FROM usage_month_figures;
            DELETE FROM usage_month_heat;
            INSERT INTO usage_month_figures (space_id, organisation_id, month, confirmed, public, seconds, declined)
            SELECT b.space_id, b.organisation_id, m.month,
                   count(*) FILTER (WHERE b.status = 'confirmed' AND m.l = lower(b.during)),
                   count(*) FILTER (WHERE b.status = 'confirmed' AND b.is_public AND m.l = lower(b.during)),
                   coalesce(sum(date_part('epoch', m.u) - date_part('epoch', m.l))
                            FILTER (WHERE b.status = 'confirmed'), 0),
                   count(*) FILTER (WHERE b.status = 'declined' AND m.l = lower(b.during))
            FROM bookings b CROSS JOIN LATERAL usage_local_months(b.during) AS m
            WHERE b.status = 'confirmed' OR (b.status = 'declined' AND m.l = lower(b.during))
            GROUP BY b.space_id, b.organisation_id, m.month;
            INSERT INTO usage_month_heat (month, cell, seconds)
            SELECT m.month, c.cell, sum(p.n * c.seconds)
            FROM (SELECT during, count(*) AS n FROM bookings WHERE status = 'confirmed' GROUP BY during) AS p
                 CROSS JOIN LATERAL usage_local_months(p.during) AS m
                 CROSS JOIN LATERAL usage_hour_cells(m.l, m.u) AS c
            GROUP BY m.month, c.cell;
        END
        $$""")
    op.execute("SELECT usage_rebuild()")


def downgrade():
    op.execute("DROP TRIGGER bookings_usage_update ON bookings")
    op.execute("DROP TRIGGER bookings_usage_insert_delete ON bookings")
    for function in ("usage_rebuild()", "usage_compact()", "usage_bookings_changed()",
                     "usage_add(integer, integer, tstzrange, text, boolean, integer)",
                     "usage_hour_cells(timestamptz, timestamptz)", "usage_local_months(tstzrange)"):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_index('ix_bookings_usage', table_name='bookings')
    op.drop_index('ix_usage_month_heat_month', table_name='usage_month_heat')
    op.drop_table('usage_month_heat')
    op.drop_index('ix_usage_month_figures_month', table_name='usage_month_figures')
    op.drop_table('usage_month_figures')
