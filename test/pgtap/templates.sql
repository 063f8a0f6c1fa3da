-- The workflow templates gallery: every template is instantiated and run end
-- to end (inline runs, approvals decided, timers fast-forwarded) with the rows
-- it writes asserted; the family switch at instantiation and at run time; the
-- INTERACTION_LOGGED event of crm.schedule_activity.  Needs the engine and the
-- Tickets/Contacts actions: skipped (with the reason) in a build without them.
BEGIN;
SELECT no_plan();

SELECT psa.load_sample_data() IS NOT NULL AS loaded \gset
SET LOCAL algawf.tenant = '00000000-0000-0000-0000-00000000000a';
SET LOCAL client_min_messages = warning;
SELECT set_config('algawf.user', '0000000a-0001-0000-0000-000000000001', true) IS NOT NULL AS alice \gset

-- the gallery itself needs nothing else
SELECT set_eq($$SELECT template FROM algawf.templates$$,
    ARRAY['email-ticket-triage', 'sla-breach-escalation', 'auto-dispatch', 'post-resolution-follow-up',
          'csat-survey', 'contract-renewal-approval',
          'rmm-disk-full-remediation', 'huntress-incident-enrichment', 'teams-escalation-on-call'],
    'the gallery holds the six templates and the three integration templates (tested in test/pgtap/integrations.sql and test/e2e/integration_templates.sh)');
SELECT is_empty($$SELECT template FROM algawf.templates WHERE name = '' OR description = '' OR cardinality(action_ids) = 0$$,
                'each has a name, a description and actions');
SELECT results_eq($$SELECT template, trigger_type, trigger_event FROM algawf.templates WHERE trigger_type <> 'manual'
                       AND template NOT IN ('huntress-incident-enrichment') ORDER BY 1$$,
    $$VALUES ('csat-survey', 'event', 'TICKET_CLOSED'), ('post-resolution-follow-up', 'event', 'TICKET_CLOSED')$$,
    'the follow-up and CSAT templates are triggered by TICKET_CLOSED');
SELECT is((SELECT families FROM algawf.templates WHERE template = 'contract-renewal-approval'), ARRAY['crm', 'notifications'],
          'families are derived from the actions a template calls');
SELECT ok((SELECT bool_and(sample_payload IS NOT NULL) FROM algawf.templates WHERE trigger_type = 'manual'),
          'manual templates come with a sample payload');
SELECT throws_ok($$SELECT algawf.instantiate('no-such-template', 'x')$$, '42704', NULL, 'an unknown template is refused');

SELECT (to_regprocedure('algawf.create_workflow(jsonb,boolean)') IS NOT NULL
        AND EXISTS (SELECT 1 FROM algawf.actions WHERE action_id IN ('tickets.create', 'contacts.find'))) AS complete \gset
\if :complete

CREATE FUNCTION pg_temp.act_as(u uuid) RETURNS text LANGUAGE sql AS
    $$ SELECT '# acting as ' || set_config('algawf.user', u::text, true) $$;
-- run inline and return the run row as jsonb
CREATE FUNCTION pg_temp.go(workflow uuid, payload jsonb) RETURNS uuid LANGUAGE sql AS
    $$ SELECT algawf.run(workflow, payload, wait => true) $$;
CREATE FUNCTION pg_temp.run_of(id uuid) RETURNS jsonb LANGUAGE sql AS
    $$ SELECT to_jsonb(r) FROM algawf.runs r WHERE r.run_id = id $$;
-- a parked run's timer is due now
CREATE FUNCTION pg_temp.fast_forward(id uuid) RETURNS integer LANGUAGE sql AS $$
    UPDATE algawf.workflow_run_waits SET timeout_at = now() - interval '1 second' WHERE run_id = id AND status = 'WAITING';
    UPDATE algawf.workflow_runs SET runnable_at = now() - interval '1 second' WHERE run_id = id;
    SELECT algawf.run_pending();
$$;

-- ---------------------------------------------------------------- instantiate
SELECT algawf.instantiate('sla-breach-escalation', 'SLA escalation (inactive)') AS inactive_wf \gset
SELECT is((SELECT is_paused FROM algawf.workflow_definitions WHERE workflow_id = :'inactive_wf'), true,
          'instantiate: an instance is paused unless active');
SELECT is((SELECT published_version FROM algawf.workflow_definitions WHERE workflow_id = :'inactive_wf'), 1,
          'instantiate: ... and published as version 1');
SELECT throws_like(format($$SELECT algawf.run(%L::uuid, '{"ticket_id": "0000000a-0009-0000-0000-000000000001"}', true)$$, :'inactive_wf'),
                   '%paused%', 'instantiate: a paused instance starts no runs');
SELECT isnt(algawf.instantiate('sla-breach-escalation', 'SLA escalation (second)'), :'inactive_wf'::uuid,
            'instantiate: a template can be instantiated again, as another workflow');

SELECT algawf.set_family_enabled('email', false) IS NULL AS off \gset
SELECT is((SELECT available FROM algawf.templates WHERE template = 'csat-survey'), false, 'family off: templates using it are unavailable');
SELECT is((SELECT unavailable_reason FROM algawf.templates WHERE template = 'csat-survey'), 'families disabled for this tenant: email',
          'family off: the view names the family');
SELECT throws_like($$SELECT algawf.instantiate('csat-survey', 'CSAT while email is off')$$, '%cannot be published%',
                   'family off: a template using it cannot be instantiated (published)');
SELECT ok(EXISTS (SELECT 1 FROM algawf.validate((SELECT definition FROM algawf.templates WHERE template = 'csat-survey'))
                   WHERE code = 'UNKNOWN_ACTION' AND message LIKE '%family "email" is disabled%'),
          'family off: publishing reports UNKNOWN_ACTION naming the family');
SELECT algawf.set_family_enabled('email', true) IS NULL AS on_again \gset

SELECT algawf.instantiate('email-ticket-triage', 'E-mail triage', true) AS triage_wf \gset
SELECT algawf.instantiate('sla-breach-escalation', 'SLA escalation', true) AS sla_wf \gset
SELECT algawf.instantiate('auto-dispatch', 'Dispatch', true) AS dispatch_wf \gset
SELECT algawf.instantiate('post-resolution-follow-up', 'Resolution follow-up', true) AS followup_wf \gset
SELECT algawf.instantiate('csat-survey', 'CSAT survey', true) AS csat_wf \gset
SELECT algawf.instantiate('contract-renewal-approval', 'Contract renewal', true) AS renewal_wf \gset
SELECT is((SELECT count(*)::int FROM algawf.workflow_definitions WHERE workflow_id IN (:'triage_wf', :'sla_wf', :'dispatch_wf',
                                                                                        :'followup_wf', :'csat_wf', :'renewal_wf')
             AND published_version = 1 AND NOT is_paused), 6, 'instantiate: six active, published workflows');
SELECT is((SELECT trigger ->> 'eventName' FROM algawf.workflow_definitions WHERE workflow_id = :'csat_wf'), 'TICKET_CLOSED',
          'instantiate: the trigger comes with the template');

-- ---------------------------------------------------------------- 1. e-mail triage
SELECT algawf.set_variable('triage_assignee_id', '"0000000a-0001-0000-0000-000000000003"') IS NULL AS v1 \gset
SELECT pg_temp.go(:'triage_wf', (SELECT sample_payload FROM algawf.templates WHERE template = 'email-ticket-triage')) AS r1 \gset
SELECT is(pg_temp.run_of(:'r1') ->> 'status', 'SUCCEEDED', 'triage: the run succeeds');
SELECT (pg_temp.run_of(:'r1') #>> '{vars,ticket,ticket_id}') AS t1 \gset
SELECT results_eq(format($$SELECT title, client_id::text, contact_name_id::text, assigned_to::text, attributes ->> 'description'
                           FROM psa.tickets WHERE ticket_id = %L$$, :'t1'),
    $$VALUES ('Outlook keeps asking for my password', '0000000a-0003-0000-0000-000000000001', '0000000a-0004-0000-0000-000000000001',
              '0000000a-0001-0000-0000-000000000003', 'Since this morning Outlook prompts for my password every few minutes.')$$,
    'triage: a ticket for the sender''s client, with the sender as contact, assigned to the triage technician');
SELECT ok((SELECT note LIKE 'Hello John Smith, we received your request and opened ticket TIC%' AND NOT is_internal
             FROM psa.comments WHERE ticket_id = :'t1'), 'triage: a public acknowledgement comment with the ticket number');
SELECT is((SELECT count(*)::int FROM psa.internal_notifications WHERE user_id = '0000000a-0001-0000-0000-000000000003'
             AND link = '/msp/tickets/' || :'t1'), 1, 'triage: the technician is notified with a link to the ticket');
SELECT pg_temp.go(:'triage_wf', '{"from": {"email": "stranger@nowhere.example"}, "subject": "Buy now", "body": "spam"}') AS r1b \gset
SELECT is(pg_temp.run_of(:'r1b') #>> '{meta,state}', 'UNKNOWN_SENDER', 'triage: an unknown sender makes no ticket');
SELECT is((SELECT count(*)::int FROM psa.internal_notifications WHERE user_id = '0000000a-0001-0000-0000-000000000002'
             AND title = 'E-mail from an unknown sender: stranger@nowhere.example'), 1, 'triage: ... and the dispatchers are told');
SELECT is((SELECT count(*)::int FROM psa.tickets WHERE title = 'Buy now'), 0, 'triage: no ticket for the unknown sender');

-- ---------------------------------------------------------------- 2. SLA breach escalation
SELECT algawf.set_variable('sla_escalation_priority_id', '"0000000a-0007-0000-0000-000000000004"') IS NULL AS v2 \gset
SELECT pg_temp.go(:'sla_wf', '{"ticket_id": "0000000a-0009-0000-0000-000000000001", "breach": "resolution"}') AS r2 \gset
SELECT is(pg_temp.run_of(:'r2') #>> '{meta,state}', 'ESCALATED', 'sla: the run escalates');
SELECT ok((SELECT is_internal FROM psa.comments WHERE ticket_id = '0000000a-0009-0000-0000-000000000001'
             AND note LIKE 'SLA resolution target breached%'), 'sla: an internal note on the ticket');
SELECT is((SELECT priority_id::text FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000001'),
          '0000000a-0007-0000-0000-000000000004', 'sla: the priority is raised to the escalation priority');
SELECT is((SELECT count(*)::int FROM psa.internal_notifications WHERE user_id = '0000000a-0001-0000-0000-000000000005'
             AND title = 'SLA breached: TIC001001' AND type = 'warning'), 1, 'sla: the manager is notified (warning)');
SELECT pg_temp.go(:'sla_wf', '{"ticket_id": "0000000a-0009-0000-0000-000000000001", "breach": "resolution"}') AS r2b \gset
SELECT is((SELECT count(*)::int FROM psa.internal_notifications WHERE user_id = '0000000a-0001-0000-0000-000000000005'
             AND title = 'SLA breached: TIC001001'), 1, 'sla: a second breach run does not notify again (dedupe key)');
SELECT is(pg_temp.run_of(:'r2b') #> '{vars,raised}', NULL, 'sla: ... nor raises the priority again');
SELECT pg_temp.go(:'sla_wf', '{"ticket_id": "0000000a-0009-0000-0000-000000000004"}') AS r2c \gset
SELECT is(pg_temp.run_of(:'r2c') #>> '{meta,state}', 'ALREADY_CLOSED', 'sla: a closed ticket is left alone');

-- ---------------------------------------------------------------- 3. auto-scheduling dispatch
SELECT pg_temp.go(:'dispatch_wf', '{"ticket_id": "0000000a-0009-0000-0000-000000000003", "technician_id": "0000000a-0001-0000-0000-000000000004",
                                "start": "2030-03-05T14:00:00Z", "duration_minutes": 90}') AS r3 \gset
SELECT is(pg_temp.run_of(:'r3') #>> '{meta,state}', 'DISPATCHED', 'dispatch: the run dispatches');
SELECT is((SELECT assigned_to::text FROM psa.tickets WHERE ticket_id = '0000000a-0009-0000-0000-000000000003'),
          '0000000a-0001-0000-0000-000000000004', 'dispatch: the ticket is assigned to the technician');
SELECT results_eq($$SELECT e.scheduled_start, e.scheduled_end, e.work_item_type, a.user_id::text FROM psa.schedule_entries e
                    JOIN psa.schedule_entry_assignees a USING (tenant, entry_id)
                   WHERE e.work_item_id = '0000000a-0009-0000-0000-000000000003'$$,
    $$VALUES ('2030-03-05T14:00:00Z'::timestamptz, '2030-03-05T15:30:00Z'::timestamptz, 'ticket', '0000000a-0001-0000-0000-000000000004')$$,
    'dispatch: a 90-minute schedule entry for the technician');
SELECT is((SELECT count(*)::int FROM psa.internal_notifications WHERE user_id = '0000000a-0001-0000-0000-000000000004'
             AND title = 'You are booked on TIC001003'), 1, 'dispatch: the technician is notified');
SELECT results_eq($$SELECT envelope -> 'recipients', message ->> 'subject' FROM algawf.email_outbox
                   WHERE message ->> 'subject' LIKE '%TIC001003'$$,
    $$VALUES ('["bill.lumbergh@initech.example"]'::jsonb, 'A technician is scheduled for ticket TIC001003')$$,
    'dispatch: the requester is e-mailed');
SELECT pg_temp.go(:'dispatch_wf', '{"ticket_id": "0000000a-0009-0000-0000-000000000005", "technician_id": "0000000a-0001-0000-0000-000000000004",
                                "start": "2030-03-05T15:00:00Z"}') AS r3b \gset
SELECT is(pg_temp.run_of(:'r3b') #>> '{vars,booking,start}', '2030-03-05T15:30:00.000Z',
          'dispatch: a busy technician is booked at their next free time');

-- ---------------------------------------------------------------- 4. post-resolution follow-up
SELECT algawf.set_variable('follow_up_minutes', '15') IS NULL AS v4 \gset
SELECT pg_temp.go(:'followup_wf', '{"tenantId": "00000000-0000-0000-0000-00000000000a", "occurredAt": "2024-02-21T16:00:00Z",
    "ticketId": "0000000a-0009-0000-0000-000000000004", "ticketNumber": "TIC001004", "title": "Outlook cannot open shared mailbox",
    "closedByUserId": "0000000a-0001-0000-0000-000000000003", "closedAt": "2024-02-21T16:00:00Z"}') AS r4 \gset
SELECT is(pg_temp.run_of(:'r4') ->> 'status', 'SUCCEEDED', 'follow-up: the run succeeds');
SELECT results_eq($$SELECT envelope -> 'recipients', message ->> 'subject' FROM algawf.email_outbox
                   WHERE message ->> 'subject' LIKE 'Ticket TIC001004 resolved%'$$,
    $$VALUES ('["peter.gibbons@initech.example"]'::jsonb, 'Ticket TIC001004 resolved: Outlook cannot open shared mailbox')$$,
    'follow-up: the requester is e-mailed');
SELECT ok((SELECT i.notes LIKE 'Resolution e-mail sent to peter.gibbons@initech.example (<%>).'
             FROM psa.interactions i WHERE i.ticket_id = '0000000a-0009-0000-0000-000000000004' AND i.title = 'Resolution follow-up'),
          'follow-up: an activity note on the ticket names the e-mail');
SELECT results_eq($$SELECT user_id::text, work_item_id::text, billable_duration, end_time - start_time FROM psa.time_entries
                   WHERE notes = 'Resolution follow-up'$$,
    $$VALUES ('0000000a-0001-0000-0000-000000000003', '0000000a-0009-0000-0000-000000000004', 0, interval '15 minutes')$$,
    'follow-up: 15 non-billable minutes for the technician who closed it');
SELECT algawf.delete_variable('follow_up_minutes') AS v4b \gset
SELECT pg_temp.go(:'followup_wf', '{"tenantId": "00000000-0000-0000-0000-00000000000a", "occurredAt": "2024-03-05T10:00:00Z",
    "ticketId": "0000000a-0009-0000-0000-000000000002", "closedByUserId": "0000000a-0001-0000-0000-000000000003"}') AS r4b \gset
SELECT is(pg_temp.run_of(:'r4b') #> '{vars,time}', NULL, 'follow-up: without follow_up_minutes no time is logged');

-- ---------------------------------------------------------------- 5. CSAT survey 24 h after close
SELECT algawf.set_variable('csat_url', '"https://survey.acme-msp.example/csat"') IS NULL AS v5 \gset
SELECT pg_temp.go(:'csat_wf', '{"tenantId": "00000000-0000-0000-0000-00000000000a", "occurredAt": "2024-02-21T16:00:00Z",
    "ticketId": "0000000a-0009-0000-0000-000000000004"}') AS r5 \gset
SELECT is(pg_temp.run_of(:'r5') ->> 'status', 'WAITING', 'csat: the run waits after the close');
SELECT ok((SELECT timeout_at BETWEEN now() + interval '23 hours 59 minutes' AND now() + interval '24 hours 1 minute'
             FROM algawf.workflow_run_waits WHERE run_id = :'r5' AND status = 'WAITING'), 'csat: ... for 24 hours');
SELECT is((SELECT count(*)::int FROM algawf.email_outbox WHERE message ->> 'subject' = 'How did we do on TIC001004?'), 0,
          'csat: nothing is sent before the day is over');
SELECT pg_temp.fast_forward(:'r5') AS ff5 \gset
SELECT is(pg_temp.run_of(:'r5') #>> '{meta,state}', 'SURVEY_SENT', 'csat: a day later the survey is sent');
SELECT ok((SELECT message ->> 'text' LIKE '%https://survey.acme-msp.example/csat?ticket=0000000a-0009-0000-0000-000000000004&score=5%'
             AND envelope -> 'recipients' = '["peter.gibbons@initech.example"]'
             FROM algawf.email_outbox WHERE message ->> 'subject' = 'How did we do on TIC001004?'),
          'csat: to the requester, with the rating links');
SELECT is((SELECT count(*)::int FROM psa.interactions WHERE ticket_id = '0000000a-0009-0000-0000-000000000004' AND title = 'CSAT survey sent'), 1,
          'csat: a note on the ticket');
-- a ticket reopened within the day gets no survey
UPDATE psa.tickets SET status_id = '0000000a-0006-0000-0000-000000000004' WHERE ticket_id = '0000000a-0009-0000-0000-000000000005';
SELECT pg_temp.go(:'csat_wf', '{"tenantId": "00000000-0000-0000-0000-00000000000a", "occurredAt": "2030-01-01T00:00:00Z",
    "ticketId": "0000000a-0009-0000-0000-000000000005"}') AS r5b \gset
UPDATE psa.tickets SET status_id = '0000000a-0006-0000-0000-000000000002' WHERE ticket_id = '0000000a-0009-0000-0000-000000000005';
SELECT pg_temp.fast_forward(:'r5b') AS ff5b \gset
SELECT is(pg_temp.run_of(:'r5b') #>> '{meta,state}', 'REOPENED', 'csat: a ticket reopened meanwhile gets no survey');

-- ---------------------------------------------------------------- 6. contract renewal approval
SELECT pg_temp.go(:'renewal_wf', (SELECT sample_payload FROM algawf.templates WHERE template = 'contract-renewal-approval')) AS r6 \gset
SELECT is(pg_temp.run_of(:'r6') ->> 'waiting_for', 'human', 'renewal: the run waits for a manager');
SELECT (pg_temp.run_of(:'r6') #>> '{vars,quote,quote,quote_id}') AS q6 \gset
SELECT is((SELECT status FROM psa.quotes WHERE quote_id = :'q6'), 'pending_approval', 'renewal: the quote is pending approval');
SELECT pg_temp.act_as('0000000a-0001-0000-0000-000000000005') AS mia \gset
SELECT is((SELECT title FROM algawf.pending_approvals WHERE run_id = :'r6'),
          (SELECT 'Approve renewal ' || quote_number || ' for Globex Corporation' FROM psa.quotes WHERE quote_id = :'q6'),
          'renewal: the manager sees the approval');
SELECT lives_ok(format($$SELECT algawf.decide(task_id, 'approved', 'Go ahead') FROM algawf.approvals WHERE run_id = %L$$, :'r6'),
                'renewal: the manager approves');
SELECT algawf.run_pending() AS p6 \gset
SELECT is(pg_temp.run_of(:'r6') #>> '{meta,state}', 'APPROVED', 'renewal: the run finishes approved');
SELECT is((SELECT status FROM psa.quotes WHERE quote_id = :'q6'), 'converted', 'renewal: the quote was sent and converted');
SELECT set_eq(format($$SELECT activity_type FROM psa.quote_activities WHERE quote_id = %L$$, :'q6'),
    ARRAY['created', 'submitted', 'approved', 'sent', 'converted'], 'renewal: the quote''s history');
SELECT results_eq(format($$SELECT status, billing_frequency, total_amount FROM psa.contracts WHERE quote_id = %L$$, :'q6'),
    $$VALUES ('draft', 'annually', 150000::bigint)$$, 'renewal: a draft annual contract');
SELECT is((SELECT count(*)::int FROM algawf.email_outbox WHERE entity_id = :'q6'::uuid), 1, 'renewal: the quote e-mail is queued');
SELECT pg_temp.act_as('0000000a-0001-0000-0000-000000000001') AS alice2 \gset
SELECT pg_temp.go(:'renewal_wf', '{"client_id": "0000000a-0003-0000-0000-000000000002", "title": "Initech renewal",
                                        "items": [{"description": "Support block", "unit_price": 990000}]}') AS r6b \gset
SELECT pg_temp.act_as('0000000a-0001-0000-0000-000000000005') AS mia2 \gset
SELECT lives_ok(format($$SELECT algawf.decide(task_id, 'rejected', 'Too expensive') FROM algawf.approvals WHERE run_id = %L$$, :'r6b'),
                'renewal: the manager rejects another');
SELECT algawf.run_pending() AS p6b \gset
SELECT is(pg_temp.run_of(:'r6b') #>> '{meta,state}', 'REJECTED', 'renewal: the run finishes rejected');
SELECT is((SELECT status FROM psa.quotes WHERE quote_id = (pg_temp.run_of(:'r6b') #>> '{vars,quote,quote,quote_id}')::uuid), 'rejected',
          'renewal: the quote is rejected');
SELECT is((SELECT message FROM psa.internal_notifications WHERE user_id = '0000000a-0001-0000-0000-000000000001'
             AND title LIKE 'Renewal % rejected'), 'The renewal quote was rejected: Too expensive', 'renewal: the author is told why');
SELECT pg_temp.act_as('0000000a-0001-0000-0000-000000000001') AS alice3 \gset

-- ---------------------------------------------------------------- the family switch at run time
SELECT algawf.set_family_enabled('scheduling', false) IS NULL AS off2 \gset
SELECT pg_temp.go(:'dispatch_wf', '{"ticket_id": "0000000a-0009-0000-0000-000000000002", "technician_id": "0000000a-0001-0000-0000-000000000004",
                                "start": "2030-04-01T14:00:00Z"}') AS r7 \gset
SELECT is(pg_temp.run_of(:'r7') ->> 'status', 'FAILED', 'family off at run time: the run fails');
SELECT is(pg_temp.run_of(:'r7') #>> '{error,code}', 'INTEGRATION_INACTIVE', 'family off at run time: INTEGRATION_INACTIVE');
SELECT matches(pg_temp.run_of(:'r7') #>> '{error,message}', 'family "scheduling" is disabled', 'family off at run time: the error names the family');
SELECT algawf.set_family_enabled('scheduling', true) IS NULL AS on2 \gset

-- ---------------------------------------------------------------- INTERACTION_LOGGED from crm.schedule_activity
SELECT algawf.create_workflow('{"key": "on-interaction", "name": "On interaction", "trigger": {"type": "event", "eventName": "INTERACTION_LOGGED"},
    "steps": [{"id": "seen", "type": "transform.assign", "config": {"assign": {"vars.seen": {"$expr": "payload.interactionId"}}}}]}') AS on_wf \gset
SELECT algawf.call_action('crm.schedule_activity', format('{"client_id": "0000000a-0003-0000-0000-000000000001", "type_id": "00000000-0000-0000-0001-000000000001",
    "title": "Renewal call", "start_time": "%s", "duration": 30, "idempotency_key": "renewal-call"}', algawf._ops_iso(now() + interval '3 days'))::jsonb) AS sched \gset
SELECT is((SELECT count(*)::int FROM algawf.workflow_runs WHERE workflow_id = :'on_wf'
             AND payload ->> 'interactionId' = (:'sched'::jsonb) #>> '{activity,activity_id}'), 1,
          'schedule_activity: INTERACTION_LOGGED starts the subscribed workflow, once');
SELECT is((SELECT payload ->> 'interactionType' FROM algawf.workflow_runs WHERE workflow_id = :'on_wf'), 'Call',
          'schedule_activity: the event names the interaction type');

\else
SELECT skip('the templates need the workflow engine and the Tickets/Contacts actions, which this build lacks', 1);
\endif

SELECT * FROM finish();
ROLLBACK;
