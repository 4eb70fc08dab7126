-- QA is never done by the task's reviewer: an admin (who may lease every stage) could approve
-- a task at review and then pass it at QA. Same function as 0005, one more exclusion.
-- The first free task, in urgency order, that the user may work on; locked. NULL if none.
CREATE OR REPLACE FUNCTION rl_free_task(p_user text, p_stages text[], p_project text, p_skills text[])
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
          -- Four eyes: nobody reviews or QA-checks their own annotation, nor QA-checks
          -- their own review (an admin may hold every role).
          AND NOT (tk.stage IN ('review', 'qa') AND EXISTS (
                   SELECT 1 FROM submissions s WHERE s.task_id = tk.task_id
                   AND s.user_id = p_user
                   AND (s.stage = 'annotate' OR (tk.stage = 'qa' AND s.stage = 'review'))))
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
