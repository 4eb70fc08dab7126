-- Cost ledger and SLA: server-side idle cap on billed seconds, rates per role and per
-- compute resource (currency configurable), idempotent machine-cost entries, per-batch
-- target cost per frame, and the indexes the ops roll-ups read through.

-- A lease is billed up to this instant; the next bill may cover at most the wall time since
-- (or since the grant when NULL). That cap is the server's idle detection: a client cannot
-- bill more time than passed, whatever active_seconds it reports.
ALTER TABLE leases ADD COLUMN billed_until timestamptz;
CREATE INDEX leases_task_user ON leases (task_id, user_id, fencing_token DESC);

-- sequence_id lets machine costs of a whole sequence be rolled up; reported_seconds keeps what
-- the client claimed next to what was billed; source_key makes a machine-cost entry
-- idempotent (a retried RegisterSequence does not bill twice); bytes measures storage.
ALTER TABLE cost_ledger ADD COLUMN sequence_id text;
ALTER TABLE cost_ledger ADD COLUMN reported_seconds double precision;
ALTER TABLE cost_ledger ADD COLUMN source_key text;
ALTER TABLE cost_ledger ADD COLUMN bytes bigint NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX cost_ledger_source_key ON cost_ledger (source_key)
    WHERE source_key IS NOT NULL;
CREATE INDEX cost_ledger_batch ON cost_ledger (batch_id, kind);

-- NULL: the configured default target (0.50 per frame).
ALTER TABLE batches ADD COLUMN target_cost_per_frame double precision
    CHECK (target_cost_per_frame IS NULL OR target_cost_per_frame >= 0);

CREATE INDEX tasks_accepted ON tasks (batch_id, accepted_at) WHERE stage = 'accepted';

-- Prices. name is a role ('annotator', 'reviewer', 'qa', ...) priced per hour of active work
-- (a user's own non-zero hourly_rate wins), 'cpu' or 'gpu' priced per device-hour, or
-- 'storage' priced per GB stored for the retention period, charged once at ingest.
CREATE TABLE rates (
    name     text PRIMARY KEY,
    rate     double precision NOT NULL CHECK (rate >= 0),
    unit     text NOT NULL DEFAULT 'hour' CHECK (unit IN ('hour', 'gb')),
    currency text NOT NULL DEFAULT 'USD'
);

-- Bills the caller's latest lease on the task (rl_submit ends that lease just before it
-- bills, so the lease need not be active), capped at the wall time not yet billed.
CREATE OR REPLACE FUNCTION rl_bill(p_task text, p_user text, p_stage text,
                                   p_active double precision)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    l leases;
    v_wall double precision;
    v_billed double precision;
BEGIN
    SELECT * INTO l FROM leases WHERE task_id = p_task AND user_id = p_user
    ORDER BY fencing_token DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_wall := greatest(0, extract(epoch FROM now() - COALESCE(l.billed_until, l.granted_at)));
    v_billed := least(greatest(COALESCE(p_active, 0), 0), v_wall);
    UPDATE leases SET billed_until = now() WHERE lease_id = l.lease_id;
    INSERT INTO cost_ledger (batch_id, sequence_id, task_id, user_id, kind, seconds, cost,
                             currency, reported_seconds)
    SELECT t.batch_id, t.sequence_id, t.task_id, u.user_id, p_stage, v_billed,
           v_billed * COALESCE(NULLIF(u.hourly_rate, 0), r.rate, 0) / 3600.0,
           COALESCE(r.currency, 'USD'), p_active
    FROM tasks t CROSS JOIN users u LEFT JOIN rates r ON r.name = u.role
    WHERE t.task_id = p_task AND u.user_id = p_user AND p_active > 0;
END $$;

-- Machine cost of ingest or pre-labelling: one entry per resource used ('<stage>_cpu',
-- '<stage>_gpu', 'storage'), keyed '<p_key>:<resource>' so a replay adds nothing.
-- Returns how many entries were added.
CREATE FUNCTION rl_record_compute(p_key text, p_batch text, p_sequence text, p_task text,
                                  p_stage text, p_cpu double precision,
                                  p_gpu double precision, p_frames integer, p_bytes bigint)
RETURNS integer LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO cost_ledger (batch_id, sequence_id, task_id, kind, seconds, bytes, cost,
                                 currency, frames, source_key)
        SELECT p_batch, p_sequence, p_task,
               CASE WHEN x.resource = 'storage' THEN 'storage'
                    ELSE p_stage || '_' || x.resource END,
               CASE WHEN x.resource = 'storage' THEN 0 ELSE x.amount END,
               CASE WHEN x.resource = 'storage' THEN x.amount::bigint ELSE 0 END,
               x.amount * COALESCE(r.rate, 0)
                   / CASE WHEN x.resource = 'storage' THEN 1e9 ELSE 3600.0 END,
               COALESCE(r.currency, 'USD'), p_frames, p_key || ':' || x.resource
        FROM (VALUES ('cpu', p_cpu), ('gpu', p_gpu),
                     ('storage', COALESCE(p_bytes, 0)::double precision)) AS x(resource, amount)
        LEFT JOIN rates r ON r.name = x.resource
        WHERE x.amount > 0
        ON CONFLICT (source_key) WHERE source_key IS NOT NULL DO NOTHING
        RETURNING 1)
    SELECT count(*)::integer FROM added
$$;
