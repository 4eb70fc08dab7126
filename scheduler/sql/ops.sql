-- Cost, SLA and ops read-outs (issue 8), loaded with queries.sql by scheduler/queries.py.
-- Each block starts with "-- name: <query_name>"; parameters are asyncpg $n placeholders.

-- name: set_rate
INSERT INTO rates (name, rate, unit, currency) VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO UPDATE SET rate = EXCLUDED.rate, unit = EXCLUDED.unit,
    currency = EXCLUDED.currency;

-- name: record_compute
SELECT rl_record_compute($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: set_batch_target_cost
UPDATE batches SET target_cost_per_frame = $2 WHERE batch_id = $1 RETURNING batch_id;

-- name: set_batch_risk
-- Flips at_risk only when it changes, and records the change as an event in the same
-- statement: with several replicas running the ops loop, exactly one records it.
WITH changed AS (
    UPDATE batches SET at_risk = $2 WHERE batch_id = $1 AND at_risk <> $2
    RETURNING batch_id, at_risk)
INSERT INTO events (kind, batch_id, payload)
SELECT CASE WHEN at_risk THEN 'batch_at_risk' ELSE 'batch_on_track' END, batch_id, $3::jsonb
FROM changed
RETURNING event_id;

-- name: ops_open_batches
SELECT b.batch_id FROM batches b
WHERE b.at_risk OR EXISTS (SELECT 1 FROM tasks t WHERE t.batch_id = b.batch_id
                           AND t.stage <> 'accepted' AND t.kind <> 'gold')
ORDER BY b.deadline, b.batch_id;

-- name: ops_recent_batches
SELECT batch_id FROM batches ORDER BY created_at DESC, batch_id LIMIT $1;

-- name: ops_batch_figures
-- One row per batch: frames per stage, frames accepted within the last $2 seconds, when work
-- started (first lease), when the last task was accepted, and what the ledger holds.
-- Gold tasks (never accepted, not part of the delivery) count only in the ledger.
SELECT b.batch_id, b.project_id, b.deadline, b.priority, b.at_risk, b.created_at,
       b.target_cost_per_frame, now() AS now,
       COALESCE(sum(t.end_frame - t.first_frame), 0)::bigint AS frames_total,
       -- Frames of the delivery, each once: a sequence's segments cover it without gaps, so
       -- its frames are its span (frames_total counts overlap frames once per task).
       (SELECT COALESCE(sum(span), 0) FROM (
            SELECT max(t3.end_frame) - min(t3.first_frame) AS span FROM tasks t3
            WHERE t3.batch_id = b.batch_id AND t3.kind <> 'gold'
            GROUP BY t3.sequence_id) AS spans)::bigint AS frames_unique,
       COALESCE(sum(t.end_frame - t.first_frame) FILTER (WHERE t.stage = 'annotate'), 0)::bigint
           AS frames_annotate,
       COALESCE(sum(t.end_frame - t.first_frame) FILTER (WHERE t.stage = 'review'), 0)::bigint
           AS frames_review,
       COALESCE(sum(t.end_frame - t.first_frame) FILTER (WHERE t.stage = 'qa'), 0)::bigint
           AS frames_qa,
       COALESCE(sum(t.end_frame - t.first_frame) FILTER (WHERE t.stage = 'accepted'), 0)::bigint
           AS frames_accepted,
       COALESCE(sum(t.end_frame - t.first_frame) FILTER (
           WHERE t.stage = 'accepted' AND t.accepted_at > now() - make_interval(secs => $2)),
           0)::bigint AS frames_in_window,
       max(t.accepted_at) AS last_accepted_at,
       (SELECT min(l.granted_at) FROM tasks t2 JOIN leases l ON l.task_id = t2.task_id
        WHERE t2.batch_id = b.batch_id) AS started_at,
       (SELECT COALESCE(sum(c.cost), 0) FROM cost_ledger c WHERE c.batch_id = b.batch_id)
           AS cost_spent
FROM batches b LEFT JOIN tasks t ON t.batch_id = b.batch_id AND t.kind <> 'gold'
WHERE b.batch_id = ANY ($1::text[])
GROUP BY b.batch_id
ORDER BY b.deadline, b.batch_id;

-- name: ops_stage_work
-- Per human stage: what the ledger billed, and how many frames were submitted there (every
-- submission counts: rework costs what it costs).
SELECT st.stage,
       COALESCE((SELECT sum(c.cost) FROM cost_ledger c
                 WHERE c.batch_id = $1 AND c.kind = st.stage), 0) AS cost,
       COALESCE((SELECT sum(t.end_frame - t.first_frame) FROM submissions s
                 JOIN tasks t ON t.task_id = s.task_id
                 WHERE t.batch_id = $1 AND s.stage = st.stage), 0)::bigint AS frames_done
FROM unnest(ARRAY['annotate', 'review', 'qa']) AS st(stage);

-- name: ops_ledger_rollup
-- The batch's ledger summed per attribution (sequence, task, user, kind): roll-ups are made
-- from these, so they add up to the ledger's own sum.
SELECT COALESCE(c.sequence_id, t.sequence_id) AS sequence_id, c.task_id, c.user_id, c.kind,
       sum(c.seconds) AS seconds, sum(c.cost) AS cost, sum(c.frames)::bigint AS frames,
       min(c.currency) AS currency
FROM cost_ledger c LEFT JOIN tasks t ON t.task_id = c.task_id
WHERE c.batch_id = $1
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4;

-- name: ops_ledger_total
SELECT COALESCE(sum(cost), 0) AS cost, count(*) AS entries, min(currency) AS currency
FROM cost_ledger WHERE batch_id = $1;

-- name: ops_task_spans
SELECT task_id, sequence_id, first_frame, end_frame, stage, accepted_at, created_at
FROM tasks WHERE batch_id = $1 ORDER BY sequence_id, first_frame;

-- name: ops_sequence_frames
SELECT s.sequence_id, s.frame_count FROM sequences s
WHERE s.sequence_id IN (SELECT DISTINCT sequence_id FROM tasks WHERE batch_id = $1)
ORDER BY s.sequence_id;

-- name: ops_annotator_evidence
-- Review and QA verdicts, each credited to whoever last annotated the task before it.
WITH verdicts AS (
    SELECT s.stage, s.verdict,
           (SELECT a.user_id FROM submissions a
            WHERE a.task_id = s.task_id AND a.stage = 'annotate' AND a.created_at <= s.created_at
            ORDER BY a.created_at DESC LIMIT 1) AS annotator
    FROM submissions s JOIN tasks t ON t.task_id = s.task_id
    WHERE t.batch_id = $1 AND s.stage IN ('review', 'qa'))
SELECT annotator AS user_id, count(*) AS checked,
       count(*) FILTER (WHERE verdict = 'approve') AS passed
FROM verdicts WHERE annotator IS NOT NULL
GROUP BY annotator ORDER BY annotator;

-- name: ops_verdict_counts
SELECT s.stage, count(*) AS checked, count(*) FILTER (WHERE s.verdict = 'approve') AS passed
FROM submissions s JOIN tasks t ON t.task_id = s.task_id
WHERE t.batch_id = $1 AND s.stage IN ('review', 'qa')
GROUP BY s.stage;

-- name: ops_batch_events
SELECT kind, payload, at FROM events
WHERE batch_id = $1 AND kind IN ('batch_at_risk', 'batch_on_track')
ORDER BY at, event_id;

-- name: ops_qa_sample_totals
-- Frames reviewers and QA checked and found wrong, from the counts sent with their verdicts.
SELECT COALESCE(sum((payload ->> 'frames_checked')::bigint), 0) AS checked,
       COALESCE(sum((payload ->> 'frames_with_errors')::bigint), 0) AS errors
FROM events WHERE kind = 'qa_sample' AND batch_id = $1;
