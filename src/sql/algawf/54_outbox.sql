-- The HTTP outbox (algawf.http_requests, created with the engine's tables):
-- the columns the sender needs, recording a result, resuming the run, and the
-- http.request action's SQL entry point.  See doc/worker.md.

ALTER TABLE algawf.http_requests
    ADD COLUMN idempotency_key text,
    ADD COLUMN correlation_id  text,
    ADD COLUMN call_attempt    int NOT NULL DEFAULT 1,
    ADD COLUMN timeout_ms      int CHECK (timeout_ms BETWEEN 1 AND 600000),
    ADD COLUMN expect_status   int[],
    ADD COLUMN body_json       jsonb,
    ADD COLUMN response_json   jsonb,
    ADD COLUMN elapsed_ms      int;
CREATE INDEX http_requests_call_idx ON algawf.http_requests (tenant, run_id, idempotency_key, call_attempt);
CREATE INDEX http_requests_sending_idx ON algawf.http_requests (lease_expires_at) WHERE status = 'sending';
CREATE INDEX http_requests_completed_idx ON algawf.http_requests (completed_at) WHERE completed_at IS NOT NULL;
COMMENT ON COLUMN algawf.http_requests.idempotency_key IS 'Sent as the Idempotency-Key header; the same for every send of the request (a resend after a worker died carries the same key).';
COMMENT ON COLUMN algawf.http_requests.correlation_id IS 'Sent as X-Correlation-Id (the run id).';
COMMENT ON COLUMN algawf.http_requests.call_attempt IS 'The step attempt this request belongs to (a retry of the step makes a new request).';
COMMENT ON COLUMN algawf.http_requests.attempt IS 'How many times the request was handed to a sender (more than 1 only when a sender died before recording the result).';
COMMENT ON COLUMN algawf.http_requests.timeout_ms IS 'Total time limit (timeoutMs); NULL: algawf.http_timeout.';
COMMENT ON COLUMN algawf.http_requests.expect_status IS 'Statuses that count as success (expectStatus); NULL: any 2xx.';
COMMENT ON COLUMN algawf.http_requests.body_json IS 'A JSON body ({"json": ...}), serialized when sent (secrets resolved then, never stored in clear).';
COMMENT ON COLUMN algawf.http_requests.response_json IS 'The response body parsed, when the response is JSON.';
COMMENT ON COLUMN algawf.http_requests.elapsed_ms IS 'Time from the start of the transfer to its end.';

-- Record a result (only while the caller still holds the lease) and resume
-- the run waiting for it: its wait (kind 'action', at the call's step path) is
-- resolved with {ok: true, output: {status, headers, body, json?}} or
-- {ok: false, error: {category, code, message, retryable, retryAfterMs?}},
-- which the interpreter takes as the step's result.
CREATE FUNCTION algawf._outbox_record(p_tenant uuid, p_request uuid, p_owner text, p_status text,
    p_response_status int, p_response_headers jsonb, p_response_body text, p_response_json jsonb,
    p_error jsonb, p_elapsed_ms int) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    v_resolution jsonb;
BEGIN
    UPDATE algawf.http_requests
       SET status = p_status, response_status = p_response_status, response_headers = p_response_headers,
           response_body = p_response_body, response_json = p_response_json, error = p_error,
           elapsed_ms = p_elapsed_ms, completed_at = clock_timestamp(),
           lease_owner = NULL, lease_expires_at = NULL
     WHERE tenant = p_tenant AND request_id = p_request AND status = 'sending' AND lease_owner = p_owner
    RETURNING run_id, step_path INTO r;
    IF NOT FOUND THEN
        RETURN false;           -- the lease lapsed and someone else took over
    END IF;
    IF r.run_id IS NULL THEN
        RETURN true;
    END IF;

    IF p_status = 'done' THEN
        v_resolution := jsonb_build_object('ok', true, 'output',
            jsonb_strip_nulls(jsonb_build_object('status', p_response_status,
                                                 'headers', coalesce(p_response_headers, '{}'),
                                                 'body', coalesce(p_response_body, ''),
                                                 'json', p_response_json))
            || CASE WHEN p_response_json = 'null' THEN '{"json": null}'::jsonb ELSE '{}' END);
    ELSE
        v_resolution := jsonb_build_object('ok', false, 'error', p_error);
    END IF;

    -- lock order everywhere: run, then its wait
    PERFORM 1 FROM algawf.workflow_runs x
     WHERE x.tenant = p_tenant AND x.run_id = r.run_id AND x.status IN ('RUNNING', 'WAITING') FOR UPDATE;
    IF FOUND THEN
        UPDATE algawf.workflow_run_waits w
           SET status = 'RESOLVED', resolution = v_resolution, resolved_at = clock_timestamp()
         WHERE w.tenant = p_tenant AND w.run_id = r.run_id AND w.kind = 'action'
           AND w.step_path = r.step_path AND w.status = 'WAITING';
        IF FOUND THEN
            PERFORM algawf._wake(p_tenant, r.run_id);
        END IF;
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION algawf._outbox_record(uuid, uuid, text, text, int, jsonb, text, jsonb, jsonb, int) IS
    'Internal: an executor records an HTTP result (if it still holds the lease) and resumes the run waiting for it.';
REVOKE ALL ON FUNCTION algawf._outbox_record(uuid, uuid, text, text, int, jsonb, text, jsonb, jsonb, int) FROM PUBLIC;

CREATE FUNCTION algawf._http_action(input jsonb, idempotency_key text, run_id uuid, step_path text, attempt int)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'algawf_http_action_sql'
    LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION algawf._http_action(jsonb, text, uuid, text, int) IS
    'Internal: the http.request action as the dispatcher calls it (for the current tenant): {deferred} while the request is queued or in flight, then {ok, output} or {error}.';
REVOKE ALL ON FUNCTION algawf._http_action(jsonb, text, uuid, text, int) FROM PUBLIC;

CREATE FUNCTION algawf._http_url_problem(url text) RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_http_url_problem_sql'
    LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION algawf._http_url_problem(text) IS
    'Internal: NULL when http.request may call the URL under the current algawf.http_allowed_hosts, else why not.';
