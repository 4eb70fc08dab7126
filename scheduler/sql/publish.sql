-- Queries behind publishing a batch's accepted labels with their lineage.

-- name: publish_accepted
SELECT t.task_id, t.sequence_id, t.first_frame, t.end_frame, t.overlap, t.document,
       t.annotated_by, t.ontology_version, t.prelabels->>'model_version' AS model_version,
       p.guideline_version
FROM tasks t JOIN projects p ON p.project_id = t.project_id
WHERE t.batch_id = $1 AND t.stage = 'accepted' AND t.kind <> 'gold'
ORDER BY t.sequence_id, t.first_frame;

-- name: publish_task_totals
SELECT count(*) AS total, count(*) FILTER (WHERE stage = 'accepted') AS accepted
FROM tasks WHERE batch_id = $1 AND kind <> 'gold';

-- name: publish_verdicts
SELECT count(*) FILTER (WHERE s.verdict = 'approve') AS approved,
       count(*) FILTER (WHERE s.verdict = 'reject') AS rejected
FROM submissions s JOIN tasks t ON t.task_id = s.task_id
WHERE t.batch_id = $1 AND s.stage IN ('review', 'qa');

-- name: publish_double_annotations
SELECT s.task_id, s.user_id, s.document
FROM submissions s JOIN tasks t ON t.task_id = s.task_id
WHERE t.batch_id = $1 AND t.kind = 'double' AND s.stage = 'annotate' AND s.document IS NOT NULL
ORDER BY s.task_id, s.created_at;

-- name: publish_cost
SELECT COALESCE(sum(cost), 0) AS cost FROM cost_ledger WHERE batch_id = $1;

-- name: publish_complete_batches
-- Batches whose every task (gold aside) is accepted: what `roadlabel publish --complete` takes.
SELECT t.batch_id FROM tasks t WHERE t.kind <> 'gold'
GROUP BY t.batch_id HAVING bool_and(t.stage = 'accepted')
ORDER BY t.batch_id;

-- name: publish_people
-- Who annotated, reviewed and QA-checked each accepted task (every submission, in order).
SELECT s.task_id, s.stage, s.user_id
FROM submissions s JOIN tasks t ON t.task_id = s.task_id
WHERE t.batch_id = $1 AND t.stage = 'accepted' AND t.kind <> 'gold'
ORDER BY s.task_id, s.created_at;
