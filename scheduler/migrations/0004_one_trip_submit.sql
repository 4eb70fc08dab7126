-- Submit in one round trip. A replica validates a document before it knows the task: against
-- the ontology it has cached for the caller's project, and with the document's own frame
-- span. rl_submit confirms that context under the task's row lock (RL005 when the task is in
-- another project, the project's ontology moved on, or the frames fall outside the task);
-- only then does the replica look the task up and validate again, in a second round trip.
-- p_context NULL skips the check (the caller validated against the task itself). The result
-- also carries the task's kind, batch and, for gold tasks, the known answer to score against.
--
-- Submit and heartbeat also bill in the lease write they make anyway (rl_charge), instead of
-- locking and rewriting the lease row a second time (rl_bill).

-- The old signature stays as a wrapper while replicas roll: a replica of the previous
-- release (which checked the task itself and passed the required count for this task's
-- kind) keeps submitting after the first new replica migrated. Drop it a release later.
DROP FUNCTION rl_submit(uuid, uuid, bigint, text, text, bigint, jsonb, jsonb, jsonb, text,
                        text[], integer, double precision);

CREATE FUNCTION rl_context_holds(t tasks, p_context jsonb) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT t.project_id = p_context ->> 'project_id'
       AND (SELECT p.ontology_version FROM projects p WHERE p.project_id = t.project_id)
           = p_context ->> 'ontology_version'
       AND (NOT p_context ? 'first_frame'
            OR ((p_context ->> 'first_frame')::bigint >= t.first_frame
                AND (p_context ->> 'last_frame')::bigint < t.end_frame))
$$;

-- Bills active seconds of a lease (its row as locked before this write), capped at the wall
-- time not yet billed; the caller sets billed_until = now() in its own update of the lease.
CREATE FUNCTION rl_charge(l leases, p_stage text, p_active double precision)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO cost_ledger (batch_id, sequence_id, task_id, user_id, kind, seconds, cost,
                             currency, reported_seconds)
    SELECT t.batch_id, t.sequence_id, t.task_id, u.user_id, p_stage, b.billed,
           b.billed * COALESCE(NULLIF(u.hourly_rate, 0), r.rate, 0) / 3600.0,
           COALESCE(r.currency, 'USD'), p_active
    FROM (SELECT least(greatest(COALESCE(p_active, 0), 0), greatest(0, extract(epoch FROM
                 now() - COALESCE(l.billed_until, l.granted_at)))::double precision) AS billed
         ) b,
         tasks t CROSS JOIN users u LEFT JOIN rates r ON r.name = u.role
    WHERE t.task_id = l.task_id AND u.user_id = l.user_id AND p_active > 0
$$;

CREATE OR REPLACE FUNCTION rl_heartbeat(p_lease uuid, p_token bigint, p_user text,
                                        p_ttl_s double precision, p_draft jsonb,
                                        p_active double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    l leases;
    v_expires timestamptz := now() + make_interval(secs => p_ttl_s);
    v_version bigint := 0;
BEGIN
    l := rl_check_lease(p_lease, p_token, p_user);
    UPDATE leases SET expires_at = v_expires, billed_until = now() WHERE lease_id = p_lease;
    PERFORM rl_charge(l, l.stage, p_active);
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

DROP FUNCTION rl_bill(text, text, text, double precision);

-- p_next maps the lease's stage to the stage the task moves to (decided by the workflow in
-- Python); p_required maps a task kind to how many distinct annotations it needs before
-- review (1 when absent).
CREATE FUNCTION rl_submit(p_submission uuid, p_lease uuid, p_token bigint, p_user text,
                          p_key text, p_version bigint, p_document jsonb, p_findings jsonb,
                          p_next jsonb, p_verdict text, p_comments text[], p_required jsonb,
                          p_active double precision, p_context jsonb)
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
    IF p_context IS NOT NULL AND rl_context_holds(t, p_context) IS NOT TRUE THEN
        RAISE EXCEPTION 'task % is not the one the document was validated for', t.task_id
            USING ERRCODE = 'RL005';
    END IF;
    IF p_version <> t.document_version THEN
        RAISE EXCEPTION 'document version % is stale; the task is at version %',
            p_version, t.document_version USING ERRCODE = 'RL002';
    END IF;
    v_next := p_next ->> t.stage;
    IF v_next IS NULL THEN
        RAISE EXCEPTION 'no transition from stage %', t.stage USING ERRCODE = 'RL004';
    END IF;
    IF t.stage = 'annotate' AND COALESCE((p_required ->> t.kind)::integer, 1) > 1 THEN
        SELECT count(DISTINCT user_id) + 1 INTO v_done FROM submissions
        WHERE task_id = t.task_id AND stage = 'annotate' AND user_id <> p_user
          AND document_version >= 0;
        IF v_done < (p_required ->> t.kind)::integer THEN
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
        leased_until = NULL,
        updated_at = now()
    WHERE task_id = t.task_id;
    UPDATE leases SET state = 'submitted', ended_at = clock_timestamp(), billed_until = now()
    WHERE lease_id = p_lease;
    PERFORM rl_charge(l, t.stage, p_active);
    DELETE FROM drafts WHERE task_id = t.task_id;
    INSERT INTO events (kind, batch_id, task_id, payload)
    VALUES ('stage_changed', t.batch_id, t.task_id, jsonb_build_object(
        'from', t.stage, 'to', v_next, 'user', p_user, 'verdict', p_verdict));
    RETURN rl_submission_result(s, false) || jsonb_build_object(
        'kind', t.kind, 'batch_id', t.batch_id,
        'gold', CASE WHEN t.kind = 'gold' THEN t.gold END);
END $$;


CREATE FUNCTION rl_submit(p_submission uuid, p_lease uuid, p_token bigint, p_user text,
                          p_key text, p_version bigint, p_document jsonb, p_findings jsonb,
                          p_next jsonb, p_verdict text, p_comments text[], p_required integer,
                          p_active double precision)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT rl_submit(p_submission, p_lease, p_token, p_user, p_key, p_version, p_document,
                     p_findings, p_next, p_verdict, p_comments,
                     jsonb_build_object('normal', p_required, 'double', p_required,
                                        'gold', p_required),
                     p_active, NULL)
$$;
