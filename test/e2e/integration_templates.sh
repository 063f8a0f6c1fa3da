#!/usr/bin/env bash
# The integration templates end to end against the fake vendor server, run by
# the background worker: disk-full self-remediation (ticket, Tactical RMM
# script, output noted, Level alert resolved, ticket closed; and a failing
# script left to a technician), Huntress enrichment (a ticket created ->
# incident and agent looked up -> fields and note -> closing the ticket
# resolves the incident), Teams escalation with an on-call booking.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/integration_lib.bash"

BEA=0000000b-0001-0000-0000-000000000003
cleanup() {
    local w
    for w in $(qb -c "SELECT workflow_id FROM algawf.workflow_definitions WHERE tenant = '$B' AND name LIKE 'itest %'" 2>/dev/null); do
        sql_each "SELECT algawf.delete_workflow('$w')"
    done
    sql_each "DELETE FROM algawf.workflow_action_invocations WHERE tenant = '$B' AND action_id = 'tickets.create' AND idempotency_key LIKE 'disk-full:%'" \
             "DELETE FROM psa.rmm_integrations WHERE tenant = '$B' AND provider IN ('tacticalrmm', 'levelio')" \
             "UPDATE psa.rmm_integrations SET is_active = false, connected_at = NULL, instance_url = 'https://api.huntress.io' WHERE tenant = '$B' AND provider = 'huntress'" \
             "UPDATE psa.teams_integrations SET is_active = false, app_id = NULL, tenant_id_ms = NULL, bot_secret_name = NULL, settings = '{}' WHERE tenant = '$B'" \
             "DELETE FROM psa.teams_user_links WHERE tenant = '$B'" \
             "DELETE FROM psa.teams_channel_installations WHERE tenant = '$B'" \
             "DELETE FROM algawf.integration_tokens WHERE tenant = '$B'" \
             "DELETE FROM algawf.rate_limits WHERE tenant = '$B'" \
             "SELECT algawf.delete_variable(n) FROM unnest(ARRAY['disk_cleanup_script_id', 'huntress_critical_priority_id', 'teams_escalation_channel_id', 'on_call_user_id']) n" \
             "SELECT algawf.delete_secret(n) FROM unnest(ARRAY['tacticalrmm_api_key', 'levelio_api_key', 'huntress_api_key', 'huntress_api_secret', 'TEAMS_BOT_SECRET']) n"
    restore_hosts
    vendor_stop
}
trap cleanup EXIT
cleanup
vendor_start 18115 || { echo "not ok 1 - the fake vendor server starts"; exit 1; }
allow_loopback
F=http://127.0.0.1:18115

qb -c "INSERT INTO psa.rmm_integrations (tenant, provider, instance_url, is_active, connected_at) VALUES
         ('$B', 'tacticalrmm', '$F/tactical', true, now()), ('$B', 'levelio', '$F/level', true, now())" \
   -c "UPDATE psa.rmm_integrations SET is_active = true, connected_at = now(), instance_url = '$F/huntress' WHERE tenant = '$B' AND provider = 'huntress'" \
   -c "UPDATE psa.teams_integrations SET is_active = true, app_id = 'teams-app', tenant_id_ms = 'contoso-tenant', bot_secret_name = 'TEAMS_BOT_SECRET',
         settings = '{\"login_url\": \"$F/login\", \"graph_url\": \"$F/graph\"}' WHERE tenant = '$B'" \
   -c "SELECT algawf.set_secret('tacticalrmm_api_key', 'tactical-key')" \
   -c "SELECT algawf.set_secret('levelio_api_key', 'level-key')" \
   -c "SELECT algawf.set_secret('huntress_api_key', 'hk')" \
   -c "SELECT algawf.set_secret('huntress_api_secret', 'hs')" \
   -c "SELECT algawf.set_secret('TEAMS_BOT_SECRET', 'teams-secret')" >/dev/null
is "$(qb -c "SELECT string_agg(template || '=' || available, ' ' ORDER BY template) FROM algawf.templates
             WHERE template IN ('rmm-disk-full-remediation', 'huntress-incident-enrichment', 'teams-escalation-on-call')")" \
   "huntress-incident-enrichment=true rmm-disk-full-remediation=true teams-escalation-on-call=true" "the three templates are available"

# ---- disk-full self-remediation ----------------------------------------------------------------------
wf=$(qb -c "SELECT algawf.instantiate('rmm-disk-full-remediation', 'itest disk full', active => true)")
qb -c "SELECT algawf.set_variable('disk_cleanup_script_id', '90')" >/dev/null
run=$(qb -c "SELECT algawf.run('$wf', '{\"client_id\": \"$BCLIENT\", \"hostname\": \"WAYNE-FS01\", \"message\": \"C: has less than 5% free\",
                                      \"level_alert_id\": \"alrt-1\", \"tactical_agent_id\": \"AgEnT-ONE\"}')")
is "$(wait_run "$run")" SUCCEEDED "disk-full: the run succeeds"
is "$(qb -c "SELECT meta->>'state' FROM algawf.runs WHERE run_id = '$run'")" REMEDIATED "state REMEDIATED"
tid=$(qb -c "SELECT vars->'ticket'->>'ticket_id' FROM algawf.runs WHERE run_id = '$run'")
is "$(qb -c "SELECT title || ' closed=' || is_closed FROM psa.tickets WHERE ticket_id = '$tid'")" "Disk full on WAYNE-FS01 closed=true" \
   "a ticket was opened for the alert, and closed"
ok $(qb -c "SELECT note FROM psa.comments WHERE ticket_id = '$tid' AND is_internal" | grep -q "C: freed 4.2 GB"; echo $?) \
   "the script's output is on the ticket (internal note)"
is "$(vreq "(r->>'path') || ' ' || ((r->>'body')::jsonb->>'script')" "r->>'path' = '/tactical/agents/AgEnT-ONE/runscript/'")" \
   "/tactical/agents/AgEnT-ONE/runscript/ 90" "Tactical RMM ran script 90 on the agent"
is "$(vcount "r->>'path' = '/level/v2/alerts/alrt-1/resolve'")" 1 "the Level alert was resolved"
vendor /_fault '{"path": "runscript", "status": 400, "body": "\"Unable to contact the agent\"", "count": 0}' >/dev/null
run=$(qb -c "SELECT algawf.run('$wf', '{\"client_id\": \"$BCLIENT\", \"hostname\": \"WAYNE-LT9\", \"message\": \"D: full\",
                                      \"level_alert_id\": \"alrt-2\", \"tactical_agent_id\": \"AgEnT-ONE\"}')")
is "$(wait_run "$run" 60)/$(qb -c "SELECT meta->>'state' FROM algawf.runs WHERE run_id = '$run'")" "SUCCEEDED/NEEDS_TECHNICIAN" \
   "a failing script: the run ends NEEDS_TECHNICIAN"
tid=$(qb -c "SELECT vars->'ticket'->>'ticket_id' FROM algawf.runs WHERE run_id = '$run'")
is "$(qb -c "SELECT is_closed FROM psa.tickets WHERE ticket_id = '$tid'")" f "the ticket stays open"
ok $(qb -c "SELECT note FROM psa.comments WHERE ticket_id = '$tid'" | grep -q "Automatic clean-up on WAYNE-LT9 failed: .*Unable to contact the agent"; echo $?) \
   "with the failure noted for a technician"
is "$(vcount "r->>'path' = '/level/v2/alerts/alrt-2/resolve'")" 0 "and the alert left open"
vendor /_reset >/dev/null

# ---- Huntress enrichment -----------------------------------------------------------------------------------
wf=$(qb -c "SELECT algawf.instantiate('huntress-incident-enrichment', 'itest huntress', active => true)")
qb -c "SELECT algawf.set_variable('huntress_critical_priority_id', '\"0000000b-0007-0000-0000-000000000004\"')" >/dev/null
tid=$(qb -c "INSERT INTO psa.tickets (tenant, title, client_id, board_id, status_id, priority_id, attributes)
             VALUES ('$B', 'CRITICAL - Huntress Incident Report 425 on GLOBEX-WS425', '$BCLIENT', '0000000b-0005-0000-0000-000000000001',
                     '0000000b-0006-0000-0000-000000000001', '0000000b-0007-0000-0000-000000000002', '{\"description\": \"Huntress SOC\"}')
             RETURNING ticket_id" | head -1)
ok $(wait_for 20 '[ "$(qb -c "SELECT count(*) FROM algawf.workflow_run_waits w JOIN algawf.workflow_runs r ON r.tenant = w.tenant AND r.run_id = w.run_id
                              WHERE r.workflow_id = '"'"'$wf'"'"' AND w.kind = '"'"'event'"'"' AND w.status = '"'"'WAITING'"'"'")" = 1 ]'; echo $?) \
   "Huntress: a new ticket starts the workflow (TICKET_CREATED), which then waits for the ticket to close"
is "$(qb -c "SELECT priority_id || ' ' || (attributes->'huntress'->>'incident_id') || ' ' || (attributes->'huntress'->>'hostname') FROM psa.tickets WHERE ticket_id = '$tid'")" \
   "0000000b-0007-0000-0000-000000000004 425 GLOBEX-WS15" "the ticket got the critical priority and the incident's details"
ok $(qb -c "SELECT note FROM psa.comments WHERE ticket_id = '$tid' AND is_internal" | grep -q "Huntress incident 425 (critical, sent)"; echo $?) \
   "and an internal note with the SOC summary"
is "$(vcount "r->>'path' IN ('/huntress/v1/incident_reports/425', '/huntress/v1/agents/15')")" 2 "the incident and its agent were looked up"
qb -c "UPDATE psa.tickets SET status_id = '0000000b-0006-0000-0000-000000000004' WHERE ticket_id = '$tid'" >/dev/null
run=$(qb -c "SELECT run_id FROM algawf.runs WHERE workflow_id = '$wf' ORDER BY created_at DESC LIMIT 1")
is "$(wait_run "$run")/$(qb -c "SELECT meta->>'state' FROM algawf.runs WHERE run_id = '$run'")" "SUCCEEDED/RESOLVED" \
   "closing the ticket resolves the incident"
is "$(vcount "r->>'path' = '/huntress/v1/incident_reports/425/resolution'")" 1 "POST /v1/incident_reports/425/resolution"
qb -c "INSERT INTO psa.tickets (tenant, title, client_id, board_id, status_id, priority_id)
       VALUES ('$B', 'Printer jammed', '$BCLIENT', '0000000b-0005-0000-0000-000000000001',
               '0000000b-0006-0000-0000-000000000001', '0000000b-0007-0000-0000-000000000002')" >/dev/null
ok $(wait_for 20 '[ "$(qb -c "SELECT meta->>'"'"'state'"'"' FROM algawf.runs WHERE workflow_id = '"'"'$wf'"'"' ORDER BY created_at DESC LIMIT 1")" = NOT_HUNTRESS ]'; echo $?) \
   "a ticket that is not about Huntress is left alone"

# ---- Teams escalation with an on-call booking ------------------------------------------------------------------
qb -c "INSERT INTO psa.teams_user_links (tenant, user_id, ms_user_id) VALUES ('$B', '$BEA', 'aad-tom')" \
   -c "INSERT INTO psa.teams_channel_installations (tenant, team_id_ms, channel_id_ms, channel_name, service_url)
       VALUES ('$B', 'team-1', '19:escalations@thread.tacv2', 'Escalations', '$F/bot')" \
   -c "SELECT algawf.set_variable('teams_escalation_channel_id', '\"19:escalations@thread.tacv2\"')" >/dev/null
wf=$(qb -c "SELECT algawf.instantiate('teams-escalation-on-call', 'itest escalation', active => true)")
run=$(qb -c "SELECT algawf.run('$wf', '{\"ticket_id\": \"0000000b-0009-0000-0000-000000000001\", \"reason\": \"Warehouse offline\",
                                      \"on_call_user_id\": \"$BEA\", \"start\": \"2031-01-10T18:00:00Z\", \"duration_minutes\": 90}')")
is "$(wait_run "$run")/$(qb -c "SELECT meta->>'state' FROM algawf.runs WHERE run_id = '$run'")" "SUCCEEDED/ESCALATED" "Teams escalation: the run succeeds"
ok $([[ "$(vreq "r->>'body'" "r->>'path' = '/bot/v3/conversations'")" == *"Warehouse offline"* ]]; echo $?) "the escalation was posted to the channel"
is "$(qb -c "SELECT e.scheduled_start || ' ' || e.scheduled_end || ' ' || e.work_item_type || ' ' || a.user_id
             FROM psa.schedule_entries e JOIN psa.schedule_entry_assignees a USING (tenant, entry_id)
             WHERE e.entry_id = (SELECT (vars->'entry'->>'entry_id')::uuid FROM algawf.runs WHERE run_id = '$run')")" \
   "2031-01-10 18:00:00+00 2031-01-10 19:30:00+00 ticket $BEA" "the on-call technician is booked for 90 minutes on the ticket"
is "$(vcount "r->>'path' = '/graph/v1.0/users/aad-tom/teamwork/sendActivityNotification'")" 1 "and notified in Teams"
ok $(qb -c "SELECT note FROM psa.comments WHERE ticket_id = '0000000b-0009-0000-0000-000000000001' ORDER BY created_at DESC LIMIT 1" | grep -q "Escalated to Teams"; echo $?) \
   "the escalation is noted on the ticket"

done_testing
