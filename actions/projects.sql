-- Projects family: projects.create_task (psa.project_tasks).

CREATE FUNCTION algawf._act_projects_create_task(ctx jsonb, input jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $$
<<fn>>
DECLARE
    t uuid := (SELECT algawf.current_tenant());
    actor uuid := algawf._ops_actor(ctx);
    project psa.projects;
    phase psa.project_phases;
    assignee uuid;
    status_id uuid := (input ->> 'status_id')::uuid;
    priority_id uuid := (input ->> 'priority_id')::uuid;
    ticket_id uuid := (input ->> 'link_ticket_id')::uuid;
    task psa.project_tasks;
BEGIN
    SELECT * INTO project FROM psa.projects p WHERE p.tenant = t AND p.project_id = (input ->> 'project_id')::uuid;
    IF NOT FOUND THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('project_id: project %s not found', input ->> 'project_id'));
    END IF;
    IF project.is_inactive THEN
        PERFORM algawf._ops_fail('VALIDATION_ERROR', format('project %s (%s) is inactive', project.project_number, project.project_name));
    END IF;

    IF input ? 'phase_id' THEN
        SELECT * INTO phase FROM psa.project_phases ph WHERE ph.tenant = t AND ph.phase_id = (input ->> 'phase_id')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('phase_id: phase %s not found', input ->> 'phase_id'));
        END IF;
        IF phase.project_id <> project.project_id THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', format('phase_id: phase "%s" belongs to another project', phase.phase_name));
        END IF;
    ELSE
        SELECT * INTO phase FROM psa.project_phases ph
         WHERE ph.tenant = t AND ph.project_id = project.project_id AND ph.status NOT IN ('completed', 'cancelled')
         ORDER BY ph.order_number, ph.created_at LIMIT 1;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('project %s has no open phase', project.project_number), NULL,
                                     'Add a phase to the project (psa.project_phases) or pass phase_id.');
        END IF;
    END IF;

    IF input #>> '{assignee,type}' = 'team' THEN
        SELECT tm.manager_id INTO assignee FROM psa.teams tm WHERE tm.tenant = t AND tm.team_id = (input #>> '{assignee,id}')::uuid;
        IF NOT FOUND THEN
            PERFORM algawf._ops_fail('NOT_FOUND', format('assignee.id: team %s not found', input #>> '{assignee,id}'));
        END IF;
        IF assignee IS NULL THEN
            PERFORM algawf._ops_fail('VALIDATION_ERROR', 'assignee: the team has no manager to assign the task to');
        END IF;
        PERFORM algawf._ops_user(assignee, 'assignee (team manager)');
    ELSIF input ? 'assignee' THEN
        assignee := (input #>> '{assignee,id}')::uuid;
        PERFORM algawf._ops_user(assignee, 'assignee.id');
    END IF;

    IF status_id IS NOT NULL THEN
        PERFORM algawf._ops_status(status_id, 'project_task', 'status_id');
    ELSE
        status_id := algawf._ops_default_status('project_task');
    END IF;
    IF priority_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM psa.priorities p WHERE p.tenant = t AND p.priority_id = fn.priority_id) THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('priority_id: priority %s not found', priority_id));
    END IF;
    IF ticket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM psa.tickets k WHERE k.tenant = t AND k.ticket_id = fn.ticket_id) THEN
        PERFORM algawf._ops_fail('NOT_FOUND', format('link_ticket_id: ticket %s not found', ticket_id));
    END IF;

    INSERT INTO psa.project_tasks (tenant, phase_id, task_name, description, assigned_to, status_id, priority_id,
                                   estimated_hours, due_date, wbs_code, order_number)
    SELECT t, phase.phase_id, input ->> 'title', input ->> 'description', assignee, fn.status_id, fn.priority_id,
           (input ->> 'estimated_hours')::numeric, (input ->> 'due_date')::timestamptz,
           coalesce(phase.wbs_code, '1') || '.' || (count(*) + 1), coalesce(max(pt.order_number), 0) + 1
      FROM psa.project_tasks pt
     WHERE pt.tenant = t AND pt.phase_id = phase.phase_id
    RETURNING * INTO task;

    IF ticket_id IS NOT NULL THEN
        INSERT INTO psa.entity_links (tenant, source_type, source_id, target_type, target_id, link_type, created_by)
        VALUES (t, 'ticket', ticket_id, 'project_task', task.task_id, 'related', actor)
        ON CONFLICT DO NOTHING;
    END IF;

    PERFORM algawf._ops_audit(ctx, 'project_tasks', task.task_id::text, jsonb_build_object(
        'task_id', task.task_id, 'project_id', project.project_id, 'phase_id', phase.phase_id,
        'assigned_to', assignee, 'link_ticket_id', ticket_id));

    RETURN jsonb_build_object(
        'task_id', task.task_id,
        'task_name', task.task_name,
        'project_id', project.project_id,
        'project_number', project.project_number,
        'phase_id', phase.phase_id,
        'wbs_code', task.wbs_code,
        'status_id', task.status_id,
        'priority_id', task.priority_id,
        'assigned_to', task.assigned_to,
        'linked_ticket_id', ticket_id,
        'url', format('/msp/projects/%s?task=%s', project.project_id, task.task_id),
        'created_at', algawf._ops_iso(task.created_at));
END
$$;
COMMENT ON FUNCTION algawf._act_projects_create_task(jsonb, jsonb) IS
    'Implementation of projects.create_task: a task in a project phase (default: the first open phase), optionally assigned and linked to a ticket.';
REVOKE ALL ON FUNCTION algawf._act_projects_create_task(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._act_projects_create_task(jsonb, jsonb) TO algawf_service, algawf_admin;

SELECT algawf._ops_register($def${
  "id": "projects.create_task", "version": 1,
  "label": "Create Project Task", "category": "Projects",
  "description": "Add a task to a client project (in the given phase, else the first open one): assignee or team, status, priority, estimate, due date, and optionally a link to the ticket it came from.",
  "inputSchema": {"type": "object", "additionalProperties": false, "required": ["project_id", "title"], "properties": {
    "project_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "project"},
    "phase_id": {"type": "string", "format": "uuid", "description": "Default: the project's first open phase", "x-workflow-picker-kind": "project-phase", "x-workflow-picker-dependencies": ["project_id"]},
    "title": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": {"type": "string"},
    "assignee": {"type": "object", "additionalProperties": false, "required": ["type", "id"], "description": "A user, or a team (its manager gets the task)", "properties": {
      "type": {"enum": ["user", "team"]},
      "id": {"type": "string", "format": "uuid", "x-workflow-picker-kind-from": "type"}}},
    "status_id": {"type": "string", "format": "uuid", "description": "A project_task status (default: the default one)", "x-workflow-picker-kind": "project-task-status"},
    "priority_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "priority"},
    "estimated_hours": {"type": "number", "minimum": 0, "maximum": 10000},
    "due_date": {"type": "string", "format": "date-time"},
    "link_ticket_id": {"type": "string", "format": "uuid", "description": "A ticket to link the task to (entity link, related)", "x-workflow-picker-kind": "ticket"},
    "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
      "description": "Optional key of your own: a second call with the same key returns the first task instead of creating another. Without it, the step's own run and path key the call."}}},
  "outputSchema": {"type": "object", "required": ["task_id", "project_id", "phase_id", "url", "created_at"], "properties": {
    "task_id": {"type": "string", "format": "uuid"},
    "task_name": {"type": "string"},
    "project_id": {"type": "string", "format": "uuid"},
    "project_number": {"type": "string"},
    "phase_id": {"type": "string", "format": "uuid"},
    "wbs_code": {"type": ["string", "null"]},
    "status_id": {"type": ["string", "null"], "format": "uuid"},
    "priority_id": {"type": ["string", "null"], "format": "uuid"},
    "assigned_to": {"type": ["string", "null"], "format": "uuid"},
    "linked_ticket_id": {"type": ["string", "null"], "format": "uuid"},
    "url": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"}}},
  "permissions": ["project_task:create"],
  "sideEffectful": true,
  "idempotency": {"mode": "actionProvided", "key": "idempotency_key"},
  "retryHint": {"maxAttempts": 3, "backoffMs": 500, "retryOn": ["TransientError"]},
  "examples": [{"title": "Follow-up task from a ticket",
                "input": {"project_id": "00000000-0000-4000-8000-000000000010", "title": "Replace VPN concentrator",
                          "assignee": {"type": "user", "id": "0000000a-0001-0000-0000-000000000003"}, "estimated_hours": 4,
                          "link_ticket_id": "0000000a-0009-0000-0000-000000000002"}}],
  "implementation": {"kind": "sql", "function": "algawf._act_projects_create_task"}
}$def$);
