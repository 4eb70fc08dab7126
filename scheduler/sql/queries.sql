-- Every statement the scheduler runs, loaded once by scheduler/queries.py.
-- Each block starts with "-- name: <query_name>"; parameters are asyncpg $n placeholders.

-- name: lease
SELECT rl_lease_once($1::uuid, $2, $3::text[], $4, $5::text[], $6, $7);

-- name: heartbeat
SELECT rl_heartbeat($1::uuid, $2, $3, $4, $5::jsonb, $6);

-- name: submit
SELECT rl_submit($1::uuid, $2::uuid, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10,
                 $11::text[], $12::jsonb, $13, $14::jsonb, $15::text);

-- name: release
SELECT rl_release($1::uuid, $2, $3, $4, $5);

-- name: sweep_expired
SELECT rl_sweep_expired();

-- name: lease_task
SELECT l.task_id, l.user_id, t.batch_id, t.sequence_id, t.kind, t.stage, t.first_frame,
       t.end_frame, t.project_id, t.gold, p.ontology_version,
       (SELECT jsonb_object_agg(f.frame_index::text, f.timestamp_s) FROM frames f
        WHERE f.sequence_id = t.sequence_id AND f.frame_index >= t.first_frame
          AND f.frame_index < t.end_frame) AS frame_times
FROM leases l JOIN tasks t ON t.task_id = l.task_id JOIN projects p ON p.project_id = t.project_id
WHERE l.lease_id = $1::uuid;

-- name: project_ontology
SELECT ontology, ontology_version FROM projects WHERE project_id = $1;

-- name: user_by_token
SELECT u.user_id, u.role, u.skills,
       ARRAY(SELECT m.project_id FROM project_members m WHERE m.user_id = u.user_id
             ORDER BY m.project_id) AS projects
FROM users u WHERE u.token_hash = $1;

-- name: upsert_project
INSERT INTO projects (project_id, name, ontology, ontology_version, guideline_url,
                      guideline_version)
VALUES ($1, $2, $3::jsonb, $4, $5, $6)
ON CONFLICT (project_id) DO UPDATE SET
    name = EXCLUDED.name, ontology = EXCLUDED.ontology,
    ontology_version = EXCLUDED.ontology_version, guideline_url = EXCLUDED.guideline_url,
    guideline_version = EXCLUDED.guideline_version
RETURNING project_id;

-- name: get_project
SELECT project_id, name, ontology, ontology_version, guideline_url, guideline_version
FROM projects WHERE project_id = $1;

-- name: insert_user
INSERT INTO users (user_id, role, token_hash, skills, hourly_rate)
VALUES ($1, $2, $3, $4::text[], $5)
ON CONFLICT (user_id) DO UPDATE SET role = EXCLUDED.role, token_hash = EXCLUDED.token_hash,
    skills = EXCLUDED.skills, hourly_rate = EXCLUDED.hourly_rate;

-- name: add_member
INSERT INTO project_members (project_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: create_batch
INSERT INTO batches (batch_id, project_id, deadline, priority)
VALUES ($1, $2, $3, $4)
ON CONFLICT (batch_id) DO NOTHING
RETURNING batch_id;

-- name: insert_sequence
INSERT INTO sequences (sequence_id, source_uri, decoder_version, calibration, frame_count)
VALUES ($1, $2, $3, $4::jsonb, $5)
ON CONFLICT (sequence_id) DO NOTHING
RETURNING sequence_id;

-- name: insert_frames
INSERT INTO frames (sequence_id, frame_index, pts, timestamp_s, sha256, object_key, byte_offset,
                    byte_length)
SELECT $1, f.frame_index, f.pts, f.timestamp_s, f.sha256, f.object_key, f.byte_offset,
       f.byte_length
FROM unnest($2::integer[], $3::bigint[], $4::double precision[], $5::text[], $6::text[],
            $7::bigint[], $8::bigint[])
     AS f(frame_index, pts, timestamp_s, sha256, object_key, byte_offset, byte_length)
ON CONFLICT DO NOTHING;

-- name: sequence_segments
-- The segment plan a sequence is registered with in a batch (gold copies aside).
SELECT first_frame, end_frame FROM tasks
WHERE batch_id = $1 AND sequence_id = $2 AND kind <> 'gold'
ORDER BY first_frame;

-- name: insert_tasks
INSERT INTO tasks (task_id, batch_id, project_id, sequence_id, first_frame, end_frame, overlap,
                   kind, ontology_version)
SELECT s.task_id, $1, b.project_id, $2, s.first_frame, s.end_frame, $3, s.kind,
       p.ontology_version
FROM unnest($4::text[], $5::integer[], $6::integer[], $7::text[])
     AS s(task_id, first_frame, end_frame, kind)
JOIN batches b ON b.batch_id = $1
JOIN projects p ON p.project_id = b.project_id
ON CONFLICT DO NOTHING;

-- name: task_for_prelabels
-- Locked: a lease granted meanwhile (it bumps fencing_token) waits for this transaction.
SELECT task_id, end_frame, fencing_token, document_version FROM tasks
WHERE sequence_id = $1 AND first_frame = $2 AND batch_id = $3 AND kind <> 'gold'
FOR UPDATE;

-- name: set_prelabels
UPDATE tasks SET prelabels = $2::jsonb, updated_at = now() WHERE task_id = $1
RETURNING task_id;

-- name: batch_project
SELECT project_id FROM batches WHERE batch_id = $1;

-- name: stage_counts
SELECT stage, count(*) AS tasks, sum(end_frame - first_frame) AS frames
FROM tasks WHERE batch_id = $1 AND kind <> 'gold' GROUP BY stage;

-- name: batch_row
SELECT batch_id, project_id, deadline, priority, at_risk, created_at FROM batches
WHERE batch_id = $1;

-- name: accepted_documents
SELECT t.task_id, t.sequence_id, t.first_frame, t.end_frame, t.document, t.annotated_by,
       t.ontology_version
FROM tasks t WHERE t.batch_id = $1 AND t.stage = 'accepted'
ORDER BY t.sequence_id, t.first_frame;

-- name: list_skips
SELECT s.task_id, s.user_id, s.reason, s.comment, s.created_at
FROM skips s JOIN tasks t ON t.task_id = s.task_id
WHERE NOT s.resolved AND s.reason IN ('ambiguous', 'guideline_question')
  AND (t.project_id = ANY($1::text[]) OR ($2 AND cardinality($1::text[]) = 0))
ORDER BY s.created_at LIMIT $3;

-- name: task_count
SELECT count(*) FROM tasks WHERE batch_id = $1;

-- name: ledger_append
INSERT INTO cost_ledger (batch_id, task_id, user_id, kind, seconds, cost, currency, frames)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: record_event
INSERT INTO events (kind, batch_id, task_id, payload) VALUES ($1, $2, $3, $4::jsonb);

-- name: accepted_since
SELECT count(*) AS tasks, COALESCE(sum(end_frame - first_frame), 0) AS frames
FROM tasks WHERE batch_id = $1 AND stage = 'accepted' AND accepted_at > now() - make_interval(secs => $2);

-- name: cost_by_kind
SELECT kind, sum(seconds) AS seconds, sum(cost) AS cost, min(currency) AS currency
FROM cost_ledger WHERE batch_id = $1 GROUP BY kind ORDER BY kind;

-- name: annotator_stats
SELECT s.user_id, count(*) FILTER (WHERE s.stage = 'annotate') AS tasks_submitted,
       COALESCE(sum(t.end_frame - t.first_frame) FILTER (WHERE s.stage = 'annotate'), 0) AS frames,
       COALESCE((SELECT sum(c.seconds) FROM cost_ledger c
                 WHERE c.batch_id = $1 AND c.user_id = s.user_id), 0) AS active_seconds,
       COALESCE((SELECT sum(c.cost) FROM cost_ledger c
                 WHERE c.batch_id = $1 AND c.user_id = s.user_id), 0) AS cost
FROM submissions s JOIN tasks t ON t.task_id = s.task_id
WHERE t.batch_id = $1
GROUP BY s.user_id ORDER BY s.user_id;

-- name: queue_depth
SELECT t.stage, count(*) AS n FROM tasks t
WHERE t.stage <> 'accepted'
  AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.task_id = t.task_id AND l.state = 'active'
                  AND l.expires_at > now())
GROUP BY t.stage;

-- name: active_lease_users
SELECT count(DISTINCT user_id) FROM leases WHERE state = 'active' AND expires_at > now();

-- name: create_gold_task
INSERT INTO tasks (task_id, batch_id, project_id, sequence_id, first_frame, end_frame, overlap,
                   kind, gold, prelabels, ontology_version)
SELECT 'gold/' || $2 || '/' || t.task_id, $2, b.project_id, t.sequence_id, t.first_frame,
       t.end_frame, t.overlap, 'gold', t.document, t.prelabels, t.ontology_version
FROM tasks t JOIN batches b ON b.batch_id = $2
WHERE t.task_id = $1 AND t.stage = 'accepted' AND t.document IS NOT NULL
  AND t.project_id = b.project_id
ON CONFLICT DO NOTHING
RETURNING task_id;

-- name: gold_diagnosis
-- Why create_gold_task made nothing: the source task, the batch, and an existing gold copy.
SELECT t.stage, t.project_id AS task_project, t.document IS NOT NULL AS has_labels,
       (SELECT b.project_id FROM batches b WHERE b.batch_id = $2) AS batch_project,
       (SELECT g.task_id FROM tasks g WHERE g.task_id = 'gold/' || $2 || '/' || $1) AS existing
FROM (SELECT 1) AS one LEFT JOIN tasks t ON t.task_id = $1;

-- name: gold_scores
SELECT payload->>'user' AS user_id, avg((payload->>'score')::double precision) AS score,
       count(*) AS n
FROM events WHERE kind = 'gold_score' AND batch_id = $1
GROUP BY payload->>'user' ORDER BY 1;

-- name: keep_expired_work
-- A submit that arrived after its lease expired: while nobody has leased the task since (its
-- fencing token is still the lease's) and it is still being annotated, the labels become the
-- task's draft, so that they are resumed with the next Lease instead of lost.
INSERT INTO drafts AS d (task_id, user_id, document)
SELECT l.task_id, l.user_id, $3::jsonb FROM leases l JOIN tasks t ON t.task_id = l.task_id
WHERE l.lease_id = $1::uuid AND l.user_id = $2
  AND (l.state = 'expired' OR (l.state = 'active' AND l.expires_at <= now()))
  AND t.fencing_token = l.fencing_token AND t.stage = l.stage AND t.stage = 'annotate'
ON CONFLICT (task_id) DO UPDATE SET document = EXCLUDED.document, user_id = EXCLUDED.user_id,
    version = d.version + 1, saved_at = now()
RETURNING task_id;

-- name: user_role
SELECT role FROM users WHERE user_id = $1;
