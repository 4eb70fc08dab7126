-- The task payload names who saved the draft, so that the scheduler hands a draft only to
-- whom it may: its author, or the next annotator of a normal task (work is never lost). A
-- double or gold task is annotated independently, and a reviewer or QA checks the submitted
-- labels, not another reviewer's unsaved edits.
CREATE OR REPLACE FUNCTION rl_task_payload(p_task_id text) RETURNS jsonb LANGUAGE sql STABLE AS $$
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
        'draft', (SELECT d.document FROM drafts d WHERE d.task_id = t.task_id),
        'draft_user', (SELECT d.user_id FROM drafts d WHERE d.task_id = t.task_id))
    FROM tasks t JOIN batches b ON b.batch_id = t.batch_id
    JOIN sequences s ON s.sequence_id = t.sequence_id
    WHERE t.task_id = p_task_id
$$;
