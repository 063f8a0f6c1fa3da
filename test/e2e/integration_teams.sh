#!/usr/bin/env bash
# Microsoft Teams against the fake Microsoft endpoints: activity notifications
# through Graph, direct messages and channel posts through the Bot Framework
# (two client-credential logins, cached apart), and the actionable errors when
# the link, the conversation or the installation is missing or stale.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/integration_lib.bash"

TOM=0000000b-0001-0000-0000-000000000003
cleanup() {
    sql_each "UPDATE psa.teams_integrations SET is_active = false, app_id = NULL, tenant_id_ms = NULL, bot_secret_name = NULL, settings = '{}' WHERE tenant = '$B'" \
             "DELETE FROM psa.teams_user_links WHERE tenant = '$B'" \
             "DELETE FROM psa.teams_conversation_refs WHERE tenant = '$B'" \
             "DELETE FROM psa.teams_channel_installations WHERE tenant = '$B'" \
             "DELETE FROM algawf.integration_tokens WHERE tenant = '$B'" \
             "DELETE FROM algawf.rate_limits WHERE tenant = '$B'" \
             "SELECT algawf.delete_secret('TEAMS_BOT_SECRET')"
    restore_hosts
    vendor_stop
}
trap cleanup EXIT
cleanup
vendor_start 18114 || { echo "not ok 1 - the fake vendor server starts"; exit 1; }
allow_loopback
F=http://127.0.0.1:18114

is "$(qb -c "SELECT algawf.integration_active('teams')")" f "not configured: the Teams module is unavailable"
qb -c "UPDATE psa.teams_integrations SET is_active = true, app_id = 'teams-app', tenant_id_ms = 'contoso-tenant', bot_secret_name = 'TEAMS_BOT_SECRET',
         settings = '{\"login_url\": \"$F/login\", \"graph_url\": \"$F/graph\", \"app_url\": \"https://teams.microsoft.com/l/entity/teams-app/psa\"}'
        WHERE tenant = '$B'" \
   -c "SELECT algawf.set_secret('TEAMS_BOT_SECRET', 'teams-secret')" >/dev/null
is "$(qb -c "SELECT algawf.integration_active('teams')")" t "active: available"

# ---- notify_user ---------------------------------------------------------------------------------
r=$(run_action teams.notify_user "{\"user_id\": \"$TOM\", \"title\": \"TIC001001 escalated\"}")
is "$(jget "$r" error code)" NOT_FOUND "a user without a linked Microsoft account: NOT_FOUND"
ok $([[ "$(jget "$r" error hint)" == *teams_user_links* ]]; echo $?) "the hint says how to link the account"
is "$(vcount "r->>'path' LIKE '/graph/%'")" 0 "nothing was sent"
qb -c "INSERT INTO psa.teams_user_links (tenant, user_id, ms_user_id) VALUES ('$B', '$TOM', 'aad-tom')" >/dev/null
r=$(run_action teams.notify_user "{\"user_id\": \"$TOM\", \"title\": \"TIC001001 escalated\", \"message\": \"Server down\", \"category\": \"sla_risk\", \"link\": \"https://psa.example/tickets/1\"}")
is "$(jget "$r" output delivered)/$(jget "$r" output activity_type)" "true/slaRiskDetected" "notify_user: delivered as an SLA risk"
is "$(vreq "r->>'body'" "r->>'path' = '/login/contoso-tenant/oauth2/v2.0/token'")" \
   "grant_type=client_credentials&client_id=teams-app&client_secret=teams-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" \
   "a Graph token for the app, from its Entra tenant"
is "$(vreq "r->>'body'" "r->>'path' = '/graph/v1.0/users/aad-tom/teamwork/sendActivityNotification'")" \
   '{"topic": {"value": "TIC001001 escalated", "source": "text", "webUrl": "https://psa.example/tickets/1"}, "previewText": {"content": "Server down"}, "activityType": "slaRiskDetected", "templateParameters": [{"name": "title", "value": "TIC001001 escalated"}]}' \
   "POST /v1.0/users/{id}/teamwork/sendActivityNotification"
ok $([[ "$(vreq "r->'headers'->>'authorization'" "r->>'path' LIKE '/graph/%'")" == "Bearer graph-tok-"* ]]; echo $?) "with the Graph token"
is "$(qb -c "SELECT input->>'message' FROM algawf.workflow_action_invocations WHERE action_id = 'teams.notify_user' ORDER BY started_at DESC LIMIT 1")" \
   "[REDACTED]" "the message is redacted in the invocation row"
qb -c "UPDATE psa.teams_user_links SET ms_user_id = 'aad-gone' WHERE tenant = '$B'" >/dev/null
r=$(run_action teams.notify_user "{\"user_id\": \"$TOM\", \"title\": \"x\"}")
is "$(jget "$r" error code)" NOT_FOUND "Graph does not know the account (404): NOT_FOUND"
ok $([[ "$(jget "$r" error hint)" == *"Install the PSA's Teams app"* ]]; echo $?) "the hint says to install the app for the user"

# ---- send_dm ------------------------------------------------------------------------------------------
r=$(run_action teams.send_dm "{\"user_id\": \"$TOM\", \"message\": \"You are on call tonight.\"}")
is "$(jget "$r" error code)" NOT_FOUND "no conversation with the bot: NOT_FOUND"
ok $([[ "$(jget "$r" error hint)" == *"open the PSA's bot in Teams"* ]]; echo $?) "the hint says the user must open the bot"
qb -c "INSERT INTO psa.teams_conversation_refs (tenant, conversation_id, conversation_type, user_id, service_url)
       VALUES ('$B', 'a:1tomPersonal', 'personal', '$TOM', '$F/bot/')" >/dev/null
r=$(run_action teams.send_dm "{\"user_id\": \"$TOM\", \"message\": \"You are on call tonight.\"}")
is "$(jget "$r" output sent)/$(jget "$r" output conversation_id)/$(jget "$r" output activity_id)" "true/a:1tomPersonal/act-1" "send_dm through the stored conversation"
is "$(vreq "r->>'path' || ' ' || (r->>'body')" "r->>'path' LIKE '/bot/v3/conversations/%'")" \
   '/bot/v3/conversations/a%3A1tomPersonal/activities {"text": "You are on call tonight.", "type": "message", "textFormat": "markdown"}' \
   "POST {serviceUrl}/v3/conversations/{id}/activities"
is "$(vreq "r->>'body'" "r->>'path' = '/login/botframework.com/oauth2/v2.0/token'")" \
   "grant_type=client_credentials&client_id=teams-app&client_secret=teams-secret&scope=https%3A%2F%2Fapi.botframework.com%2F.default" \
   "a Bot Framework token, apart from the Graph one"
ok $([[ "$(vreq "r->'headers'->>'authorization'" "r->>'path' LIKE '/bot/v3/conversations/%'")" == "Bearer bot-tok-"* ]]; echo $?) "sent with the bot token"
qb -c "UPDATE psa.teams_conversation_refs SET conversation_id = 'a:1stale' WHERE tenant = '$B'" >/dev/null
r=$(run_action teams.send_dm "{\"user_id\": \"$TOM\", \"message\": \"hello\"}")
is "$(jget "$r" error code)" NOT_FOUND "a stale conversation (404): NOT_FOUND"
ok $([[ "$(jget "$r" error message)" == *"no longer knows"* ]]; echo $?) "saying Teams no longer knows it"

# ---- post_to_channel ------------------------------------------------------------------------------------
r=$(run_action teams.post_to_channel '{"channel_id": "19:escalations@thread.tacv2", "message": "**P1** Globex down"}')
is "$(jget "$r" error code)" NOT_FOUND "a channel without the app: NOT_FOUND"
ok $([[ "$(jget "$r" error hint)" == *"Install the PSA's Teams app in the team"* ]]; echo $?) "the hint says where to install it"
qb -c "INSERT INTO psa.teams_channel_installations (tenant, team_id_ms, team_name, channel_id_ms, channel_name, service_url)
       VALUES ('$B', 'team-1', 'Ops', '19:escalations@thread.tacv2', 'Escalations', '$F/bot'),
              ('$B', 'team-2', 'Old', '19:removed@thread.tacv2', 'Removed', '$F/bot')" >/dev/null
vmark
r=$(run_action teams.post_to_channel '{"channel_id": "19:escalations@thread.tacv2", "message": "**P1** Globex down"}')
is "$(jget "$r" output posted)/$(jget "$r" output conversation_id)" "true/19:escalations@thread.tacv2;messageid=2" "post_to_channel starts a conversation"
is "$(vreq "r->>'body'" "n > $VMARK AND r->>'path' = '/bot/v3/conversations'")" \
   '{"isGroup": true, "activity": {"text": "**P1** Globex down", "type": "message", "textFormat": "markdown"}, "channelData": {"tenant": {"id": "contoso-tenant"}, "channel": {"id": "19:escalations@thread.tacv2"}}}' \
   "POST {serviceUrl}/v3/conversations for the channel"
is "$(vcount "n > $VMARK AND r->>'path' LIKE '/login/%'")" 0 "the bot token is reused"
r=$(run_action teams.post_to_channel '{"channel_id": "19:removed@thread.tacv2", "message": "x"}')
is "$(jget "$r" error code)" PERMISSION_DENIED "Teams refuses (the app left the team, 403): PERMISSION_DENIED"
ok $([[ "$(jget "$r" error message)" == *"not installed in that team"* ]]; echo $?) "saying the app is not installed there"

# ---- a wrong client secret --------------------------------------------------------------------------------
qb -c "DELETE FROM algawf.integration_tokens WHERE tenant = '$B'" -c "SELECT algawf.set_secret('TEAMS_BOT_SECRET', 'expired-secret-1')" >/dev/null
r=$(run_action teams.post_to_channel '{"channel_id": "19:escalations@thread.tacv2", "message": "x"}')
is "$(jget "$r" error code)" PERMISSION_DENIED "an expired client secret: PERMISSION_DENIED"
ok $([[ "$(jget "$r" error hint)" == *TEAMS_BOT_SECRET* ]]; echo $?) "the hint names the secret"
ok $(secret_free teams-secret expired-secret-1 graph-tok- bot-tok-; echo $?) "no secret or token stored in clear"

done_testing
