-- roadlabel core schema: projects, users, batches, sequences, frames, tasks, leases,
-- drafts, submissions, skips, events and the append-only cost ledger.

CREATE TABLE projects (
    project_id        text PRIMARY KEY,
    name              text NOT NULL,
    ontology          jsonb NOT NULL,
    ontology_version  text NOT NULL,
    guideline_url     text NOT NULL DEFAULT '',
    guideline_version text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    user_id     text PRIMARY KEY,
    role        text NOT NULL CHECK (role IN ('annotator', 'reviewer', 'qa', 'ops', 'admin')),
    token_hash  text NOT NULL UNIQUE,
    skills      text[] NOT NULL DEFAULT '{}',
    hourly_rate double precision NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE project_members (
    project_id text NOT NULL REFERENCES projects,
    user_id    text NOT NULL REFERENCES users,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE batches (
    batch_id   text PRIMARY KEY,
    project_id text NOT NULL REFERENCES projects,
    deadline   timestamptz NOT NULL,
    priority   integer NOT NULL DEFAULT 0,
    at_risk    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sequences (
    sequence_id     text PRIMARY KEY,
    source_uri      text NOT NULL,
    decoder_version text NOT NULL,
    calibration     jsonb NOT NULL,
    frame_count     integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE frames (
    sequence_id text NOT NULL REFERENCES sequences,
    frame_index integer NOT NULL,
    pts         bigint NOT NULL,
    timestamp_s double precision NOT NULL,
    sha256      text NOT NULL,
    object_key  text NOT NULL,
    byte_offset bigint NOT NULL,
    byte_length bigint NOT NULL,
    PRIMARY KEY (sequence_id, frame_index)
);

CREATE TABLE tasks (
    task_id          text PRIMARY KEY,
    batch_id         text NOT NULL REFERENCES batches,
    project_id       text NOT NULL REFERENCES projects,
    sequence_id      text NOT NULL REFERENCES sequences,
    first_frame      integer NOT NULL,
    end_frame        integer NOT NULL CHECK (end_frame > first_frame),
    overlap          integer NOT NULL DEFAULT 0,
    stage            text NOT NULL DEFAULT 'annotate'
                     CHECK (stage IN ('annotate', 'review', 'qa', 'accepted')),
    kind             text NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'double', 'gold')),
    required_skills  text[] NOT NULL DEFAULT '{}',
    prelabels        jsonb,
    gold             jsonb,
    document         jsonb,
    document_version bigint NOT NULL DEFAULT 0,
    fencing_token    bigint NOT NULL DEFAULT 0,
    -- Expiry of the task's active lease (NULL: none), mirrored from leases by a trigger so
    -- that "is this task free" is a row-local test the lease queue can index and re-check.
    leased_until     timestamptz,
    annotated_by     text,
    review_comments  text[] NOT NULL DEFAULT '{}',
    ontology_version text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    accepted_at      timestamptz,
    UNIQUE (batch_id, sequence_id, first_frame)
);
CREATE INDEX tasks_queue ON tasks (stage, project_id) WHERE stage <> 'accepted';
CREATE INDEX tasks_lease_queue ON tasks (batch_id, stage, created_at, sequence_id, first_frame)
    WHERE stage <> 'accepted';

CREATE TABLE leases (
    lease_id      uuid PRIMARY KEY,
    task_id       text NOT NULL REFERENCES tasks,
    user_id       text NOT NULL REFERENCES users,
    stage         text NOT NULL,
    fencing_token bigint NOT NULL,
    state         text NOT NULL DEFAULT 'active'
                  CHECK (state IN ('active', 'submitted', 'released', 'expired')),
    granted_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
-- At most one active lease per task, whatever the number of replicas.
CREATE UNIQUE INDEX leases_one_active ON leases (task_id) WHERE state = 'active';
CREATE INDEX leases_expiry ON leases (expires_at) WHERE state = 'active';

CREATE TABLE drafts (
    task_id  text PRIMARY KEY REFERENCES tasks,
    user_id  text NOT NULL,
    document jsonb NOT NULL,
    version  bigint NOT NULL DEFAULT 1,
    saved_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE submissions (
    submission_id    uuid PRIMARY KEY,
    task_id          text NOT NULL REFERENCES tasks,
    lease_id         uuid NOT NULL REFERENCES leases,
    user_id          text NOT NULL REFERENCES users,
    idempotency_key  text NOT NULL,
    stage            text NOT NULL,
    verdict          text NOT NULL DEFAULT 'submit',
    document         jsonb,
    document_version bigint NOT NULL,
    next_stage       text NOT NULL,
    findings         jsonb NOT NULL DEFAULT '[]',
    comments         text[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, idempotency_key)
);

CREATE TABLE skips (
    skip_id    bigserial PRIMARY KEY,
    task_id    text NOT NULL REFERENCES tasks,
    user_id    text NOT NULL,
    reason     text NOT NULL,
    comment    text NOT NULL DEFAULT '',
    resolved   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
    event_id bigserial PRIMARY KEY,
    kind     text NOT NULL,
    batch_id text,
    task_id  text,
    payload  jsonb NOT NULL DEFAULT '{}',
    at       timestamptz NOT NULL DEFAULT now()
);

-- Append-only: rows are never updated or deleted (enforced by the trigger below).
CREATE TABLE cost_ledger (
    entry_id bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    batch_id text,
    task_id  text,
    user_id  text,
    kind     text NOT NULL,
    seconds  double precision NOT NULL DEFAULT 0,
    cost     double precision NOT NULL DEFAULT 0,
    currency text NOT NULL DEFAULT 'USD',
    frames   integer NOT NULL DEFAULT 0
);

CREATE FUNCTION rl_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'cost_ledger is append-only';
END $$;

CREATE TRIGGER cost_ledger_no_change BEFORE UPDATE OR DELETE ON cost_ledger
    FOR EACH ROW EXECUTE FUNCTION rl_ledger_append_only();
