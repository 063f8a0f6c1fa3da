-- Projects, phases and project tasks.

CREATE TABLE psa.projects (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    project_id          uuid NOT NULL DEFAULT gen_random_uuid(),
    project_number      text NOT NULL,
    project_name        text NOT NULL,
    description         text,
    client_id           uuid NOT NULL,
    contact_name_id     uuid,
    assigned_to         uuid,
    status_id           uuid,
    start_date          date,
    end_date            date,
    budgeted_hours      numeric(10, 2),
    wbs_code            text,
    is_inactive         boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, project_id),
    UNIQUE (tenant, project_number),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    FOREIGN KEY (tenant, contact_name_id) REFERENCES psa.contacts (tenant, contact_name_id),
    FOREIGN KEY (tenant, assigned_to) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, status_id) REFERENCES psa.statuses (tenant, status_id),
    CHECK (project_name <> ''),
    CONSTRAINT projects_end_after_start CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
    CHECK (budgeted_hours IS NULL OR budgeted_hours >= 0)
);
CREATE INDEX projects_client_idx ON psa.projects (tenant, client_id);
COMMENT ON TABLE psa.projects IS 'Client projects. project_number is filled from psa.next_number(''PROJECT'') when omitted.';
COMMENT ON COLUMN psa.projects.project_number IS 'Human-facing number (PRJ001001), unique per tenant.';
COMMENT ON COLUMN psa.projects.project_name IS 'Project name.';
COMMENT ON COLUMN psa.projects.client_id IS 'The client the project is for.';
COMMENT ON COLUMN psa.projects.assigned_to IS 'Project manager.';
COMMENT ON COLUMN psa.projects.status_id IS 'A status of status_type project.';
COMMENT ON COLUMN psa.projects.budgeted_hours IS 'Hours budgeted for the whole project.';

CREATE TABLE psa.project_phases (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    phase_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    project_id          uuid NOT NULL,
    phase_name          text NOT NULL,
    description         text,
    start_date          date,
    end_date            date,
    status              text NOT NULL DEFAULT 'planned',
    order_number        integer NOT NULL DEFAULT 0,
    wbs_code            text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, phase_id),
    FOREIGN KEY (tenant, project_id) REFERENCES psa.projects (tenant, project_id) ON DELETE CASCADE,
    CHECK (phase_name <> ''),
    CHECK (status IN ('planned', 'active', 'on_hold', 'completed', 'cancelled')),
    CONSTRAINT project_phases_end_after_start CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX project_phases_project_idx ON psa.project_phases (tenant, project_id, order_number);
COMMENT ON TABLE psa.project_phases IS 'Phases of a project, in order_number order.';
COMMENT ON COLUMN psa.project_phases.status IS 'planned, active, on_hold, completed or cancelled.';

CREATE TABLE psa.project_tasks (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    task_id             uuid NOT NULL DEFAULT gen_random_uuid(),
    phase_id            uuid NOT NULL,
    task_name           text NOT NULL,
    description         text,
    assigned_to         uuid,
    status_id           uuid,
    priority_id         uuid,
    estimated_hours     numeric(10, 2),
    actual_hours        numeric(10, 2),
    due_date            timestamptz,
    wbs_code            text,
    order_number        integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, task_id),
    FOREIGN KEY (tenant, phase_id) REFERENCES psa.project_phases (tenant, phase_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, assigned_to) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, status_id) REFERENCES psa.statuses (tenant, status_id),
    FOREIGN KEY (tenant, priority_id) REFERENCES psa.priorities (tenant, priority_id),
    CHECK (task_name <> ''),
    CHECK (estimated_hours IS NULL OR estimated_hours >= 0),
    CHECK (actual_hours IS NULL OR actual_hours >= 0)
);
CREATE INDEX project_tasks_phase_idx ON psa.project_tasks (tenant, phase_id, order_number);
CREATE INDEX project_tasks_assigned_idx ON psa.project_tasks (tenant, assigned_to);
COMMENT ON TABLE psa.project_tasks IS 'Tasks of a project phase.';
COMMENT ON COLUMN psa.project_tasks.task_name IS 'Task name.';
COMMENT ON COLUMN psa.project_tasks.assigned_to IS 'The user doing the task.';
COMMENT ON COLUMN psa.project_tasks.status_id IS 'A status of status_type project_task.';
COMMENT ON COLUMN psa.project_tasks.estimated_hours IS 'Estimate in hours.';
COMMENT ON COLUMN psa.project_tasks.actual_hours IS 'Hours spent so far.';

-- projects and project tasks: status type check, numbering, updated_at.
CREATE FUNCTION psa.project_items_before_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'projects' THEN
        IF NEW.project_number IS NULL THEN
            NEW.project_number := psa.next_number(NEW.tenant, 'PROJECT');
        END IF;
        PERFORM psa._status_is_closed(NEW.tenant, NEW.status_id, 'project');
    ELSE
        PERFORM psa._status_is_closed(NEW.tenant, NEW.status_id, 'project_task');
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION psa.project_items_before_write() IS
    'BEFORE INSERT OR UPDATE on psa.projects and psa.project_tasks: numbers new projects, checks the status type, touches updated_at.';
CREATE TRIGGER projects_before_write BEFORE INSERT OR UPDATE ON psa.projects
    FOR EACH ROW EXECUTE FUNCTION psa.project_items_before_write();
CREATE TRIGGER project_tasks_before_write BEFORE INSERT OR UPDATE ON psa.project_tasks
    FOR EACH ROW EXECUTE FUNCTION psa.project_items_before_write();
