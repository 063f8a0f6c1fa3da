-- Services, time periods, time sheets and time entries.

CREATE TABLE psa.service_catalog (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    service_id          uuid NOT NULL DEFAULT gen_random_uuid(),
    service_name        text NOT NULL,
    description         text,
    billing_method      text NOT NULL DEFAULT 'hourly',
    default_rate        bigint NOT NULL DEFAULT 0,
    unit_of_measure     text NOT NULL DEFAULT 'hour',
    is_active           boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, service_id),
    UNIQUE (tenant, service_name),
    CHECK (service_name <> ''),
    CHECK (billing_method IN ('fixed', 'hourly', 'usage')),
    CHECK (default_rate >= 0)
);
COMMENT ON TABLE psa.service_catalog IS 'Services the MSP sells (Alga''s service catalog): what time entries and quote items are billed as.';
COMMENT ON COLUMN psa.service_catalog.service_name IS 'Service name.';
COMMENT ON COLUMN psa.service_catalog.billing_method IS 'fixed, hourly or usage.';
COMMENT ON COLUMN psa.service_catalog.default_rate IS 'Default rate in the smallest currency unit (cents) per unit_of_measure.';

CREATE TABLE psa.time_periods (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    period_id           uuid NOT NULL DEFAULT gen_random_uuid(),
    start_date          date NOT NULL,
    end_date            date NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, period_id),
    UNIQUE (tenant, start_date),
    CONSTRAINT time_periods_end_after_start CHECK (end_date > start_date)
);
COMMENT ON TABLE psa.time_periods IS 'Time sheet periods [start_date, end_date).';

CREATE TABLE psa.time_sheets (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    id                  uuid NOT NULL DEFAULT gen_random_uuid(),
    period_id           uuid NOT NULL,
    user_id             uuid NOT NULL,
    approval_status     text NOT NULL DEFAULT 'DRAFT',
    submission_date     timestamptz,
    approval_date       timestamptz,
    approved_by         uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, period_id, user_id),
    FOREIGN KEY (tenant, period_id) REFERENCES psa.time_periods (tenant, period_id),
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, approved_by) REFERENCES psa.users (tenant, user_id),
    CHECK (approval_status IN ('DRAFT', 'SUBMITTED', 'APPROVED', 'CHANGES_REQUESTED')),
    CONSTRAINT time_sheets_approved_has_approver CHECK (approval_status <> 'APPROVED' OR approved_by IS NOT NULL)
);
CREATE INDEX time_sheets_status_idx ON psa.time_sheets (tenant, approval_status);
COMMENT ON TABLE psa.time_sheets IS 'A user''s time sheet for a period, with its approval state. The key column is id, as in Alga.';
COMMENT ON COLUMN psa.time_sheets.id IS 'Time sheet id (time_entries.time_sheet_id).';
COMMENT ON COLUMN psa.time_sheets.approval_status IS 'DRAFT, SUBMITTED, APPROVED or CHANGES_REQUESTED.';
COMMENT ON COLUMN psa.time_sheets.approved_by IS 'The approver (required once APPROVED).';

CREATE TABLE psa.time_entries (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    entry_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id             uuid NOT NULL,
    work_item_id        uuid,
    work_item_type      text NOT NULL DEFAULT 'ad_hoc',
    service_id          uuid,
    time_sheet_id       uuid,
    start_time          timestamptz NOT NULL,
    end_time            timestamptz NOT NULL,
    billable_duration   integer NOT NULL DEFAULT 0,
    notes               text,
    approval_status     text NOT NULL DEFAULT 'DRAFT',
    invoiced            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, entry_id),
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, service_id) REFERENCES psa.service_catalog (tenant, service_id),
    FOREIGN KEY (tenant, time_sheet_id) REFERENCES psa.time_sheets (tenant, id),
    CONSTRAINT time_entries_end_after_start CHECK (end_time >= start_time),
    CONSTRAINT time_entries_billable_within_elapsed CHECK (billable_duration >= 0
           AND billable_duration <= ceil(extract(epoch FROM end_time - start_time) / 60)),
    CHECK (work_item_type IN ('ticket', 'project_task', 'interaction', 'ad_hoc', 'non_billable_category')),
    CHECK (approval_status IN ('DRAFT', 'SUBMITTED', 'APPROVED', 'CHANGES_REQUESTED'))
);
CREATE INDEX time_entries_user_idx ON psa.time_entries (tenant, user_id, start_time);
CREATE INDEX time_entries_work_item_idx ON psa.time_entries (tenant, work_item_type, work_item_id);
CREATE INDEX time_entries_sheet_idx ON psa.time_entries (tenant, time_sheet_id);
COMMENT ON TABLE psa.time_entries IS 'Time worked by a user, on a ticket, project task, interaction or ad hoc.';
COMMENT ON COLUMN psa.time_entries.work_item_type IS 'ticket, project_task, interaction, ad_hoc or non_billable_category.';
COMMENT ON COLUMN psa.time_entries.work_item_id IS 'The id of the work item (ticket_id, task_id, ...).';
COMMENT ON COLUMN psa.time_entries.start_time IS 'Start of the work.';
COMMENT ON COLUMN psa.time_entries.end_time IS 'End of the work.';
COMMENT ON COLUMN psa.time_entries.billable_duration IS 'Billable minutes (at most the elapsed time).';
COMMENT ON COLUMN psa.time_entries.approval_status IS 'DRAFT, SUBMITTED, APPROVED or CHANGES_REQUESTED.';
COMMENT ON COLUMN psa.time_entries.invoiced IS 'Already billed.';
