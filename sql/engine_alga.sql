-- An Alga PSA workflow, as Alga's designer exports it (designer-only fields,
-- Alga's function allowlist, step-level retry and onError), using nested
-- control.forEach / control.tryCatch / control.callWorkflow / control.if over
-- the PSA sample tickets, runs to the expected result.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
SELECT psa.load_sample_data() IS NOT NULL AS sample_data;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engine_tester') THEN
        CREATE ROLE engine_tester IN ROLE algawf_admin, algawf_operator, algawf_approver, algawf_service;
    END IF;
END $$;
GRANT SELECT ON ALL TABLES IN SCHEMA psa TO engine_tester;
SET ROLE engine_tester;
SET algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET algawf."user" = '0000000a-0001-0000-0000-000000000001';

SELECT algawf.register_schema('payload.TicketBatch.v1', '{"type": "object", "required": ["tickets"],
  "properties": {"tickets": {"type": "array", "items": {"type": "object", "required": ["ticketId", "number", "title"]}}}}');

-- the child: classify one ticket
SELECT algawf.create_workflow($wf$
{
  "id": "8d3b7a52-5c1e-4f7a-9a43-2c9a1e0b1001",
  "version": 1,
  "name": "Classify ticket",
  "description": "Sets a priority and a queue from the ticket's title",
  "payloadSchemaRef": "payload.TicketBatch.v1.item",
  "steps": [
    {"id": "defaults", "type": "transform.assign", "name": "Defaults",
     "config": {"assign": {"vars.classification": {"$expr": "{\"priority\": \"normal\", \"queue\": \"service-desk\", \"number\": payload.ticket.number}"}}}},
    {"id": "is-network", "type": "control.if", "name": "Network issue?",
     "condition": {"$expr": "$contains($lowercase(payload.ticket.title), \"vpn\") or $contains($lowercase(payload.ticket.title), \"network\")"},
     "then": [
       {"id": "network", "type": "transform.assign", "name": "Escalate to network",
        "config": {"assign": {"vars.classification.priority": "high", "vars.classification.queue": "network"}}}
     ],
     "else": [
       {"id": "is-hardware", "type": "control.if", "name": "Hardware?",
        "condition": {"$expr": "$contains($lowercase(payload.ticket.title), \"printer\") or $contains($lowercase(payload.ticket.title), \"laptop\")"},
        "then": [
          {"id": "hardware", "type": "transform.assign",
           "config": {"assign": {"vars.classification.queue": "hardware"}}}
        ]}
     ]},
    {"id": "reject-empty", "type": "control.if",
     "condition": {"$expr": "len(payload.ticket.title) < 5"},
     "then": [
       {"id": "too-short", "type": "transform.assign",
        "config": {"assign": {"vars.x": {"$expr": "$error(\"title too short to classify\")"}}}}
     ]}
  ]
}
$wf$::jsonb) AS child;

-- the parent: triage a batch of tickets
SELECT algawf.create_workflow($wf$
{
  "id": "8d3b7a52-5c1e-4f7a-9a43-2c9a1e0b1000",
  "version": 3,
  "name": "Ticket batch triage",
  "description": "Classifies every ticket of a batch; failures are collected, not fatal",
  "payloadSchemaRef": "payload.TicketBatch.v1",
  "trigger": {"type": "event", "eventName": "TICKET_BATCH_RECEIVED",
              "payloadMapping": {"tickets": {"$expr": "payload.tickets"}}},
  "designerViewport": {"x": 0, "y": 0, "zoom": 0.8},
  "steps": [
    {"id": "start", "type": "state.set", "name": "Triage", "config": {"state": "TRIAGE"}},
    {"id": "init", "type": "transform.assign",
     "config": {"assign": {"vars.urgent": {"$expr": "[]"}, "vars.queues": {"$expr": "{}"},
                           "vars.failed": {"$expr": "[]"}, "vars.seen": 0}}},
    {"id": "each-ticket", "type": "control.forEach", "name": "For each ticket",
     "items": {"$expr": "payload.tickets"}, "itemVar": "ticket",
     "body": [
       {"id": "guard", "type": "control.tryCatch", "captureErrorAs": "ticketError",
        "try": [
          {"id": "classify", "type": "control.callWorkflow", "name": "Classify",
           "workflowId": "8d3b7a52-5c1e-4f7a-9a43-2c9a1e0b1001", "workflowVersion": 1,
           "inputMapping": {"ticket": {"$expr": "ticket"}},
           "outputMapping": {"vars.cls": {"$expr": "vars.childRun.vars.classification"}},
           "retry": {"maxAttempts": 2, "backoffMs": 0, "retryOn": ["TransientError"]}},
          {"id": "parse-attributes", "type": "action.call", "name": "Parse attributes",
           "designerGroupKey": "transform",
           "config": {"actionId": "transform.stringify_json", "version": 1,
                      "designerTileKind": "transform",
                      "inputMapping": {"source": {"$expr": "ticket.attributes"}},
                      "saveAs": "vars.attributesText",
                      "onError": {"policy": "continue"}}},
          {"id": "is-urgent", "type": "control.if",
           "condition": {"$expr": "vars.cls.priority = \"high\""},
           "then": [
             {"id": "mark-urgent", "type": "transform.assign",
              "config": {"assign": {"vars.urgent": {"$expr": "append(vars.urgent, ticket.number)"}}}}
           ]},
          {"id": "count-queue", "type": "transform.assign",
           "config": {"assign": {"vars.queues": {"$expr": "$merge([vars.queues, {vars.cls.queue: coalesce($lookup(vars.queues, vars.cls.queue), 0) + 1}])"}}}}
        ],
        "catch": [
          {"id": "remember-failure", "type": "transform.assign",
           "config": {"assign": {"vars.failed": {"$expr": "append(vars.failed, {\"number\": ticket.number, \"why\": ticketError.message})"}}}}
        ]},
       {"id": "seen", "type": "transform.assign", "config": {"assign": {"vars.seen": {"$expr": "vars.seen + 1"}}}}
     ]},
    {"id": "outcome", "type": "control.if",
     "condition": {"$expr": "len(toString(vars.urgent)) > 2"},
     "then": [{"id": "escalate", "type": "state.set", "config": {"state": "ESCALATED"}}],
     "else": [{"id": "normal", "type": "state.set", "config": {"state": "NORMAL"}}]},
    {"id": "cleanup", "type": "transform.assign", "config": {"assign": {"vars.cls": {"$expr": "vars.__removed__"}, "vars.attributesText": {"$expr": "vars.__removed__"}}}},
    {"id": "end", "type": "control.return"},
    {"id": "unreachable", "type": "state.set", "config": {"state": "NEVER"}}
  ]
}
$wf$::jsonb) AS parent;

SELECT path, code FROM algawf.validate((SELECT draft FROM algawf.workflow_definitions
                                         WHERE workflow_id = '8d3b7a52-5c1e-4f7a-9a43-2c9a1e0b1000'));
SELECT warnings FROM algawf.workflow_definition_versions WHERE workflow_id = '8d3b7a52-5c1e-4f7a-9a43-2c9a1e0b1001';

-- the batch: tenant A's sample tickets, plus one whose title is too short
SELECT jsonb_build_object('tickets',
         jsonb_agg(jsonb_build_object('ticketId', t.ticket_id, 'number', t.ticket_number, 'title', t.title,
                                      'attributes', t.attributes) ORDER BY t.ticket_number)
         || '[{"ticketId": "0000000a-0009-0000-0000-0000000000ff", "number": "TIC009999", "title": "?!", "attributes": {}}]'::jsonb)
         AS batch
  FROM psa.tickets t WHERE t.tenant = '00000000-0000-0000-0000-00000000000a' \gset
SELECT algawf.run('8d3b7a52-5c1e-4f7a-9a43-2c9a1e0b1000', :'batch', true) AS r \gset

SELECT status, meta, jsonb_pretty(vars - 'ticketError') AS vars FROM algawf.runs WHERE run_id = :'r';
-- the last caught error, as captureErrorAs left it (its time left out)
SELECT jsonb_pretty(vars->'ticketError' - 'at') AS last_caught FROM algawf.runs WHERE run_id = :'r';
SELECT count(*) AS children, count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded,
       count(*) FILTER (WHERE status = 'FAILED') AS failed
  FROM algawf.runs WHERE parent_run_id = :'r';
SELECT step_id, status, count(*) FROM algawf.run_steps WHERE run_id = :'r'
 GROUP BY step_id, status ORDER BY min(seq), status;

-- leave the database as this test found it (other tests expect to install the extensions)
RESET ROLE;
DROP EXTENSION algawf CASCADE;
DROP EXTENSION algawf_psa CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
