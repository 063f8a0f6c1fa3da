-- explain(run) and graph(workflow | run): the run tree and the diagrams.
-- Timings and run ids vary, so they are masked.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engine_tester') THEN
        CREATE ROLE engine_tester IN ROLE algawf_admin, algawf_operator, algawf_approver, algawf_service;
    END IF;
END $$;
SET ROLE engine_tester;
SET algawf.tenant = '00000000-0000-0000-0000-0000000000e5';

CREATE FUNCTION pg_temp.masked(r uuid) RETURNS SETOF text
LANGUAGE sql AS $$
    SELECT regexp_replace(regexp_replace(regexp_replace(x,
             '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'),
             '[0-9]+\.[0-9]{3} ms', 'N ms', 'g'),
             '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z', '<time>', 'g')
      FROM algawf.explain(r) x
$$;

SELECT algawf.create_workflow('{"id": "e5000000-0000-0000-0000-000000000001", "key": "explained", "name": "Explained",
  "steps": [
  {"id": "init", "type": "transform.assign", "config": {"assign": {"vars.n": 0}}},
  {"id": "loop", "type": "control.forEach", "items": {"$expr": "[1, 2, 3]"}, "itemVar": "i", "onItemError": "continue", "body": [
     {"id": "maybe", "type": "control.if", "condition": {"$expr": "i = 2 ? \"oops\" : true"},
      "then": [{"id": "count", "type": "transform.assign", "config": {"assign": {"vars.n": {"$expr": "vars.n + 1"}}}}]}]},
  {"id": "guard", "type": "control.tryCatch", "captureErrorAs": "err",
   "try": [{"id": "parse", "type": "action.call", "retry": {"maxAttempts": 2, "backoffMs": 0},
            "config": {"actionId": "transform.parse_json", "version": 1, "inputMapping": {"source": {"$expr": "payload.raw"}}, "saveAs": "parsed"}}],
   "catch": [{"id": "note", "type": "state.set", "config": {"state": "unparsable"}}]},
  {"id": "reply", "type": "event.wait", "config": {"eventName": "CUSTOMER_REPLIED", "correlationKey": {"$expr": "payload.ticket"}, "timeoutMs": 3600000}},
  {"id": "done", "type": "state.set", "config": {"state": "done"}}]}');

SELECT algawf.run('explained', '{"raw": "{not json", "ticket": "T-1"}', true) AS r \gset
SELECT * FROM pg_temp.masked(:'r');
SELECT algawf.deliver_event('CUSTOMER_REPLIED', '{}', 'T-1');
SELECT algawf.run_pending();
SELECT * FROM pg_temp.masked(:'r');

-- a failed run shows where and why
SELECT algawf.run(algawf.create_workflow('{"name": "Broken", "steps": [
  {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.a": 1}}},
  {"id": "b", "type": "transform.assign", "config": {"assign": {"vars.b": {"$expr": "$error(\"no luck\")"}}}},
  {"id": "c", "type": "transform.assign", "config": {"assign": {"vars.c": 1}}}]}'), '{}', true) AS r2 \gset
SELECT * FROM pg_temp.masked(:'r2');
SELECT * FROM algawf.explain('e5000000-0000-0000-0000-0000000000ff');

-- graphs of the workflow (its published version) and of the runs (coloured by status)
SELECT algawf.graph('e5000000-0000-0000-0000-000000000001');
SELECT algawf.graph('e5000000-0000-0000-0000-000000000001', 'dot');
SELECT regexp_replace(algawf.graph(:'r2'), '[0-9a-f]{8}-[0-9a-f-]{27}', '<id>', 'g');
SELECT regexp_replace(algawf.graph(:'r2', 'dot'), '[0-9a-f]{8}-[0-9a-f-]{27}', '<id>', 'g');
SELECT algawf.graph('e5000000-0000-0000-0000-000000000001', 'png');
SELECT algawf.graph('e5000000-0000-0000-0000-0000000000ff');
-- a draft that was never published is drawn from the draft
SELECT algawf.create_workflow('{"name": "Draft", "steps": [
  {"id": "only", "type": "control.return"}]}', false) AS d \gset
SELECT algawf.graph(:'d', 'dot');

-- leave the database as this test found it (other tests expect to install the extensions)
RESET ROLE;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
