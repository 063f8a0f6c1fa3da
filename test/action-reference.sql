-- Renders the action reference (README.md, between the actions:begin/end markers)
-- from the registry.  Used by `make action-reference` and checked by
-- test/e2e/readme_coverage.sh.
\pset format unaligned
\pset tuples_only on
WITH a AS (
    SELECT action_id, version, family, label, category, permissions, side_effectful, idempotency,
           coalesce(availability ->> 'integration', '') AS integration,
           regexp_replace(description, '\s+', ' ', 'g') AS description,
           coalesce((SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_array_elements_text(input_schema -> 'required') k), '') AS required
    FROM algawf.actions
), fam AS (
    SELECT family, min(category) AS category FROM a GROUP BY family
)
SELECT string_agg(block, E'\n' ORDER BY family)
FROM (
    SELECT f.family,
           format(E'#### %s (`%s.*`)\n\n| action | label | permissions | required input | notes |\n|---|---|---|---|---|\n', f.category, f.family)
           || string_agg(format('| `%s` v%s | %s | %s | %s | %s |',
                                a.action_id, a.version, replace(a.label, '|', '\|'),
                                coalesce(nullif(array_to_string(a.permissions, ', '), ''), '—'),
                                coalesce(nullif(a.required, ''), '—'),
                                concat_ws('; ',
                                          CASE WHEN a.side_effectful THEN 'side effects, audited' END,
                                          CASE WHEN a.idempotency = 'actionProvided' THEN 'action-provided idempotency key' END,
                                          CASE WHEN a.integration <> '' THEN 'needs the ' || a.integration || ' integration' END)),
                         E'\n' ORDER BY a.action_id, a.version) || E'\n' AS block
    FROM fam f JOIN a USING (family)
    GROUP BY f.family, f.category
) s;
