-- Benchmark fixtures: a 10-step DB-only workflow (5 SQL action calls writing
-- rows, 5 data/control steps) and a 10-step control/assign-only one.
SET client_min_messages = warning;
SET algawf.tenant = '00000000-0000-0000-0000-0000000000b1';
CREATE SCHEMA IF NOT EXISTS engine_bench;
GRANT USAGE ON SCHEMA engine_bench TO algawf_service;
CREATE TABLE IF NOT EXISTS engine_bench.log (id bigint GENERATED ALWAYS AS IDENTITY, run_n int, note text,
                                              at timestamptz DEFAULT clock_timestamp());
CREATE TABLE IF NOT EXISTS engine_bench.counter (k text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
INSERT INTO engine_bench.counter VALUES ('runs', 0) ON CONFLICT DO NOTHING;
GRANT ALL ON ALL TABLES IN SCHEMA engine_bench TO algawf_service;
CREATE OR REPLACE FUNCTION engine_bench.log_it(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE sql AS $$
    INSERT INTO engine_bench.log (run_n, note) VALUES ((input->>'n')::int, input->>'note') RETURNING jsonb_build_object('id', id)
$$;
CREATE OR REPLACE FUNCTION engine_bench.bump(ctx jsonb, input jsonb) RETURNS jsonb LANGUAGE sql AS $$
    UPDATE engine_bench.counter SET n = n + 1 WHERE k = input->>'key' RETURNING jsonb_build_object('n', n)
$$;
SELECT algawf.register_action('{"id": "engine_bench.log", "version": 1, "label": "Log", "category": "Bench",
  "description": "inserts a row", "sideEffectful": false, "idempotency": {"mode": "engineProvided"},
  "inputSchema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}, "note": {"type": "string"}}},
  "outputSchema": {"type": "object"}, "implementation": {"kind": "sql", "function": "engine_bench.log_it"}}', true);
SELECT algawf.register_action('{"id": "engine_bench.bump", "version": 1, "label": "Bump", "category": "Bench",
  "description": "updates a counter", "sideEffectful": false, "idempotency": {"mode": "engineProvided"},
  "inputSchema": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}},
  "outputSchema": {"type": "object"}, "implementation": {"kind": "sql", "function": "engine_bench.bump"}}', true);
SELECT algawf.delete_workflow(workflow_id) FROM algawf.workflow_definitions WHERE key IN ('bench-db', 'bench-control');
SELECT algawf.create_workflow('{"key": "bench-db", "name": "bench: 10 DB steps", "steps": [
  {"id": "s1", "type": "transform.assign", "config": {"assign": {"vars.n": {"$expr": "payload.n"}}}},
  {"id": "s2", "type": "action.call", "config": {"actionId": "engine_bench.log", "version": 1,
     "inputMapping": {"n": {"$expr": "vars.n"}, "note": "start"}, "saveAs": "first"}},
  {"id": "s3", "type": "control.if", "condition": {"$expr": "vars.n > 0"}, "then": [
     {"id": "s4", "type": "action.call", "config": {"actionId": "engine_bench.bump", "version": 1,
        "inputMapping": {"key": "runs"}, "saveAs": "count"}}]},
  {"id": "s5", "type": "transform.assign", "config": {"assign": {"vars.label": {"$expr": "\"run \" & $string(vars.count.n)"}}}},
  {"id": "s6", "type": "action.call", "config": {"actionId": "engine_bench.log", "version": 1,
     "inputMapping": {"n": {"$expr": "vars.n"}, "note": {"$expr": "vars.label"}}}},
  {"id": "s7", "type": "state.set", "config": {"state": "LOGGED"}},
  {"id": "s8", "type": "action.call", "config": {"actionId": "engine_bench.log", "version": 1,
     "inputMapping": {"n": {"$expr": "vars.n"}, "note": "middle"}}},
  {"id": "s9", "type": "transform.assign", "config": {"assign": {"vars.done": true}}},
  {"id": "s10", "type": "action.call", "config": {"actionId": "engine_bench.log", "version": 1,
     "inputMapping": {"n": {"$expr": "vars.n"}, "note": "end"}}}]}') IS NOT NULL AS bench_db;
SELECT algawf.create_workflow('{"key": "bench-control", "name": "bench: 10 control steps", "steps": [
  {"id": "a1", "type": "transform.assign", "config": {"assign": {"vars.a": {"$expr": "payload.n"}}}},
  {"id": "a2", "type": "transform.assign", "config": {"assign": {"vars.b": {"$expr": "vars.a + 1"}}}},
  {"id": "i", "type": "control.if", "condition": {"$expr": "vars.b > 1"}, "then": [
     {"id": "a3", "type": "transform.assign", "config": {"assign": {"vars.c": {"$expr": "vars.b * 2"}}}}]},
  {"id": "l", "type": "control.forEach", "items": {"$expr": "[1, 2]"}, "itemVar": "x", "body": [
     {"id": "a4", "type": "transform.assign", "config": {"assign": {"vars.d": {"$expr": "x"}}}}]},
  {"id": "s", "type": "state.set", "config": {"state": "DONE"}},
  {"id": "a5", "type": "transform.assign", "config": {"assign": {"vars.e": {"$expr": "vars.c & \"\""}}}},
  {"id": "a6", "type": "transform.assign", "config": {"assign": {"vars.f": true}}}]}') IS NOT NULL AS bench_control;
-- both execute exactly 10 steps
SELECT algawf.run('bench-db', '{"n": 1}', true) AS r1, algawf.run('bench-control', '{"n": 1}', true) AS r2 \gset
SELECT (SELECT count(*) FROM algawf.workflow_run_steps WHERE run_id = :'r1') AS bench_db_steps,
       (SELECT count(*) FROM algawf.workflow_run_steps WHERE run_id = :'r2') AS bench_control_steps;
