#!/usr/bin/env bash
# An INSERT into psa.tickets runs a subscribed workflow to SUCCEEDED without
# any call to algawf: the row trigger emits TICKET_CREATED, the event starts
# the run, and the background worker executes it.  When no worker serves this
# database (algawf not preloaded, or the worker not built in), the queue is
# drained inline with algawf.run_pending() instead, and the script says so.
set -uo pipefail
. "$(dirname "$0")/lib.bash"

TENANT=00000000-0000-0000-0000-00000000000a
KEY="e2e-events-$$"
export PGOPTIONS="-c algawf.tenant=$TENANT -c client_min_messages=warning"

q -c "SELECT psa.load_sample_data()" >/dev/null
q -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'e2e_events_app') THEN
        CREATE ROLE e2e_events_app IN ROLE algawf_service; END IF; END \$\$"

cleanup() {
    q -c "DELETE FROM algawf.workflow_definitions WHERE tenant = '$TENANT' AND key = '$KEY'" \
      -c "DELETE FROM psa.tickets WHERE tenant = '$TENANT' AND title LIKE '$KEY%'" \
      -c "DROP ROLE IF EXISTS e2e_events_app" >/dev/null 2>&1
}
trap cleanup EXIT

wf=$(q -c "SELECT algawf.create_workflow('{
    \"id\": \"$KEY\", \"name\": \"Acknowledge new tickets\", \"version\": 1,
    \"payloadSchemaRef\": \"payload.TicketCreated.v1\",
    \"trigger\": {\"type\": \"event\", \"eventName\": \"TICKET_CREATED\"},
    \"steps\": [
        {\"id\": \"note\", \"type\": \"transform.assign\", \"config\": {\"assign\": {\"vars.acknowledged\": true}}},
        {\"id\": \"done\", \"type\": \"state.set\", \"config\": {\"state\": \"acknowledged\"}}
    ]}')")
ok $([ -n "$wf" ]; echo $?) "a workflow triggered by TICKET_CREATED is published"
is "$(q -c "SELECT event_type || ':' || triggers FROM algawf.event_subscriptions() WHERE event_type = 'TICKET_CREATED'")" \
   "TICKET_CREATED:true" "the tenant listens to TICKET_CREATED"

workers=$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type ILIKE '%algawf%' AND backend_type NOT ILIKE '%launcher%'")
db=$(q -c "SELECT current_setting('algawf.database', true)")
if [ "${workers:-0}" -gt 0 ] && [ "$db" = "$(q -c 'SELECT current_database()')" ]; then
    mode=worker
else
    mode=inline
fi
echo "# executing runs with: $mode (algawf executors seen: ${workers:-0})"

# the application inserts a ticket; nothing else is called
ticket=$(q -c "SET ROLE e2e_events_app" -c "INSERT INTO psa.tickets (tenant, title, client_id, contact_name_id, board_id, status_id, priority_id)
    VALUES ('$TENANT', '$KEY printer on fire', '0000000a-0003-0000-0000-000000000001', '0000000a-0004-0000-0000-000000000001',
            '0000000a-0005-0000-0000-000000000001', '0000000a-0006-0000-0000-000000000001', '0000000a-0007-0000-0000-000000000002')
    RETURNING ticket_id")
ok $([ -n "$ticket" ]; echo $?) "the application role inserts a ticket"

run=$(q -c "SELECT run_id FROM algawf.workflow_runs WHERE workflow_id = '$wf'")
ok $([ -n "$run" ]; echo $?) "the INSERT started a run"
is "$(q -c "SELECT trigger_type || ' ' || (trigger_metadata->>'eventName') || ' ' || (payload->>'ticketId') FROM algawf.workflow_runs WHERE run_id = '$run'")" \
   "event TICKET_CREATED $ticket" "the run was triggered by TICKET_CREATED with the ticket's id in its payload"

status=""
if [ "$mode" = worker ]; then
    for _ in $(seq 1 150); do
        status=$(q -c "SELECT status FROM algawf.workflow_runs WHERE run_id = '$run'")
        case "$status" in SUCCEEDED|FAILED|CANCELED) break ;; esac
        sleep 0.2
    done
else
    q -c "SELECT algawf.run_pending()" >/dev/null
    status=$(q -c "SELECT status FROM algawf.workflow_runs WHERE run_id = '$run'")
fi
is "$status" "SUCCEEDED" "the run reaches SUCCEEDED ($mode)"
is "$(q -c "SELECT vars->>'acknowledged' || ' ' || (meta->>'state') FROM algawf.workflow_runs WHERE run_id = '$run'")" \
   "true acknowledged" "its steps ran"
is "$(q -c "SELECT count(*) FROM algawf.workflow_runtime_events WHERE tenant = '$TENANT' AND event_name = 'TICKET_CREATED' AND correlation_key = '$ticket'")" \
   "1" "the event is recorded once, keyed by the ticket"

# paused: the next ticket starts nothing
q -c "SELECT algawf.set_paused('$wf', true)" >/dev/null
q -c "INSERT INTO psa.tickets (tenant, title, client_id, board_id, status_id, priority_id)
    VALUES ('$TENANT', '$KEY second', '0000000a-0003-0000-0000-000000000001', '0000000a-0005-0000-0000-000000000001',
            '0000000a-0006-0000-0000-000000000001', '0000000a-0007-0000-0000-000000000002')" >/dev/null
is "$(q -c "SELECT count(*) FROM algawf.workflow_runs WHERE workflow_id = '$wf'")" "1" "a paused workflow is not started"

done_testing
