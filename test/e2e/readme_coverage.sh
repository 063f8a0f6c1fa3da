#!/usr/bin/env bash
# README.md documents every user-visible object: each algawf.* setting, each
# function, view and table of the public schemas (names starting with "_" are
# internal), and each registered action.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
README=$(dirname "$0")/../../README.md

missing() {   # names on stdin that README does not mention
    while read -r name; do
        [ -z "$name" ] && continue
        grep -qF -- "$name" "$README" || echo "$name"
    done
}

gucs=$(q -c "SELECT name FROM pg_settings WHERE name LIKE 'algawf.%' ORDER BY 1" | missing)
is "$gucs" "" "every algawf.* setting is in README.md"

funcs=$(q -c "SELECT DISTINCT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname IN ('algawf', 'psa') AND p.proname NOT LIKE '\_%'
                AND p.prorettype <> 'trigger'::regtype ORDER BY 1" | missing)
is "$funcs" "" "every public function of algawf and psa is in README.md"

views=$(q -c "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'algawf' AND c.relkind = 'v' AND c.relname NOT LIKE '\_%' ORDER BY 1" | missing)
is "$views" "" "every view of algawf is in README.md"

rendered=$(bash "$(dirname "$0")/../action-reference.sh")
inreadme=$(sed -n '/<!-- actions:begin -->/,/<!-- actions:end -->/p' "$README" | sed '1d;$d')
is "$inreadme" "$rendered" "README's action reference matches the registry (make action-reference renders it)"
done_testing
