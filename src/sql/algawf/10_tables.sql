-- The engine's tables: definitions and their published versions, runs and
-- everything a run leaves behind, approvals, schedules, variables, the event
-- catalog and payload schemas, and the HTTP outbox.
--
-- Every table is keyed by tenant first (primary key and every foreign key), so
-- the schema can be distributed on `tenant`; there are no cross-tenant foreign
-- keys and no global sequences on the hot path (per-run counters live in the run
-- row).  Row-level security, grants and pg_dump registration are in
-- 15_security.sql.

-- ---------------------------------------------------------------------------
-- Definitions

CREATE TABLE algawf.workflow_definitions (
    tenant                  uuid NOT NULL,
    workflow_id             uuid NOT NULL DEFAULT gen_random_uuid(),
    key                     text NOT NULL,
    name                    text NOT NULL,
    description             text,
    draft                   jsonb NOT NULL,
    draft_updated_at        timestamptz NOT NULL DEFAULT now(),
    status                  text NOT NULL DEFAULT 'draft'
                            CHECK (status IN ('draft', 'published')),
    published_version       int,
    payload_schema_ref      text,
    trigger                 jsonb,
    is_paused               boolean NOT NULL DEFAULT false,
    paused_reason           text,
    concurrency_limit       int CHECK (concurrency_limit > 0),
    auto_pause_on_failure   boolean NOT NULL DEFAULT false,
    failure_rate_threshold  numeric NOT NULL DEFAULT 0.5
                            CHECK (failure_rate_threshold > 0 AND failure_rate_threshold <= 1),
    failure_rate_min_runs   int NOT NULL DEFAULT 10 CHECK (failure_rate_min_runs > 0),
    run_max_duration        interval CHECK (run_max_duration > interval '0'),
    created_by              uuid,
    updated_by              uuid,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, workflow_id),
    UNIQUE (tenant, key)
);
COMMENT ON TABLE algawf.workflow_definitions IS
    'One row per workflow: its current draft definition and settings. Runs use published versions (workflow_definition_versions), never the draft.';
COMMENT ON COLUMN algawf.workflow_definitions.workflow_id IS 'The workflow''s id: the definition''s "id" when that is a UUID, else generated.';
COMMENT ON COLUMN algawf.workflow_definitions.key IS 'Human key, unique per tenant: the definition''s "key", else its non-UUID "id", else derived from the name. algawf.run(key, ...) accepts it.';
COMMENT ON COLUMN algawf.workflow_definitions.draft IS 'The draft definition (Alga V2 JSON), as last given to create_workflow/update_workflow; designer-only fields are kept.';
COMMENT ON COLUMN algawf.workflow_definitions.status IS 'draft (never published) or published (a version exists; the draft may have changed since).';
COMMENT ON COLUMN algawf.workflow_definitions.published_version IS 'The version new runs start on.';
COMMENT ON COLUMN algawf.workflow_definitions.trigger IS 'The published version''s trigger ({type: event|schedule|recurring, ...}); NULL for manual-only workflows.';
COMMENT ON COLUMN algawf.workflow_definitions.is_paused IS 'Paused workflows start no new runs; runs in progress continue.';
COMMENT ON COLUMN algawf.workflow_definitions.paused_reason IS 'Why the workflow is paused (set by algawf.set_paused or by auto-pause).';
COMMENT ON COLUMN algawf.workflow_definitions.concurrency_limit IS 'Maximum runs of this workflow started and not finished at once; further runs stay queued. NULL = unlimited.';
COMMENT ON COLUMN algawf.workflow_definitions.auto_pause_on_failure IS 'Pause the workflow when the failure rate of its last failure_rate_min_runs finished runs reaches failure_rate_threshold.';
COMMENT ON COLUMN algawf.workflow_definitions.failure_rate_threshold IS 'Failure rate (0..1] that triggers auto-pause.';
COMMENT ON COLUMN algawf.workflow_definitions.failure_rate_min_runs IS 'Window of finished runs over which the failure rate is computed (and the minimum before auto-pause can trigger).';
COMMENT ON COLUMN algawf.workflow_definitions.run_max_duration IS 'Maximum run duration for this workflow; NULL uses the algawf.run_max_duration setting.';
COMMENT ON COLUMN algawf.workflow_definitions.created_by IS 'PSA user (algawf.user) who created the workflow.';

CREATE TABLE algawf.workflow_definition_versions (
    tenant              uuid NOT NULL,
    workflow_id         uuid NOT NULL,
    version             int NOT NULL CHECK (version > 0),
    definition          jsonb NOT NULL,
    definition_hash     text NOT NULL,
    function_set        text NOT NULL DEFAULT 'extended' CHECK (function_set IN ('alga', 'extended')),
    payload_schema_ref  text,
    payload_schema      jsonb,
    warnings            jsonb NOT NULL DEFAULT '[]',
    published_by        uuid,
    published_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, workflow_id, version),
    FOREIGN KEY (tenant, workflow_id) REFERENCES algawf.workflow_definitions (tenant, workflow_id) ON DELETE CASCADE
);
COMMENT ON TABLE algawf.workflow_definition_versions IS
    'Immutable published versions of a workflow. A run pins the version it started on.';
COMMENT ON COLUMN algawf.workflow_definition_versions.definition IS 'The definition exactly as published.';
COMMENT ON COLUMN algawf.workflow_definition_versions.definition_hash IS 'sha256 of the definition''s text; identifies the content in caches.';
COMMENT ON COLUMN algawf.workflow_definition_versions.function_set IS 'Expression function set the version was validated with (the definition''s "functionSet", else algawf.function_set at publish).';
COMMENT ON COLUMN algawf.workflow_definition_versions.payload_schema IS 'The payload schema payloadSchemaRef resolved to at publish (NULL when unknown: payloads are then not validated).';
COMMENT ON COLUMN algawf.workflow_definition_versions.warnings IS 'Publish warnings: [{path, code, message}].';
COMMENT ON COLUMN algawf.workflow_definition_versions.published_by IS 'PSA user who published; runs of this version act as this user.';

CREATE TABLE algawf.workflow_steps (
    tenant          uuid NOT NULL,
    workflow_id     uuid NOT NULL,
    version         int NOT NULL,
    step_path       text NOT NULL,
    step_id         text NOT NULL,
    parent_path     text,
    branch          text NOT NULL CHECK (branch IN ('root', 'then', 'else', 'try', 'catch', 'body')),
    position        int NOT NULL,
    depth           int NOT NULL,
    step_type       text NOT NULL,
    name            text,
    action_id       text,
    action_version  int,
    config          jsonb,
    PRIMARY KEY (tenant, workflow_id, version, step_path),
    FOREIGN KEY (tenant, workflow_id, version)
        REFERENCES algawf.workflow_definition_versions (tenant, workflow_id, version) ON DELETE CASCADE
);
CREATE INDEX workflow_steps_action_idx ON algawf.workflow_steps (tenant, action_id) WHERE action_id IS NOT NULL;
CREATE INDEX workflow_steps_type_idx ON algawf.workflow_steps (tenant, step_type);
COMMENT ON TABLE algawf.workflow_steps IS
    'The steps of each published version, one row per step path, for querying ("which workflows call email.send?").';
COMMENT ON COLUMN algawf.workflow_steps.step_path IS 'Path of the step: root.steps[2].then.steps[0] (branches then|else|try|catch|body).';
COMMENT ON COLUMN algawf.workflow_steps.parent_path IS 'Path of the enclosing control step; NULL at the top level.';
COMMENT ON COLUMN algawf.workflow_steps.step_type IS 'action.call, transform.assign, control.if, ...';
COMMENT ON COLUMN algawf.workflow_steps.action_id IS 'For action.call: the action called.';
COMMENT ON COLUMN algawf.workflow_steps.config IS 'The step''s JSON without its nested step lists.';

-- ---------------------------------------------------------------------------
-- Runs
--
-- The run queue is workflow_runs itself:
--   * status RUNNING, runnable_at <= now, lease free  -> runnable ("queued"
--     when started_at IS NULL: not begun yet);
--   * status WAITING, runnable_at <= now, lease free  -> a timer is due (time.wait,
--     retry back-off, wait/approval expiry, run deadline);
--   * status WAITING, runnable_at NULL                -> parked until an event,
--     a decision or a child run resumes it (which sets RUNNING + runnable_at);
--   * SUCCEEDED / FAILED / CANCELED                   -> finished (runnable_at NULL).
-- A claimer takes rows with SELECT ... FOR UPDATE SKIP LOCKED ordered by
-- runnable_at (workflow_runs_runnable_idx / _tenant_idx), optionally sets
-- lease_owner/lease_expires_at, and calls algawf.run_segment(run_id), which
-- executes the run until it ends or parks and clears the lease, all in the
-- claimer's transaction.

CREATE TABLE algawf.workflow_runs (
    tenant              uuid NOT NULL,
    run_id              uuid NOT NULL DEFAULT gen_random_uuid(),
    workflow_id         uuid NOT NULL,
    workflow_version    int NOT NULL,
    status              text NOT NULL DEFAULT 'RUNNING'
                        CHECK (status IN ('RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'CANCELED')),
    runnable_at         timestamptz,
    lease_owner         text,
    lease_expires_at    timestamptz,
    current_path        text,
    input               jsonb NOT NULL DEFAULT '{}',
    payload             jsonb NOT NULL DEFAULT '{}',
    vars                jsonb NOT NULL DEFAULT '{}',
    meta                jsonb NOT NULL DEFAULT '{}',
    state               jsonb,
    error               jsonb,
    trigger_type        text NOT NULL DEFAULT 'manual'
                        CHECK (trigger_type IN ('manual', 'event', 'schedule', 'recurring', 'child', 'retry', 'webhook')),
    trigger_event_id    uuid,
    trigger_fire_key    text,
    trigger_metadata    jsonb,
    parent_run_id       uuid,
    parent_step_path    text,
    root_run_id         uuid,
    call_depth          int NOT NULL DEFAULT 0,
    retry_of            uuid,
    actor               uuid,
    next_seq            int NOT NULL DEFAULT 0,
    segments            int NOT NULL DEFAULT 0,
    steps_executed      int NOT NULL DEFAULT 0,
    deadline_at         timestamptz,
    cancel_reason       text,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at          timestamptz,
    completed_at        timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant, run_id),
    FOREIGN KEY (tenant, workflow_id, workflow_version)
        REFERENCES algawf.workflow_definition_versions (tenant, workflow_id, version) ON DELETE CASCADE,
    FOREIGN KEY (tenant, parent_run_id)
        REFERENCES algawf.workflow_runs (tenant, run_id) ON DELETE SET NULL (parent_run_id),
    CHECK ((status IN ('SUCCEEDED', 'FAILED', 'CANCELED')) = (completed_at IS NOT NULL))
);
-- On the hot tables the primary key is the only index led by tenant that is
-- not partial: plans cached while a table was small (or its statistics stale)
-- cannot then pick a tenant-only index for primary-key lookups.
CREATE UNIQUE INDEX workflow_runs_fire_key_idx ON algawf.workflow_runs (tenant, trigger_fire_key)
    WHERE trigger_fire_key IS NOT NULL;
CREATE INDEX workflow_runs_runnable_idx ON algawf.workflow_runs (runnable_at)
    WHERE status IN ('RUNNING', 'WAITING') AND runnable_at IS NOT NULL;
CREATE INDEX workflow_runs_runnable_tenant_idx ON algawf.workflow_runs (tenant, runnable_at)
    WHERE status IN ('RUNNING', 'WAITING') AND runnable_at IS NOT NULL;
CREATE INDEX workflow_runs_active_idx ON algawf.workflow_runs (tenant, workflow_id)
    WHERE status IN ('RUNNING', 'WAITING');
CREATE INDEX workflow_runs_workflow_idx ON algawf.workflow_runs (workflow_id, created_at DESC);
CREATE INDEX workflow_runs_parent_idx ON algawf.workflow_runs (tenant, parent_run_id) WHERE parent_run_id IS NOT NULL;
COMMENT ON TABLE algawf.workflow_runs IS
    'One row per run: status, position, data and timings. Also the run queue (see the comment in the install script and doc/engine.md).';
COMMENT ON COLUMN algawf.workflow_runs.status IS 'RUNNING (queued or executing), WAITING (parked on a timer, event, approval, child run or external call), SUCCEEDED, FAILED, CANCELED.';
COMMENT ON COLUMN algawf.workflow_runs.runnable_at IS 'When the run may next be executed: now for queued/resumed runs, the timer for WAITING runs, NULL when parked without a timer or finished.';
COMMENT ON COLUMN algawf.workflow_runs.lease_owner IS 'Worker currently holding the run (optional; row locks are authoritative).';
COMMENT ON COLUMN algawf.workflow_runs.current_path IS 'Step path the run is at (or failed at).';
COMMENT ON COLUMN algawf.workflow_runs.input IS 'The payload the run was started with (unchanged; algawf.retry reuses it).';
COMMENT ON COLUMN algawf.workflow_runs.payload IS 'The run''s payload (input); steps may assign into it.';
COMMENT ON COLUMN algawf.workflow_runs.vars IS 'The run''s variables (the "vars" root of expressions); the run''s result when it ends.';
COMMENT ON COLUMN algawf.workflow_runs.meta IS 'The "meta" root (state.set writes meta.state).';
COMMENT ON COLUMN algawf.workflow_runs.state IS 'Interpreter resume state: the frame stack (see src/interp.c).';
COMMENT ON COLUMN algawf.workflow_runs.error IS 'Why the run failed: {category, code, message, stepPath, stepId, hint, at}.';
COMMENT ON COLUMN algawf.workflow_runs.trigger_fire_key IS 'Idempotency key of the trigger firing that started the run (unique per tenant).';
COMMENT ON COLUMN algawf.workflow_runs.parent_run_id IS 'For runs started by control.callWorkflow: the calling run.';
COMMENT ON COLUMN algawf.workflow_runs.root_run_id IS 'The top-level run of a callWorkflow tree (the run itself at the top).';
COMMENT ON COLUMN algawf.workflow_runs.actor IS 'PSA user the run acts as: the publisher of its version, or the caller''s algawf.user for manual runs.';
COMMENT ON COLUMN algawf.workflow_runs.deadline_at IS 'started_at + maximum run duration; past it the run fails with TimeoutError.';

CREATE TABLE algawf.workflow_run_steps (
    tenant          uuid NOT NULL,
    run_id          uuid NOT NULL,
    seq             int NOT NULL,
    step_path       text NOT NULL,
    step_id         text NOT NULL,
    step_type       text NOT NULL,
    action_id       text,
    action_version  int,
    attempt         int NOT NULL DEFAULT 1,
    iteration       int,
    status          text NOT NULL
                    CHECK (status IN ('RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'RETRY_SCHEDULED', 'CANCELED')),
    started_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    duration_ms     double precision,
    error           jsonb,
    wait_id         uuid,
    invocation_id   uuid,
    PRIMARY KEY (tenant, run_id, seq),
    FOREIGN KEY (tenant, run_id) REFERENCES algawf.workflow_runs (tenant, run_id) ON DELETE CASCADE
);
CREATE INDEX workflow_run_steps_action_idx ON algawf.workflow_run_steps (tenant, action_id, started_at)
    WHERE action_id IS NOT NULL;
COMMENT ON TABLE algawf.workflow_run_steps IS
    'Every step attempt of every run: path, status, attempt, timings, error.';
COMMENT ON COLUMN algawf.workflow_run_steps.seq IS 'Order of the row within its run.';
COMMENT ON COLUMN algawf.workflow_run_steps.attempt IS '1-based attempt number (retries make more rows).';
COMMENT ON COLUMN algawf.workflow_run_steps.iteration IS 'Index of the innermost enclosing forEach iteration, if any.';
COMMENT ON COLUMN algawf.workflow_run_steps.status IS 'WAITING (parked), SUCCEEDED, FAILED, RETRY_SCHEDULED (failed, will be retried), CANCELED.';
COMMENT ON COLUMN algawf.workflow_run_steps.error IS '{category, code, message, stepPath, hint} when the attempt failed (also for onError: continue).';

CREATE TABLE algawf.workflow_run_waits (
    tenant          uuid NOT NULL,
    wait_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    run_id          uuid NOT NULL,
    step_path       text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('event', 'human', 'time', 'retry', 'child', 'action')),
    status          text NOT NULL DEFAULT 'WAITING'
                    CHECK (status IN ('WAITING', 'RESOLVED', 'TIMED_OUT', 'CANCELED')),
    event_name      text,
    correlation_key text,
    filters         jsonb,
    timeout_at      timestamptz,
    task_id         uuid,
    child_run_id    uuid,
    invocation_id   uuid,
    resolution      jsonb,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_at     timestamptz,
    PRIMARY KEY (tenant, wait_id),
    FOREIGN KEY (tenant, run_id) REFERENCES algawf.workflow_runs (tenant, run_id) ON DELETE CASCADE
);
CREATE INDEX workflow_run_waits_event_idx ON algawf.workflow_run_waits (tenant, event_name, correlation_key)
    WHERE status = 'WAITING' AND kind = 'event';
CREATE INDEX workflow_run_waits_run_idx ON algawf.workflow_run_waits (tenant, run_id) WHERE status = 'WAITING';
CREATE INDEX workflow_run_waits_child_idx ON algawf.workflow_run_waits (tenant, child_run_id) WHERE child_run_id IS NOT NULL;
CREATE INDEX workflow_run_waits_invocation_idx ON algawf.workflow_run_waits (tenant, invocation_id)
    WHERE kind = 'action' AND status = 'WAITING';
COMMENT ON TABLE algawf.workflow_run_waits IS
    'What a WAITING run waits for: an event (by name and correlation key), a human task, a timer, a retry back-off, a child run or an external call.';
COMMENT ON COLUMN algawf.workflow_run_waits.kind IS 'event | human | time | retry | child | action';
COMMENT ON COLUMN algawf.workflow_run_waits.status IS 'WAITING, RESOLVED (resumed), TIMED_OUT, CANCELED.';
COMMENT ON COLUMN algawf.workflow_run_waits.correlation_key IS 'For event waits: the key an event must carry to resume the run.';
COMMENT ON COLUMN algawf.workflow_run_waits.filters IS 'For event waits: [{path, op, value}] conditions on the event payload (Alga operators).';
COMMENT ON COLUMN algawf.workflow_run_waits.timeout_at IS 'When the wait times out (event/human) or fires (time/retry).';
COMMENT ON COLUMN algawf.workflow_run_waits.resolution IS 'What resumed the wait (event payload, decision, child result, action result).';

CREATE TABLE algawf.workflow_run_logs (
    tenant      uuid NOT NULL,
    run_id      uuid NOT NULL,
    seq         int NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    level       text NOT NULL CHECK (level IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    step_path   text,
    message     text NOT NULL,
    context     jsonb,
    PRIMARY KEY (tenant, run_id, seq),
    FOREIGN KEY (tenant, run_id) REFERENCES algawf.workflow_runs (tenant, run_id) ON DELETE CASCADE
);
COMMENT ON TABLE algawf.workflow_run_logs IS
    'Run lifecycle log: started, parked, resumed, retry scheduled, failed, canceled, auto-paused. Never contains secrets.';

CREATE TABLE algawf.workflow_runtime_events (
    tenant          uuid NOT NULL,
    event_id        uuid NOT NULL DEFAULT gen_random_uuid(),
    event_name      text NOT NULL,
    correlation_key text,
    payload         jsonb NOT NULL DEFAULT '{}',
    source          text,
    received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    resumed_runs    int NOT NULL DEFAULT 0,
    started_runs    int NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, event_id)
);
CREATE INDEX workflow_runtime_events_name_idx ON algawf.workflow_runtime_events (tenant, event_name, received_at DESC);
COMMENT ON TABLE algawf.workflow_runtime_events IS
    'Every event received (algawf.emit, algawf.deliver_event); the event id deduplicates redeliveries.';
COMMENT ON COLUMN algawf.workflow_runtime_events.resumed_runs IS 'How many waiting runs the event resumed.';
COMMENT ON COLUMN algawf.workflow_runtime_events.started_runs IS 'How many runs the event started (triggers).';

-- ---------------------------------------------------------------------------
-- Human tasks and approvals

CREATE TABLE algawf.approvals (
    tenant          uuid NOT NULL,
    task_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    run_id          uuid NOT NULL,
    wait_id         uuid NOT NULL,
    step_path       text NOT NULL,
    task_type       text NOT NULL,
    title           text NOT NULL,
    description     text,
    context_data    jsonb,
    assignee_type   text CHECK (assignee_type IN ('user', 'role')),
    assignee_id     uuid,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected', 'completed', 'expired', 'canceled')),
    decision        text,
    comment         text,
    decided_by      uuid,
    decided_at      timestamptz,
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant, task_id),
    FOREIGN KEY (tenant, run_id) REFERENCES algawf.workflow_runs (tenant, run_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, wait_id) REFERENCES algawf.workflow_run_waits (tenant, wait_id) ON DELETE CASCADE,
    CHECK ((assignee_type IS NULL) = (assignee_id IS NULL))
);
CREATE INDEX approvals_pending_idx ON algawf.approvals (tenant, assignee_type, assignee_id) WHERE status = 'pending';
CREATE INDEX approvals_run_idx ON algawf.approvals (run_id);
COMMENT ON TABLE algawf.approvals IS
    'Human tasks created by human.task steps; taskType "approval" tasks are decided approved/rejected with algawf.decide().';
COMMENT ON COLUMN algawf.approvals.task_id IS 'The id algawf.decide() takes.';
COMMENT ON COLUMN algawf.approvals.assignee_type IS 'user (psa.users) or role (psa.roles: any member holding workflow:approve).';
COMMENT ON COLUMN algawf.approvals.status IS 'pending, approved, rejected, completed (non-approval tasks), expired, canceled (run canceled).';
COMMENT ON COLUMN algawf.approvals.decided_by IS 'PSA user who decided.';
COMMENT ON COLUMN algawf.approvals.expires_at IS 'After this the task expires and the run resumes with a TimeoutError.';

-- ---------------------------------------------------------------------------
-- Schedules, variables, catalog

CREATE TABLE algawf.schedules (
    tenant          uuid NOT NULL,
    schedule_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    workflow_id     uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('schedule', 'recurring')),
    run_at          timestamptz,
    cron            text,
    timezone        text,
    payload         jsonb NOT NULL DEFAULT '{}',
    enabled         boolean NOT NULL DEFAULT true,
    next_fire_at    timestamptz,
    last_fire_key   text,
    last_fired_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, schedule_id),
    UNIQUE (tenant, workflow_id),
    FOREIGN KEY (tenant, workflow_id) REFERENCES algawf.workflow_definitions (tenant, workflow_id) ON DELETE CASCADE,
    CHECK (kind <> 'schedule' OR run_at IS NOT NULL),
    CHECK (kind <> 'recurring' OR (cron IS NOT NULL AND timezone IS NOT NULL))
);
CREATE INDEX schedules_due_idx ON algawf.schedules (next_fire_at) WHERE enabled AND next_fire_at IS NOT NULL;
COMMENT ON TABLE algawf.schedules IS
    'Schedule and recurring triggers of published workflows (one per workflow, kept in step with the published trigger).';
COMMENT ON COLUMN algawf.schedules.next_fire_at IS 'When the schedule fires next (NULL: not computed yet or done).';
COMMENT ON COLUMN algawf.schedules.last_fire_key IS 'Fire key of the last firing (makes firing idempotent).';

CREATE TABLE algawf.workflow_variables (
    tenant          uuid NOT NULL,
    variable_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    workflow_id     uuid,
    name            text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    value           jsonb NOT NULL,
    updated_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, variable_id),
    UNIQUE NULLS NOT DISTINCT (tenant, workflow_id, name),
    FOREIGN KEY (tenant, workflow_id) REFERENCES algawf.workflow_definitions (tenant, workflow_id) ON DELETE CASCADE
);
COMMENT ON TABLE algawf.workflow_variables IS
    'Tenant-wide (workflow_id NULL) and per-workflow variables, visible to expressions as env.NAME (the workflow''s value over the tenant''s).';
COMMENT ON COLUMN algawf.workflow_variables.workflow_id IS 'NULL for a tenant-wide variable.';

CREATE TABLE algawf.event_catalog (
    tenant              uuid NOT NULL,
    event_type          text NOT NULL,
    label               text,
    description         text,
    category            text,
    payload_schema_ref  text,
    source              text NOT NULL DEFAULT 'user' CHECK (source IN ('system', 'user')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, event_type)
);
COMMENT ON TABLE algawf.event_catalog IS
    'Event types workflows can be triggered by or wait for, with the payload schema of each. Entries of the nil tenant (00000000-0000-0000-0000-000000000000) are built in and apply to every tenant.';

CREATE TABLE algawf.payload_schemas (
    tenant      uuid NOT NULL,
    ref         text NOT NULL,
    schema      jsonb NOT NULL CHECK (jsonb_typeof(schema) = 'object'),
    description text,
    source      text NOT NULL DEFAULT 'user' CHECK (source IN ('system', 'user')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, ref)
);
COMMENT ON TABLE algawf.payload_schemas IS
    'Registered payload schemas (payloadSchemaRef targets): the event catalog''s and users'' own (algawf.register_schema). Entries of the nil tenant are built in.';

-- ---------------------------------------------------------------------------
-- Outbox for external calls (filled by the dispatcher, drained by the worker)

CREATE TABLE algawf.http_requests (
    tenant          uuid NOT NULL,
    request_id      uuid NOT NULL DEFAULT gen_random_uuid(),
    run_id          uuid,
    step_path       text,
    wait_id         uuid,
    invocation_id   uuid,
    action_id       text,
    method          text NOT NULL DEFAULT 'POST',
    url             text NOT NULL,
    headers         jsonb NOT NULL DEFAULT '{}',
    body            text,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'done', 'failed', 'canceled')),
    attempt         int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_owner     text,
    lease_expires_at timestamptz,
    response_status int,
    response_headers jsonb,
    response_body   text,
    error           jsonb,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at    timestamptz,
    PRIMARY KEY (tenant, request_id)
);
CREATE INDEX http_requests_pending_idx ON algawf.http_requests (next_attempt_at) WHERE status = 'pending';
COMMENT ON TABLE algawf.http_requests IS
    'Outbox of external calls (HTTP/SMTP): written in the run''s transaction, sent by the worker outside any transaction, result recorded and the run resumed.';
COMMENT ON COLUMN algawf.http_requests.headers IS 'Request headers with secret values unresolved or redacted.';
