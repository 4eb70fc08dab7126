-- A document validated without its task (the one-trip submit) carries its frames' timestamps
-- in the context; they must be the frames' own (from ingest), else the submit falls back to
-- the checked path, which names each wrong timestamp. QA's speeds and the published labels
-- use these times, so a client's guess (a fixed rate, or 0) must not reach them.
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
       AND (NOT p_context ? 'times' OR NOT EXISTS (
            SELECT 1 FROM jsonb_array_elements(p_context -> 'times') AS e(pair)
            JOIN frames f ON f.sequence_id = t.sequence_id
                         AND f.frame_index = (e.pair ->> 0)::integer
            WHERE abs(f.timestamp_s - (e.pair ->> 1)::double precision) > 1e-4))
$$;
