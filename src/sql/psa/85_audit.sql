-- Audit log of business changes (Alga's audit_logs).

CREATE TABLE psa.audit_logs (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    audit_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id             uuid,
    operation           text NOT NULL,
    table_name          text NOT NULL,
    record_id           text NOT NULL,
    changed_data        jsonb NOT NULL DEFAULT '{}',
    details             jsonb NOT NULL DEFAULT '{}',
    "timestamp"         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, audit_id),
    CONSTRAINT audit_logs_names_not_empty CHECK (operation <> '' AND table_name <> '')
);
CREATE INDEX audit_logs_record_idx ON psa.audit_logs (tenant, table_name, record_id);
CREATE INDEX audit_logs_time_idx ON psa.audit_logs (tenant, "timestamp");
COMMENT ON TABLE psa.audit_logs IS 'Who changed what: one row per audited business change (workflow actions write one per side effect).';
COMMENT ON COLUMN psa.audit_logs.user_id IS 'The acting user (no foreign key: the log outlives users).';
COMMENT ON COLUMN psa.audit_logs.operation IS 'INSERT, UPDATE, DELETE or an action id (ticket.create, ...).';
COMMENT ON COLUMN psa.audit_logs.table_name IS 'The table (or entity) changed.';
COMMENT ON COLUMN psa.audit_logs.record_id IS 'The id of the changed row.';
COMMENT ON COLUMN psa.audit_logs.changed_data IS 'The changed columns and their new values.';
COMMENT ON COLUMN psa.audit_logs.details IS 'Context: workflow run id, step path, action id/version, ...';
COMMENT ON COLUMN psa.audit_logs."timestamp" IS 'When the change happened.';
