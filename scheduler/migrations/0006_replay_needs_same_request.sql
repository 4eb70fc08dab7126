-- An idempotency key replays a submission only for the same request: the same lease (so the
-- same task) and the same request digest (a hash of the document, verdict, comments and
-- document version, computed by the replica). Before, the key alone was looked up, so a key
-- reused for another task or another body answered with the first submission's result and
-- the new work was silently dropped. Any other reuse of a key is now refused (RL006), also
-- when two submissions with one key race (the insert no longer fails on the unique key).
--
-- Submits also lock their lease before looking the key up, so that a replay racing its own
-- original waits for it and answers as a replay instead of "lease no longer valid".
--
-- A document with no sequence_id is the task's (rl_submit stores it so), and a document
-- validated without the task (p_context) must name the task's sequence and cover every one
-- of its frames (p_context.frames: how many distinct frames the document has).

ALTER TABLE submissions ADD COLUMN request_digest text;

-- The answer to a key used before: its result when this is the same request, else RL006.
-- A NULL digest (a row written, or a call made, by the previous release) compares equal,
-- so replays keep working while replicas roll.
CREATE FUNCTION rl_replay(prior submissions, p_lease uuid, p_digest text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    IF prior.lease_id = p_lease AND (prior.request_digest IS NULL OR p_digest IS NULL
                                     OR prior.request_digest = p_digest) THEN
        RETURN rl_submission_result(prior, true);
    END IF;
    RAISE EXCEPTION 'this idempotency_key was already used for another submission (task %, '
        'stage %, %): use a fresh key for every submission, and the same key only to retry '
        'the identical request', prior.task_id, prior.stage, prior.created_at
        USING ERRCODE = 'RL006';
END $$;

CREATE OR REPLACE FUNCTION rl_context_holds(t tasks, p_context jsonb) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT t.project_id = p_context ->> 'project_id'
       AND (SELECT p.ontology_version FROM projects p WHERE p.project_id = t.project_id)
           = p_context ->> 'ontology_version'
       AND COALESCE(p_context ->> 'sequence_id', '') IN ('', t.sequence_id)
       AND (NOT p_context ? 'first_frame'
            OR ((p_context ->> 'first_frame')::bigint >= t.first_frame
                AND (p_context ->> 'last_frame')::bigint < t.end_frame))
       AND (NOT p_context ? 'frames'
            OR (p_context ->> 'frames')::bigint = t.end_frame - t.first_frame)
$$;

-- The document as stored: an empty sequence_id means the task's sequence.
CREATE FUNCTION rl_with_sequence(p_document jsonb, p_sequence text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_document IS NULL OR COALESCE(p_document ->> 'sequence_id', '') <> ''
                THEN p_document
                ELSE p_document || jsonb_build_object('sequence_id', p_sequence) END
$$;

CREATE FUNCTION rl_submit(p_submission uuid, p_lease uuid, p_token bigint, p_user text,
                          p_key text, p_version bigint, p_document jsonb, p_findings jsonb,
                          p_next jsonb, p_verdict text, p_comments text[], p_required jsonb,
                          p_active double precision, p_context jsonb, p_digest text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    prior submissions;
    l leases;
    t tasks;
    v_next text;
    v_done integer;
    s submissions;
BEGIN
    -- Attempts on one lease queue here; the key is then looked up with their outcome seen.
    PERFORM 1 FROM leases WHERE lease_id = p_lease FOR UPDATE;
    SELECT * INTO prior FROM submissions WHERE user_id = p_user AND idempotency_key = p_key;
    IF FOUND THEN
        RETURN rl_replay(prior, p_lease, p_digest);
    END IF;
    l := rl_check_lease(p_lease, p_token, p_user);
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
    -- Another lease's submission with this key may have committed since the lookup above.
    INSERT INTO submissions (submission_id, task_id, lease_id, user_id, idempotency_key, stage,
                             verdict, document, document_version, next_stage, findings, comments,
                             request_digest)
    VALUES (p_submission, t.task_id, p_lease, p_user, p_key, t.stage, p_verdict,
            rl_with_sequence(p_document, t.sequence_id),
            t.document_version + (p_document IS NOT NULL)::int, v_next, p_findings, p_comments,
            p_digest)
    ON CONFLICT (user_id, idempotency_key) DO NOTHING
    RETURNING * INTO s;
    IF NOT FOUND THEN
        SELECT * INTO prior FROM submissions WHERE user_id = p_user AND idempotency_key = p_key;
        RETURN rl_replay(prior, p_lease, p_digest);
    END IF;
    UPDATE tasks SET
        stage = v_next,
        document = COALESCE(s.document, document),
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

-- The previous signature stays as a wrapper while replicas roll (no digest: a replay is
-- then judged by its lease alone). Drop it a release later.
CREATE OR REPLACE FUNCTION rl_submit(p_submission uuid, p_lease uuid, p_token bigint,
                                     p_user text, p_key text, p_version bigint,
                                     p_document jsonb, p_findings jsonb, p_next jsonb,
                                     p_verdict text, p_comments text[], p_required jsonb,
                                     p_active double precision, p_context jsonb)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT rl_submit(p_submission, p_lease, p_token, p_user, p_key, p_version, p_document,
                     p_findings, p_next, p_verdict, p_comments, p_required, p_active,
                     p_context, NULL::text)
$$;
