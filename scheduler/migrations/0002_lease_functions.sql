-- Lease, heartbeat, submit, release and sweep as database functions: each RPC is one round
-- trip and every state change is atomic. Errors use SQLSTATE class RL:
--   RL001 lease lost (stale token, expired or ended)   -> gRPC ABORTED
--   RL002 document version conflict                     -> gRPC ABORTED
--   RL003 lease belongs to another user                 -> gRPC PERMISSION_DENIED
--   RL004 illegal state change                          -> gRPC FAILED_PRECONDITION
--
-- The lease queue costs the same at any queue length: batches in urgency order, then one
-- index walk for the first free task. Row locks are FOR NO KEY UPDATE so they never block
-- the foreign-key checks of concurrent heartbeats. Lease end times use clock_timestamp():
-- now() is the transaction start, which would let a new lease seem to begin before the
-- previous one ended.

CREATE FUNCTION rl_task_payload(p_task_id text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'task', to_jsonb(t) - 'gold',
        'deadline', b.deadline,
        'calibration', s.calibration,
        'frames', COALESCE((
            SELECT jsonb_agg(jsonb_build_object(
                'frame_index', f.frame_index, 'timestamp_s', f.timestamp_s,
                'key', f.object_key, 'offset', f.byte_offset, 'length', f.byte_length,
                'sha256', f.sha256) ORDER BY f.frame_index)
            FROM frames f
            WHERE f.sequence_id = t.sequence_id
              AND f.frame_index >= t.first_frame AND f.frame_index < t.end_frame), '[]'),
        'draft', (SELECT d.document FROM drafts d WHERE d.task_id = t.task_id))
    FROM tasks t JOIN batches b ON b.batch_id = t.batch_id
    JOIN sequences s ON s.sequence_id = t.sequence_id
    WHERE t.task_id = p_task_id
$$;

CREATE FUNCTION rl_sync_leased_until() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks SET leased_until = CASE WHEN NEW.state = 'active' THEN NEW.expires_at END
    WHERE task_id = NEW.task_id;
    RETURN NULL;
END $$;

CREATE TRIGGER leases_sync_insert AFTER INSERT ON leases
    FOR EACH ROW EXECUTE FUNCTION rl_sync_leased_until();
CREATE TRIGGER leases_sync_update AFTER UPDATE OF state, expires_at ON leases
    FOR EACH ROW WHEN (OLD.state = 'active') EXECUTE FUNCTION rl_sync_leased_until();

CREATE FUNCTION rl_lease(p_lease_id uuid, p_user text, p_stages text[],
                                    p_project text, p_skills text[], p_ttl_s double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    b record;
    t record;
    v_token bigint;
    v_expires timestamptz;
    v_found boolean := false;
BEGIN
    -- Batches in urgency order (few); within one, the first free task in index order.
    FOR b IN SELECT bb.batch_id FROM batches bb
             WHERE bb.project_id IN (SELECT m.project_id FROM project_members m
                                     WHERE m.user_id = p_user)
               AND (p_project = '' OR bb.project_id = p_project)
             ORDER BY bb.at_risk DESC, bb.priority DESC, bb.deadline, bb.batch_id LOOP
        SELECT tk.task_id, tk.stage, tk.batch_id INTO t
        FROM tasks tk
        WHERE tk.batch_id = b.batch_id AND tk.stage = ANY (p_stages) AND tk.stage <> 'accepted'
          AND (tk.leased_until IS NULL OR tk.leased_until <= now())
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
            v_found := true;
            EXIT;
        END IF;
    END LOOP;
    IF NOT v_found THEN
        RETURN NULL;
    END IF;
    -- Only time-expired leases are ended here; a valid one makes the insert below fail.
    WITH ended AS (
        UPDATE leases SET state = 'expired', ended_at = clock_timestamp()
        WHERE task_id = t.task_id AND state = 'active' AND expires_at <= now()
        RETURNING lease_id)
    INSERT INTO events (kind, batch_id, task_id, payload)
    SELECT 'lease_expired', t.batch_id, t.task_id, jsonb_build_object('lease_id', lease_id)
    FROM ended;
    BEGIN
        UPDATE tasks SET fencing_token = fencing_token + 1
        WHERE task_id = t.task_id RETURNING fencing_token INTO v_token;
        v_expires := now() + make_interval(secs => p_ttl_s);
        INSERT INTO leases (lease_id, task_id, user_id, stage, fencing_token, granted_at,
                            expires_at)
        VALUES (p_lease_id, t.task_id, p_user, t.stage, v_token, clock_timestamp(), v_expires);
    EXCEPTION WHEN unique_violation THEN
        RETURN NULL;
    END;
    RETURN rl_task_payload(t.task_id) || jsonb_build_object(
        'lease', jsonb_build_object('lease_id', p_lease_id, 'fencing_token', v_token,
                                    'expires_at', v_expires));
END $$;

CREATE FUNCTION rl_check_lease(p_lease uuid, p_token bigint, p_user text)
RETURNS leases LANGUAGE plpgsql AS $$
DECLARE
    l leases;
BEGIN
    SELECT * INTO l FROM leases WHERE lease_id = p_lease FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'lease % does not exist', p_lease USING ERRCODE = 'RL001';
    END IF;
    IF l.user_id <> p_user THEN
        RAISE EXCEPTION 'lease % belongs to another user', p_lease USING ERRCODE = 'RL003';
    END IF;
    IF l.state <> 'active' OR l.expires_at <= now() OR l.fencing_token <> p_token THEN
        RAISE EXCEPTION 'lease % is no longer valid (state %, token % vs %)',
            p_lease, l.state, p_token, l.fencing_token USING ERRCODE = 'RL001';
    END IF;
    RETURN l;
END $$;

-- Active seconds reported by the client (idle excluded) go to the cost ledger at the
-- user's hourly rate, in the same transaction as the heartbeat or submission.
CREATE FUNCTION rl_bill(p_task text, p_user text, p_stage text, p_active double precision)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO cost_ledger (batch_id, task_id, user_id, kind, seconds, cost)
    SELECT t.batch_id, t.task_id, u.user_id, p_stage, p_active, p_active * u.hourly_rate / 3600.0
    FROM tasks t, users u
    WHERE t.task_id = p_task AND u.user_id = p_user AND p_active > 0
$$;

CREATE FUNCTION rl_heartbeat(p_lease uuid, p_token bigint, p_user text,
                             p_ttl_s double precision, p_draft jsonb, p_active double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    l leases;
    v_expires timestamptz := now() + make_interval(secs => p_ttl_s);
    v_version bigint := 0;
BEGIN
    l := rl_check_lease(p_lease, p_token, p_user);
    UPDATE leases SET expires_at = v_expires WHERE lease_id = p_lease;
    PERFORM rl_bill(l.task_id, p_user, l.stage, p_active);
    IF p_draft IS NOT NULL THEN
        INSERT INTO drafts AS d (task_id, user_id, document)
        VALUES (l.task_id, p_user, p_draft)
        ON CONFLICT (task_id) DO UPDATE
            SET document = EXCLUDED.document, user_id = EXCLUDED.user_id,
                version = d.version + 1, saved_at = now()
        RETURNING version INTO v_version;
    END IF;
    RETURN jsonb_build_object('expires_at', v_expires, 'draft_version', v_version,
                              'task_id', l.task_id, 'fencing_token', l.fencing_token);
END $$;

CREATE FUNCTION rl_submission_result(s submissions, p_replayed boolean)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('submission_id', s.submission_id, 'next_stage', s.next_stage,
        'document_version', s.document_version, 'findings', s.findings,
        'task_id', s.task_id, 'stage', s.stage, 'replayed', p_replayed)
$$;

-- p_next maps the lease's stage to the stage the task moves to (decided by the workflow in
-- Python); p_required is how many distinct annotations the task needs before review.
CREATE FUNCTION rl_submit(p_submission uuid, p_lease uuid, p_token bigint, p_user text,
                          p_key text, p_version bigint, p_document jsonb, p_findings jsonb,
                          p_next jsonb, p_verdict text, p_comments text[], p_required integer,
                          p_active double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    prior submissions;
    l leases;
    t tasks;
    v_next text;
    v_done integer;
    s submissions;
BEGIN
    SELECT * INTO prior FROM submissions WHERE user_id = p_user AND idempotency_key = p_key;
    IF FOUND THEN
        RETURN rl_submission_result(prior, true);
    END IF;
    l := rl_check_lease(p_lease, p_token, p_user);
    -- A concurrent replay may have committed while we waited for the lease lock.
    SELECT * INTO prior FROM submissions WHERE user_id = p_user AND idempotency_key = p_key;
    IF FOUND THEN
        RETURN rl_submission_result(prior, true);
    END IF;
    SELECT * INTO t FROM tasks WHERE task_id = l.task_id FOR NO KEY UPDATE;
    IF t.stage <> l.stage THEN
        RAISE EXCEPTION 'task % moved to stage % since the lease', t.task_id, t.stage
            USING ERRCODE = 'RL001';
    END IF;
    IF p_version <> t.document_version THEN
        RAISE EXCEPTION 'document version % is stale; the task is at version %',
            p_version, t.document_version USING ERRCODE = 'RL002';
    END IF;
    v_next := p_next ->> t.stage;
    IF v_next IS NULL THEN
        RAISE EXCEPTION 'no transition from stage %', t.stage USING ERRCODE = 'RL004';
    END IF;
    IF t.stage = 'annotate' AND p_required > 1 THEN
        SELECT count(DISTINCT user_id) + 1 INTO v_done FROM submissions
        WHERE task_id = t.task_id AND stage = 'annotate' AND user_id <> p_user
          AND document_version >= 0;
        IF v_done < p_required THEN
            v_next := 'annotate';
        END IF;
    END IF;
    INSERT INTO submissions (submission_id, task_id, lease_id, user_id, idempotency_key, stage,
                             verdict, document, document_version, next_stage, findings, comments)
    VALUES (p_submission, t.task_id, p_lease, p_user, p_key, t.stage, p_verdict, p_document,
            t.document_version + (p_document IS NOT NULL)::int, v_next, p_findings, p_comments)
    RETURNING * INTO s;
    UPDATE tasks SET
        stage = v_next,
        document = COALESCE(p_document, document),
        document_version = s.document_version,
        annotated_by = CASE WHEN t.stage = 'annotate' THEN p_user ELSE annotated_by END,
        review_comments = CASE WHEN p_verdict = 'reject' THEN p_comments ELSE review_comments END,
        accepted_at = CASE WHEN v_next = 'accepted' THEN now() ELSE NULL END,
        updated_at = now()
    WHERE task_id = t.task_id;
    UPDATE leases SET state = 'submitted', ended_at = clock_timestamp() WHERE lease_id = p_lease;
    PERFORM rl_bill(t.task_id, p_user, t.stage, p_active);
    DELETE FROM drafts WHERE task_id = t.task_id;
    INSERT INTO events (kind, batch_id, task_id, payload)
    VALUES ('stage_changed', t.batch_id, t.task_id, jsonb_build_object(
        'from', t.stage, 'to', v_next, 'user', p_user, 'verdict', p_verdict));
    RETURN rl_submission_result(s, false);
END $$;

CREATE FUNCTION rl_release(p_lease uuid, p_token bigint, p_user text, p_reason text,
                           p_comment text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    l leases;
    v_stage text;
BEGIN
    l := rl_check_lease(p_lease, p_token, p_user);
    UPDATE leases SET state = 'released', ended_at = clock_timestamp() WHERE lease_id = p_lease;
    IF p_reason <> '' THEN
        INSERT INTO skips (task_id, user_id, reason, comment)
        VALUES (l.task_id, p_user, p_reason, p_comment);
    END IF;
    INSERT INTO events (kind, task_id, payload)
    VALUES ('lease_released', l.task_id, jsonb_build_object('user', p_user, 'reason', p_reason));
    SELECT stage INTO v_stage FROM tasks WHERE task_id = l.task_id;
    RETURN v_stage;
END $$;

CREATE FUNCTION rl_sweep_expired() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    WITH ended AS (
        UPDATE leases SET state = 'expired', ended_at = clock_timestamp()
        WHERE state = 'active' AND expires_at <= now()
        RETURNING lease_id, task_id)
    INSERT INTO events (kind, task_id, payload)
    SELECT 'lease_expired', task_id, jsonb_build_object('lease_id', lease_id) FROM ended;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
