-- Approvals: deciding human tasks, and the current user's pending ones.

CREATE FUNCTION algawf._user_in_role(user_id uuid, role_id uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM psa.user_roles ur
                    WHERE ur.tenant = algawf.require_tenant() AND ur.user_id = $1 AND ur.role_id = $2)
$$;
COMMENT ON FUNCTION algawf._user_in_role(uuid, uuid) IS
    'Whether a PSA user holds a role in the current tenant.';

CREATE FUNCTION algawf.decide(task_id uuid, decision text, comment text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t     uuid := algawf.require_tenant();
    u     uuid := algawf.current_user_id();
    a     algawf.approvals;
    r     uuid;
    ok    boolean;
    st    text;
    res   jsonb;
    seq   int;
BEGIN
    IF u IS NULL THEN
        RAISE EXCEPTION 'no PSA user is set' USING ERRCODE = 'insufficient_privilege',
            HINT = 'SET algawf.user = ''<psa user id>'' first: decisions are made by a user.';
    END IF;
    SELECT x.run_id INTO r FROM algawf.approvals x WHERE x.tenant = t AND x.task_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % does not exist', $1 USING ERRCODE = 'undefined_object';
    END IF;
    -- lock order everywhere: run, then its wait/task
    PERFORM 1 FROM algawf.workflow_runs x WHERE x.tenant = t AND x.run_id = r FOR UPDATE;
    SELECT * INTO a FROM algawf.approvals x WHERE x.tenant = t AND x.task_id = $1 FOR UPDATE;
    IF a.status <> 'pending' AND a.decided_by IS NOT NULL THEN
        RAISE EXCEPTION 'task % is already %', $1, a.status USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Decided by %s.', a.decided_by);
    ELSIF a.status <> 'pending' THEN
        RAISE EXCEPTION 'task % is already %', $1, a.status USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF a.task_type = 'approval' THEN
        IF decision IS NULL OR decision NOT IN ('approved', 'rejected') THEN
            RAISE EXCEPTION 'decision must be ''approved'' or ''rejected'', not %', coalesce(quote_literal(decision), 'NULL')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        st := decision;
    ELSE
        IF decision IS NULL OR decision = '' THEN
            RAISE EXCEPTION 'decision must not be empty' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        st := 'completed';
    END IF;

    IF a.assignee_type = 'user' THEN
        ok := a.assignee_id = u;
    ELSIF a.assignee_type = 'role' THEN
        ok := algawf._user_in_role(u, a.assignee_id) AND psa.user_has_permission(u, 'workflow', 'approve');
    ELSE
        ok := psa.user_has_permission(u, 'workflow', 'approve');
    END IF;
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION 'user % may not decide task %', u, $1 USING ERRCODE = 'insufficient_privilege',
            HINT = CASE a.assignee_type
                       WHEN 'user' THEN 'Only the assigned user can decide it.'
                       WHEN 'role' THEN 'Only members of the assigned role holding the workflow:approve permission can decide it.'
                       ELSE 'Deciding requires the workflow:approve permission.' END;
    END IF;

    UPDATE algawf.approvals x
       SET status = st, decision = $2, comment = $3, decided_by = u, decided_at = clock_timestamp()
     WHERE x.tenant = t AND x.task_id = $1
    RETURNING jsonb_build_object('decision', x.decision, 'comment', x.comment, 'decidedBy', x.decided_by,
                                 'decidedAt', to_char(x.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                 'taskId', x.task_id)
      INTO res;
    UPDATE algawf.workflow_run_waits w
       SET status = 'RESOLVED', resolution = res, resolved_at = clock_timestamp()
     WHERE w.tenant = t AND w.wait_id = a.wait_id AND w.status = 'WAITING';
    PERFORM algawf._wake(t, r);
    UPDATE algawf.workflow_runs x SET next_seq = x.next_seq + 1 WHERE x.tenant = t AND x.run_id = r
    RETURNING x.next_seq - 1 INTO seq;
    INSERT INTO algawf.workflow_run_logs (tenant, run_id, seq, level, step_path, message, context)
    VALUES (t, r, seq, 'INFO', a.step_path, 'Task decided', res - 'comment');
END
$$;
COMMENT ON FUNCTION algawf.decide(uuid, text, text) IS
    'Decides a human task (approval: ''approved'' or ''rejected''), once, as the session''s algawf.user: the assigned user, or a member of the assigned role holding workflow:approve. The run resumes with vars.event = {decision, comment, decidedBy, decidedAt} (queued for the worker or algawf.run_pending()).';
REVOKE ALL ON FUNCTION algawf.decide(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf.decide(uuid, text, text) TO algawf_approver, algawf_service;

CREATE VIEW algawf.pending_approvals WITH (security_invoker = true) AS
SELECT a.task_id, a.run_id, r.workflow_id, d.name AS workflow_name, a.step_path, a.task_type,
       a.title, a.description, a.context_data, a.assignee_type, a.assignee_id,
       a.expires_at, a.created_at
  FROM algawf.approvals a
  JOIN algawf.workflow_runs r ON r.tenant = a.tenant AND r.run_id = a.run_id
  JOIN algawf.workflow_definitions d ON d.tenant = r.tenant AND d.workflow_id = r.workflow_id
 WHERE a.status = 'pending'
   AND ((a.assignee_type = 'user' AND a.assignee_id = algawf.current_user_id())
        OR (a.assignee_type = 'role' AND algawf._user_in_role(algawf.current_user_id(), a.assignee_id)));
COMMENT ON VIEW algawf.pending_approvals IS
    'Pending human tasks assigned to the current user (algawf.user) or to a role the user holds.';
GRANT SELECT ON algawf.pending_approvals TO algawf_approver, algawf_operator, algawf_service;
