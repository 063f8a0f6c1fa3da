-- Scheduling: schedule entries (dispatch), their assignees and detected conflicts.

CREATE TABLE psa.schedule_entries (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    entry_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    title               text NOT NULL,
    scheduled_start     timestamptz NOT NULL,
    scheduled_end       timestamptz NOT NULL,
    status              text NOT NULL DEFAULT 'scheduled',
    notes               text,
    work_item_id        uuid,
    work_item_type      text NOT NULL DEFAULT 'ad_hoc',
    is_private          boolean NOT NULL DEFAULT false,
    is_recurring        boolean NOT NULL DEFAULT false,
    recurrence_pattern  jsonb,
    original_entry_id   uuid,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, entry_id),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CONSTRAINT schedule_entries_end_after_start CHECK (scheduled_end > scheduled_start),
    CHECK (status IN ('scheduled', 'confirmed', 'in_progress', 'completed', 'cancelled')),
    CHECK (work_item_type IN ('ticket', 'project_task', 'interaction', 'appointment_request', 'ad_hoc')),
    CONSTRAINT schedule_entries_work_item CHECK ((work_item_type = 'ad_hoc') = (work_item_id IS NULL)),
    CONSTRAINT schedule_entries_recurrence_pattern CHECK (NOT is_recurring OR recurrence_pattern IS NOT NULL)
);
CREATE INDEX schedule_entries_start_idx ON psa.schedule_entries (tenant, scheduled_start, scheduled_end);
CREATE INDEX schedule_entries_work_item_idx ON psa.schedule_entries (tenant, work_item_type, work_item_id);
CREATE INDEX schedule_entries_original_idx ON psa.schedule_entries (tenant, original_entry_id);
CREATE CONSTRAINT TRIGGER schedule_entries_original_ref AFTER INSERT OR UPDATE OF original_entry_id ON psa.schedule_entries
    FOR EACH ROW EXECUTE FUNCTION psa.check_self_ref('original_entry_id', 'entry_id');
CREATE CONSTRAINT TRIGGER schedule_entries_original_deleted AFTER DELETE ON psa.schedule_entries
    FOR EACH ROW EXECUTE FUNCTION psa.self_ref_deleted('original_entry_id', 'entry_id', 'cascade');
COMMENT ON TABLE psa.schedule_entries IS 'Scheduled work (dispatch board / calendar): a time slot, optionally for a ticket, project task or interaction, for one or more assignees.';
COMMENT ON COLUMN psa.schedule_entries.title IS 'What is scheduled.';
COMMENT ON COLUMN psa.schedule_entries.scheduled_start IS 'Start of the slot.';
COMMENT ON COLUMN psa.schedule_entries.scheduled_end IS 'End of the slot (after the start).';
COMMENT ON COLUMN psa.schedule_entries.status IS 'scheduled, confirmed, in_progress, completed or cancelled.';
COMMENT ON COLUMN psa.schedule_entries.work_item_type IS 'ticket, project_task, interaction, appointment_request, or ad_hoc (no work item).';
COMMENT ON COLUMN psa.schedule_entries.work_item_id IS 'The id of the work item (ticket_id, task_id, ...); NULL for ad_hoc entries.';
COMMENT ON COLUMN psa.schedule_entries.recurrence_pattern IS 'For recurring entries: frequency, interval, until/count, exceptions (JSON).';
COMMENT ON COLUMN psa.schedule_entries.original_entry_id IS 'For an occurrence split off a recurring series: the series'' entry (checked by a constraint trigger; deleting the series deletes its occurrences).';

CREATE TABLE psa.schedule_entry_assignees (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    entry_id            uuid NOT NULL,
    user_id             uuid NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, entry_id, user_id),
    FOREIGN KEY (tenant, entry_id) REFERENCES psa.schedule_entries (tenant, entry_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id) ON DELETE CASCADE
);
CREATE INDEX schedule_entry_assignees_user_idx ON psa.schedule_entry_assignees (tenant, user_id);
COMMENT ON TABLE psa.schedule_entry_assignees IS 'Users assigned to a schedule entry.';

CREATE TABLE psa.schedule_conflicts (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    conflict_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    entry_id_1          uuid NOT NULL,
    entry_id_2          uuid NOT NULL,
    user_id             uuid,
    conflict_type       text NOT NULL DEFAULT 'overlap',
    resolved            boolean NOT NULL DEFAULT false,
    resolution          jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, conflict_id),
    UNIQUE (tenant, entry_id_1, entry_id_2, conflict_type),
    FOREIGN KEY (tenant, entry_id_1) REFERENCES psa.schedule_entries (tenant, entry_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, entry_id_2) REFERENCES psa.schedule_entries (tenant, entry_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id) ON DELETE CASCADE,
    CONSTRAINT schedule_conflicts_two_entries CHECK (entry_id_1 <> entry_id_2),
    CHECK (conflict_type IN ('overlap', 'buffer', 'resource'))
);
CREATE INDEX schedule_conflicts_open_idx ON psa.schedule_conflicts (tenant, user_id) WHERE NOT resolved;
COMMENT ON TABLE psa.schedule_conflicts IS 'Conflicts between two schedule entries (double booking of a user, ...), and how they were resolved.';
COMMENT ON COLUMN psa.schedule_conflicts.conflict_type IS 'overlap, buffer (too little travel/buffer time) or resource.';
COMMENT ON COLUMN psa.schedule_conflicts.resolution IS 'How the conflict was resolved (JSON: action, by whom, when).';
