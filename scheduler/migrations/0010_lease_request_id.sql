-- Lease made retry-safe: a client may name each Lease attempt (request_id). A retry of an
-- attempt whose answer was lost (the client retries UNAVAILABLE) gets the lease already
-- granted to it, while that is active, instead of holding a second task until its TTL.
ALTER TABLE leases ADD COLUMN request_id text;
CREATE UNIQUE INDEX leases_by_request ON leases (user_id, request_id)
    WHERE request_id IS NOT NULL AND state = 'active';

CREATE FUNCTION rl_lease_once(p_lease_id uuid, p_user text, p_stages text[], p_project text,
                              p_skills text[], p_ttl_s double precision, p_request text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    l leases;
    v_result jsonb;
BEGIN
    IF p_request <> '' THEN
        -- A retry racing its own first attempt (the connection dropped mid-call) waits for
        -- it here, then finds its lease instead of taking a second task.
        PERFORM pg_advisory_xact_lock(hashtextextended(p_user || chr(31) || p_request, 0));
        SELECT * INTO l FROM leases
        WHERE user_id = p_user AND request_id = p_request AND state = 'active';
        IF FOUND AND l.expires_at > now() THEN
            RETURN rl_task_payload(l.task_id) || jsonb_build_object(
                'lease', jsonb_build_object('lease_id', l.lease_id,
                                            'fencing_token', l.fencing_token,
                                            'expires_at', l.expires_at));
        ELSIF FOUND THEN  -- ran out, not yet swept: the id is free for a new lease
            UPDATE leases SET request_id = NULL WHERE lease_id = l.lease_id;
        END IF;
    END IF;
    v_result := rl_lease(p_lease_id, p_user, p_stages, p_project, p_skills, p_ttl_s);
    IF v_result IS NOT NULL AND p_request <> '' THEN
        UPDATE leases SET request_id = p_request WHERE lease_id = p_lease_id;
    END IF;
    RETURN v_result;
END $$;
