-- The lease queue walks only free tasks. Before, a lease call skipped every task under an
-- active lease at the head of the queue (O(active leases) rows per call: ~1,000 at 1,000
-- annotators), and every heartbeat rewrote its task's row to move leased_until.
--
-- Now tasks.leased_until marks a task under an active lease (the expiry it was granted with;
-- heartbeats extend the lease row only) and is cleared when that lease ends. A partial index
-- holds the free tasks. A lease whose time ran out still marks its task until it is ended,
-- by the sweeper or by a lease call that finds no free task (it ends expired leases and looks
-- again), so an expired task is re-offered at the latest one sweep interval after its expiry.

-- Clears the mark when a lease ends (only then does the trigger below fire); writes the task
-- row only when it still carries the mark (rl_submit clears it itself).
CREATE OR REPLACE FUNCTION rl_sync_leased_until() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks SET leased_until = NULL
    WHERE task_id = NEW.task_id AND leased_until IS NOT NULL;
    RETURN NULL;
END $$;

-- rl_lease, the only writer of new leases, sets the mark in its own write of the task row.
DROP TRIGGER leases_sync_insert ON leases;
DROP TRIGGER leases_sync_update ON leases;
CREATE TRIGGER leases_sync_update AFTER UPDATE OF state ON leases
    FOR EACH ROW WHEN (OLD.state = 'active' AND NEW.state <> 'active')
    EXECUTE FUNCTION rl_sync_leased_until();

CREATE INDEX tasks_free_queue ON tasks (batch_id, stage, created_at, sequence_id, first_frame)
    WHERE leased_until IS NULL AND stage <> 'accepted';

-- The first free task, in urgency order, that the user may work on; locked. NULL if none.
CREATE FUNCTION rl_free_task(p_user text, p_stages text[], p_project text, p_skills text[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    b record;
    v_task text;
BEGIN
    FOR b IN SELECT bb.batch_id FROM batches bb
             WHERE bb.project_id IN (SELECT m.project_id FROM project_members m
                                     WHERE m.user_id = p_user)
               AND (p_project = '' OR bb.project_id = p_project)
             ORDER BY bb.at_risk DESC, bb.priority DESC, bb.deadline, bb.batch_id LOOP
        SELECT tk.task_id INTO v_task
        FROM tasks tk
        WHERE tk.batch_id = b.batch_id AND tk.stage = ANY (p_stages) AND tk.stage <> 'accepted'
          AND tk.leased_until IS NULL
          AND tk.required_skills <@ p_skills
          AND NOT (tk.stage IN ('review', 'qa') AND EXISTS (
                   SELECT 1 FROM submissions s WHERE s.task_id = tk.task_id
                   AND s.user_id = p_user AND s.stage = 'annotate'))
          -- Double and gold tasks are annotated by several people, each at most once.
          AND NOT (tk.kind IN ('double', 'gold') AND tk.stage = 'annotate' AND EXISTS (
                   SELECT 1 FROM submissions s WHERE s.task_id = tk.task_id
                   AND s.user_id = p_user AND s.stage = 'annotate'
                   AND s.next_stage = 'annotate'))
        ORDER BY tk.stage, tk.created_at, tk.sequence_id, tk.first_frame
        LIMIT 1
        FOR NO KEY UPDATE OF tk SKIP LOCKED;
        IF FOUND THEN
            RETURN v_task;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- Ends leases whose time ran out (skipping any another transaction is ending); returns how
-- many. Shared by the sweeper and by lease calls that found no free task.
CREATE OR REPLACE FUNCTION rl_sweep_expired() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH due AS (
        SELECT lease_id FROM leases WHERE state = 'active' AND expires_at <= now()
        FOR UPDATE SKIP LOCKED),
    ended AS (
        UPDATE leases l SET state = 'expired', ended_at = clock_timestamp()
        FROM due WHERE l.lease_id = due.lease_id
        RETURNING l.lease_id, l.task_id)
    INSERT INTO events (kind, task_id, payload)
    SELECT 'lease_expired', task_id, jsonb_build_object('lease_id', lease_id) FROM ended;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

CREATE OR REPLACE FUNCTION rl_lease(p_lease_id uuid, p_user text, p_stages text[],
                                    p_project text, p_skills text[], p_ttl_s double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_task text;
    v_token bigint;
    v_stage text;
    v_expires timestamptz;
BEGIN
    v_task := rl_free_task(p_user, p_stages, p_project, p_skills);
    IF v_task IS NULL AND rl_sweep_expired() > 0 THEN
        v_task := rl_free_task(p_user, p_stages, p_project, p_skills);
    END IF;
    IF v_task IS NULL THEN
        RETURN NULL;
    END IF;
    v_expires := now() + make_interval(secs => p_ttl_s);
    BEGIN
        -- One write of the task row: fencing token and the lease mark together.
        UPDATE tasks SET fencing_token = fencing_token + 1, leased_until = v_expires
        WHERE task_id = v_task RETURNING fencing_token, stage INTO v_token, v_stage;
        INSERT INTO leases (lease_id, task_id, user_id, stage, fencing_token, granted_at,
                            expires_at)
        VALUES (p_lease_id, v_task, p_user, v_stage, v_token, clock_timestamp(), v_expires);
    EXCEPTION WHEN unique_violation THEN
        RETURN NULL;
    END;
    RETURN rl_task_payload(v_task) || jsonb_build_object(
        'lease', jsonb_build_object('lease_id', p_lease_id, 'fencing_token', v_token,
                                    'expires_at', v_expires));
END $$;
