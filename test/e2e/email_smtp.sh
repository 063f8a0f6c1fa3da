#!/usr/bin/env bash
# email.send end to end over real SMTP: the action queues the message in the
# run's transaction, CALL algawf.deliver_email() sends it with libcurl to an
# SMTP sink on loopback (test/fakes/smtp_sink.pl), and the test reads what the
# sink received.  Also: Bcc only in the envelope, AUTH with a tenant secret,
# refused (550), greylisted (451, retried later), connection closed in the
# middle of DATA, no server, STARTTLS required but not offered, attempts
# exhausted, header injection refused, crm.send_quote's e-mail.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
SINK_PID=
A=00000000-0000-0000-0000-00000000000a
PROVIDER=0000000a-000d-0000-0000-000000000001

# a free port in 12525..12535
PORT=
for p in $(seq 12525 12535); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "Bail out! no free port in 12525..12535"; exit 1; }

sink_start() {   # sink_start DIR [sink options]
    local dir=$1; shift
    rm -rf "$dir"; mkdir -p "$dir"
    perl "$ROOT/test/fakes/smtp_sink.pl" --port "$PORT" --dir "$dir" "$@" > "$dir.log" 2>&1 &
    SINK_PID=$!
    for _ in $(seq 1 50); do [ -f "$dir/ready" ] && return 0; sleep 0.1; done
    echo "Bail out! the SMTP sink did not start: $(cat "$dir.log")"; exit 1
}
sink_stop() {
    if [ -n "$SINK_PID" ]; then kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; SINK_PID=; fi
}
cleanup() {
    sink_stop
    q -c "SET algawf.tenant = '$A'" \
      -c "UPDATE psa.email_provider_configs SET port = 2525, security = 'none', username = NULL, password_secret_name = NULL WHERE provider_id = '$PROVIDER'" \
      -c "DELETE FROM algawf.email_outbox WHERE envelope ->> 'from' LIKE '%@acme-msp.example' AND message ->> 'subject' LIKE 'e2e %'" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

# The steps below drive delivery by hand (CALL algawf.deliver_email()); the
# background executors, which deliver by themselves, stand aside until the end.
worker_email() {   # worker_email on|off
    q -d postgres -c "ALTER SYSTEM SET algawf.worker_email = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
}
worker_email off
trap 'worker_email on; cleanup' EXIT

as_tenant() { echo "SET algawf.tenant = '$A'; SELECT set_config('algawf.user', '0000000a-0001-0000-0000-000000000001', false);"; }
send() {         # send INPUT-JSON -> the action's output (JSON), or the error
    q -c "$(as_tenant)" -c "SELECT algawf.try_action('email.send', \$j\$$1\$j\$)" | tail -1
}
deliver() {      # CALL algawf.deliver_email() -> "sent|retrying|failed"
    q -c "SET algawf.tenant = '$A'" -c "CALL algawf.deliver_email()" | tail -1
}
outbox() {       # outbox MESSAGE-ID EXPR
    q -c "SET algawf.tenant = '$A'" -c "SELECT $2 FROM algawf.email_outbox WHERE message_id = '$1'" | tail -1
}
jfield() { perl -MJSON::PP -e 'my $d = decode_json(<STDIN>); my $v = $d; $v = $v->{$_} for split /\./, $ARGV[0]; print ref $v ? encode_json($v) : ($v // "")' "$1"; }
# the n-th message the sink received: "rcpt" (comma-separated), "header NAME", "body TYPE" (decoded), "raw"
received() {
    perl -MJSON::PP -MMIME::QuotedPrint -MMIME::Base64 -e '
        my ($file, $n, $what, $arg) = @ARGV;
        open my $f, "<", $file or die "$file: $!"; my @l = <$f>; my $m = decode_json($l[$n - 1]);
        my $data = $m->{data};
        if ($what eq "rcpt") { print join(",", @{$m->{rcpt_to}}); exit }
        if ($what eq "auth") { print $m->{auth_user} // ""; exit }
        if ($what eq "raw") { print $data; exit }
        my ($head) = split /\r\n\r\n/, $data, 2; $head =~ s/\r\n[ \t]+/ /g;
        if ($what eq "header") {
            for (split /\r\n/, $head) { if (/^\Q$arg\E:\s*(.*)$/i) { my $v = $1;
                $v =~ s/=\?UTF-8\?B\?([^?]*)\?=\s*/decode_base64($1)/ge; print $v; exit } }
            exit;
        }
        if ($what eq "body") {
            for my $part (split /--=_algawf_\w+/, $data) {
                next unless $part =~ m{Content-Type: text/\Q$arg\E};
                my (undef, $body) = split /\r\n\r\n/, $part, 2; print decode_qp($body); exit;
            }
        }' "$@"
}

sink_start "$WORK/sink"
q -c "SET algawf.tenant = '$A'" -c "UPDATE psa.email_provider_configs SET port = $PORT WHERE provider_id = '$PROVIDER'" >/dev/null
q -c "SET algawf.tenant = '$A'" -c "UPDATE algawf.email_outbox SET status = 'canceled' WHERE status IN ('pending', 'sending')" >/dev/null

# --- a message with to/cc/bcc, templates and a non-ASCII subject ------------------------
out=$(send '{"to": [{"email": "john.smith@globex.example", "name": "John Smith"}], "cc": ["jane.doe@globex.example"],
             "bcc": ["audit@acme-msp.example"], "subject": "e2e Ticket {{ticket.number}} résolu",
             "text": "Hello {{contact.name}},\nyour ticket \"{{ticket.title}}\" is resolved.\n.\nAcme",
             "html": "<p>Hello {{contact.name}}, <b>{{ticket.title}}</b> is resolved.</p>",
             "template_data": {"ticket": {"number": "TIC001002", "title": "VPN <drops>"}, "contact": {"name": "John"}}}')
mid=$(echo "$out" | jfield output.message_id)
is "$(echo "$out" | jfield output.status)" "queued" "email.send queues the message"
ok $([[ "$mid" =~ ^\<[0-9a-f-]{36}@acme-msp\.example\>$ ]]; echo $?) "email.send returns a Message-ID on the sender domain ($mid)"
is "$(outbox "$mid" status)" "pending" "the outbox row is pending until delivery"
is "$(deliver)" "1|0|0" "deliver_email sends it (sent|retrying|failed)"
is "$(outbox "$mid" "status || ' ' || attempts || ' ' || (sent_at IS NOT NULL)")" "sent 1 true" "the row is sent after one attempt"
is "$(outbox "$mid" smtp_response)" "250 2.0.0 Ok: queued as SINK0001" "the server's reply is recorded"
M=$WORK/sink/messages.jsonl
is "$(received "$M" 1 rcpt)" "john.smith@globex.example,jane.doe@globex.example,audit@acme-msp.example" "RCPT TO: to, cc and bcc"
is "$(perl -MJSON::PP -e 'print decode_json(<STDIN>)->{mail_from}' < "$M")" "support@acme-msp.example" "MAIL FROM: the provider's sender"
is "$(received "$M" 1 header From)" '"Acme MSP Support" <support@acme-msp.example>' "From header with the display name"
is "$(received "$M" 1 header To)" '"John Smith" <john.smith@globex.example>' "To header"
is "$(received "$M" 1 header Cc)" '<jane.doe@globex.example>' "Cc header"
is "$(received "$M" 1 header Bcc)" '' "no Bcc header"
is "$(received "$M" 1 header Subject)" 'e2e Ticket TIC001002 résolu' "Subject rendered and RFC 2047 encoded"
is "$(received "$M" 1 header Message-ID)" "$mid" "Message-ID is the one email.send returned"
ok $([[ "$(received "$M" 1 header Date)" =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9:]{8}\ \+0000$ ]]; echo $?) "Date header in RFC 5322 form"
ok $(received "$M" 1 header Content-Type | grep -q '^multipart/alternative; boundary='; echo $?) "multipart/alternative"
is "$(received "$M" 1 body plain)" "$(printf 'Hello John,\nyour ticket "VPN <drops>" is resolved.\n.\nAcme\n')" "text part rendered (a lone dot survives)"
is "$(received "$M" 1 body html)" "$(printf '<p>Hello John, <b>VPN &lt;drops&gt;</b> is resolved.</p>\n')" "html part rendered with escaped values"
ok $(received "$M" 1 raw | grep -q $'^\.\r$'; [ $? -ne 0 ]; echo $?) "no line of the message is a lone dot on the wire"

# --- refused recipient: permanent ----------------------------------------------------------
mid=$(send '{"to": ["refuse.me@globex.example"], "subject": "e2e refused", "text": "x"}' | jfield output.message_id)
is "$(deliver)" "0|0|1" "a refused recipient fails the message"
is "$(outbox "$mid" "status || ' ' || (last_error ->> 'code') || ' ' || (last_error ->> 'smtp_code') || ' ' || (last_error ->> 'retryable')")" \
   "failed VALIDATION_ERROR 550 false" "550: failed for good, VALIDATION_ERROR"
ok $(outbox "$mid" "last_error ->> 'message'" | grep -q 'Recipient address rejected'; echo $?) "the error keeps the server's reply"

# --- greylisted: retried later ---------------------------------------------------------------
mid=$(send '{"to": ["greylist.me@globex.example"], "subject": "e2e greylisted", "text": "x"}' | jfield output.message_id)
is "$(deliver)" "0|1|0" "a greylisted message will be retried"
is "$(outbox "$mid" "status || ' ' || (last_error ->> 'code') || ' ' || (last_error ->> 'smtp_code') || ' ' || (last_error ->> 'retryable') || ' ' || (next_attempt_at > now())")" \
   "pending TRANSIENT_FAILURE 451 true true" "451: pending again, retryable, next attempt later"
is "$(deliver)" "0|0|0" "not retried before its time"
q -c "SET algawf.tenant = '$A'" -c "UPDATE algawf.email_outbox SET next_attempt_at = now(), max_attempts = 2 WHERE message_id = '$mid'" >/dev/null
is "$(deliver)" "0|0|1" "the last allowed attempt fails for good"
is "$(outbox "$mid" "status || ' ' || attempts || ' ' || (last_error ->> 'code') || ' ' || (last_error ->> 'retryable')")" \
   "failed 2 TRANSIENT_FAILURE false" "attempts exhausted: failed with TRANSIENT_FAILURE, not retryable"

# --- a temporary fault that clears: greylisting on every recipient, then a normal server ----------
sink_stop; sink_start "$WORK/grey" --fault greylist
mid=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e retried", "text": "second time lucky"}' | jfield output.message_id)
is "$(deliver)" "0|1|0" "server-wide greylisting: retry scheduled"
sink_stop; sink_start "$WORK/sink2"
q -c "SET algawf.tenant = '$A'" -c "UPDATE algawf.email_outbox SET next_attempt_at = now() WHERE message_id = '$mid'" >/dev/null
is "$(deliver)" "1|0|0" "the retry goes through"
is "$(outbox "$mid" "status || ' ' || attempts")" "sent 2" "sent on the second attempt"
is "$(received "$WORK/sink2/messages.jsonl" 1 header Message-ID)" "$mid" "the sink got the retried message"

# --- connection closed in the middle of DATA ---------------------------------------------------
mid=$(send '{"to": ["close.me@globex.example"], "subject": "e2e closed", "text": "line 1\nline 2\nline 3\nline 4"}' | jfield output.message_id)
is "$(deliver)" "0|1|0" "a connection closed during DATA is retried"
is "$(outbox "$mid" "status || ' ' || (last_error ->> 'code')")" "pending TRANSIENT_FAILURE" "closed mid-DATA: TRANSIENT_FAILURE"
q -c "SET algawf.tenant = '$A'" -c "UPDATE algawf.email_outbox SET status = 'canceled' WHERE message_id = '$mid'" >/dev/null

# --- no server at all ------------------------------------------------------------------------
sink_stop
mid=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e no server", "text": "x"}' | jfield output.message_id)
is "$(deliver)" "0|1|0" "connection refused is retried"
is "$(outbox "$mid" "last_error ->> 'code'")" "TRANSIENT_FAILURE" "connection refused: TRANSIENT_FAILURE"
q -c "SET algawf.tenant = '$A'" -c "UPDATE algawf.email_outbox SET status = 'canceled' WHERE message_id = '$mid'" >/dev/null

# --- SMTP AUTH with the password in a tenant secret -------------------------------------------
sink_start "$WORK/auth" --auth mailer:s3cret
q -c "SET algawf.tenant = '$A'" -c "SELECT algawf.set_secret('SMTP_PASSWORD', 's3cret')" \
  -c "UPDATE psa.email_provider_configs SET username = 'mailer', password_secret_name = 'SMTP_PASSWORD' WHERE provider_id = '$PROVIDER'" >/dev/null
mid=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e authenticated", "text": "x"}' | jfield output.message_id)
is "$(outbox "$mid" "server ->> 'password_secret'")" "SMTP_PASSWORD" "the outbox names the secret"
is "$(outbox "$mid" "(server::text LIKE '%s3cret%')::text")" "false" "the password itself is not in the outbox"
is "$(deliver)" "1|0|0" "AUTH with the tenant secret succeeds"
is "$(received "$WORK/auth/messages.jsonl" 1 auth)" "mailer" "the sink saw the authenticated user"
q -c "SET algawf.tenant = '$A'" -c "SELECT algawf.set_secret('SMTP_PASSWORD', 'wrong')" >/dev/null
mid=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e bad password", "text": "x"}' | jfield output.message_id)
is "$(deliver)" "0|0|1" "a wrong password fails the message"
is "$(outbox "$mid" "(last_error ->> 'code') || ' ' || (last_error ->> 'retryable')")" "PERMISSION_DENIED false" "535: PERMISSION_DENIED"
q -c "SET algawf.tenant = '$A'" -c "SELECT algawf.delete_secret('SMTP_PASSWORD')" >/dev/null
mid=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e missing secret", "text": "x"}' | jfield output.message_id)
is "$(deliver)" "0|0|1" "a missing password secret fails the message"
is "$(outbox "$mid" "last_error ->> 'code'")" "NOT_FOUND" "missing secret: NOT_FOUND"
q -c "SET algawf.tenant = '$A'" -c "UPDATE psa.email_provider_configs SET username = NULL, password_secret_name = NULL WHERE provider_id = '$PROVIDER'" >/dev/null
sink_stop; sink_start "$WORK/sink3"

# --- STARTTLS required, not offered -------------------------------------------------------------
q -c "SET algawf.tenant = '$A'" -c "UPDATE psa.email_provider_configs SET security = 'starttls' WHERE provider_id = '$PROVIDER'" >/dev/null
mid=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e starttls", "text": "x"}' | jfield output.message_id)
is "$(outbox "$mid" "server ->> 'security'")" "starttls" "the outbox asks for STARTTLS"
is "$(deliver)" "0|0|1" "STARTTLS required but not offered: not sent in clear"
ok $(outbox "$mid" "last_error ->> 'message'" | grep -qi 'ssl\|tls'; echo $?) "the error says TLS was not available"
q -c "SET algawf.tenant = '$A'" -c "UPDATE psa.email_provider_configs SET security = 'none' WHERE provider_id = '$PROVIDER'" >/dev/null

# --- refused before queuing --------------------------------------------------------------------
err=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e {{x}}", "text": "x", "template_data": {"x": "a\r\nBcc: victim@evil.example"}}')
is "$(echo "$err" | jfield error.code)" "VALIDATION_ERROR" "a line break in the rendered subject is refused (header injection)"
err=$(send '{"to": ["john.smith@globex.example"], "from": "ceo@evil.example", "subject": "e2e spoof", "text": "x"}')
is "$(echo "$err" | jfield error.code)" "VALIDATION_ERROR" "a sender domain that is not the tenant's is refused"
is "$(q -c "SET algawf.tenant = '$A'" -c "SELECT count(*) FROM algawf.email_outbox WHERE message ->> 'subject' = 'e2e spoof' OR message ->> 'subject' LIKE '%Bcc:%'" | tail -1)" "0" "nothing was queued for them"

# --- crm.send_quote's e-mail goes the same way ----------------------------------------------------
qid=$(q -c "SET algawf.tenant = '$A'" -c "SELECT set_config('algawf.user', '0000000a-0001-0000-0000-000000000005', false)" \
        -c "SELECT algawf.call_action('crm.create_quote', '{\"client_id\": \"0000000a-0003-0000-0000-000000000003\", \"contact_id\": \"0000000a-0004-0000-0000-000000000005\", \"title\": \"e2e Clinic firewall\", \"items\": [{\"description\": \"Firewall\", \"unit_price\": 150000}]}') #>> '{quote,quote_id}'" | tail -1)
out=$(q -c "SET algawf.tenant = '$A'" -c "SELECT set_config('algawf.user', '0000000a-0001-0000-0000-000000000005', false)" \
        -c "SELECT algawf.call_action('crm.send_quote', '{\"quote_id\": \"$qid\", \"subject\": \"e2e Quote {{quote_number}}\"}')" | tail -1)
mid=$(echo "$out" | jfield message_id)
is "$(deliver)" "1|0|0" "crm.send_quote's e-mail is delivered"
is "$(received "$WORK/sink3/messages.jsonl" 1 rcpt)" "grace.lee@umbrella-clinic.example" "to the quote's contact"
ok $(received "$WORK/sink3/messages.jsonl" 1 body plain | grep -q 'Total: 1500.00 USD'; echo $?) "with the quote's total"
is "$(received "$WORK/sink3/messages.jsonl" 1 header Message-ID)" "$mid" "Message-ID as crm.send_quote returned it"
q -c "SET algawf.tenant = '$A'" -c "DELETE FROM psa.quotes WHERE quote_id = '$qid'" >/dev/null

# --- only outside a transaction block --------------------------------------------------------------
err=$(psql -X -q -At -c "BEGIN" -c "CALL algawf.deliver_email()" -c "COMMIT" 2>&1)
ok $(echo "$err" | grep -q 'cannot run inside a transaction block'; echo $?) "deliver_email refuses to run inside a transaction block"

# --- the background executors deliver by themselves ------------------------------------------------
sink_stop; sink_start "$WORK/sink9"
worker_email on
mid=$(send '{"to": ["john.smith@globex.example"], "subject": "e2e by the worker", "text": "sent without anyone calling deliver_email"}' | jfield output.message_id)
for _ in $(seq 1 100); do [ "$(outbox "$mid" status)" = "sent" ] && break; sleep 0.1; done
is "$(outbox "$mid" status)" "sent" "an executor sends a queued message without being asked"
is "$(received "$WORK/sink9/messages.jsonl" 1 header Message-ID)" "$mid" "the sink received it"

done_testing
