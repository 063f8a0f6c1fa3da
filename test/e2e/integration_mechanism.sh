#!/usr/bin/env bash
# The declarative HTTP mechanism with a user-registered action and no
# integration module: Link-header pagination, a bearer token from a secret, a
# form body, the response mapping over every page's items.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/integration_lib.bash"

cleanup() {   # the suite shares one database: leave no test actions in the registry
    sql_each "SELECT algawf.delete_secret('PAGED_TOKEN')"
    q -c "DELETE FROM algawf.actions WHERE action_id IN ('itest.paged_items', 'itest.form_post')" >/dev/null 2>&1
    restore_hosts
    vendor_stop
}
trap cleanup EXIT
cleanup
vendor_start 18116 || { echo "not ok 1 - the fake vendor server starts"; exit 1; }
allow_loopback

q -c "SELECT algawf.register_action(\$d\${
  \"id\": \"itest.paged_items\", \"version\": 1, \"label\": \"Paged items\", \"category\": \"Tests\",
  \"inputSchema\": {\"type\": \"object\", \"properties\": {\"max\": {\"type\": \"integer\"}}},
  \"outputSchema\": {\"type\": \"object\", \"required\": [\"ids\", \"pages\"]},
  \"sideEffectful\": false,
  \"implementation\": {\"kind\": \"http\", \"request\": {
    \"method\": \"GET\", \"url\": \"http://127.0.0.1:18116/paged/items\",
    \"headers\": {\"Authorization\": {\"\$secret\": \"PAGED_TOKEN\"}},
    \"paginate\": {\"style\": \"link\", \"maxItems\": \"max\"},
    \"response\": \"{'ids': [\$items.id], 'pages': \$max(\$items.page), 'last_page_status': \$status}\"}}
}\$d\$, replace => true)" \
  -c "SELECT algawf.register_action(\$d\${
  \"id\": \"itest.form_post\", \"version\": 1, \"label\": \"Form post\", \"category\": \"Tests\",
  \"inputSchema\": {\"type\": \"object\"}, \"outputSchema\": {\"type\": \"object\"}, \"sideEffectful\": true,
  \"implementation\": {\"kind\": \"http\", \"request\": {
    \"method\": \"POST\", \"url\": \"http://127.0.0.1:18116/forms/echo\",
    \"form\": {\"name\": {\"\$expr\": \"name\"}, \"tags\": {\"\$expr\": \"tags\"}, \"empty\": {\"\$expr\": \"nothing\"}}}}
}\$d\$, replace => true)" >/dev/null
qb -c "SELECT algawf.set_secret('PAGED_TOKEN', 'Bearer paged-token')" >/dev/null

r=$(run_action itest.paged_items '{}')
is "$(jget "$r" output ids)" "[1, 2, 3, 4, 5, 6]" "Link pagination: every page's items, in order"
is "$(jget "$r" output pages)/$(jget "$r" output last_page_status)" "3/200" "three pages"
is "$(vreq "coalesce(r->'query'->>'page', '1')" "r->>'path' = '/paged/items'" | tr '\n' ' ')" "1 2 3 " "following rel=\"next\""
is "$(vreq "r->'headers'->>'authorization'" "r->>'path' = '/paged/items'" | sort -u)" "Bearer paged-token" "a header from a tenant secret, on every page"
r=$(run_action itest.paged_items '{"max": 3}')
is "$(jget "$r" output ids)" "[1, 2, 3]" "maxItems stops early and trims"
is "$(vcount "r->>'path' = '/paged/items'")" 5 "after two pages"
ok $(secret_free paged-token; echo $?) "the secret's value is stored nowhere"

r=$(run_action itest.form_post '{"name": "Ops & Co", "tags": ["a", "b c"]}')
is "$(jget "$r" output received name)/$(jget "$r" output content_type)" "Ops & Co/application/x-www-form-urlencoded" "a form body"
is "$(vreq "r->>'body'" "r->>'path' = '/forms/echo'")" "name=Ops+%26+Co&tags=a&tags=b+c" "form-encoded, arrays repeated, undefined left out"

done_testing
