-- The action catalog as the current tenant sees it, and a search over it.

CREATE VIEW algawf.catalog AS
    SELECT a.action_id,
           a.version,
           a.family,
           a.label,
           a.description,
           a.category,
           a.input_schema,
           a.output_schema,
           a.permissions,
           a.side_effectful,
           jsonb_strip_nulls(jsonb_build_object('mode', a.idempotency, 'key', a.idempotency_key)) AS idempotency,
           a.retry_hint,
           a.examples,
           a.availability,
           a.implementation,
           a.redact,
           a.timeout_ms,
           av.available,
           CASE
               WHEN av.tenant IS NULL THEN 'no tenant is set (SET algawf.tenant)'
               WHEN NOT av.family_on THEN format('family %s is disabled for this tenant', a.family)
               WHEN NOT av.integration_on THEN format('integration %s is not active for this tenant', a.integration)
           END AS unavailable_reason,
           a.version = max(a.version) OVER (PARTITION BY a.action_id) AS latest
      FROM algawf.actions a
      CROSS JOIN LATERAL (
          SELECT x.tenant, x.family_on, x.integration_on,
                 x.tenant IS NOT NULL AND x.family_on AND x.integration_on AS available
            FROM (SELECT algawf.current_tenant() AS tenant,
                         algawf.family_enabled(a.family) AS family_on,
                         (a.integration IS NULL OR algawf.integration_active(a.integration)) AS integration_on) x
      ) av;
COMMENT ON VIEW algawf.catalog IS
    'Every registered action version with its schemas, permissions, idempotency, retry hint and examples, and whether it is available to the current tenant (family enabled, integration active).';
GRANT SELECT ON algawf.catalog TO PUBLIC;

CREATE FUNCTION algawf.search_actions(query text)
    RETURNS TABLE (action_id text, version integer, label text, description text, category text,
                   available boolean, score real)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    WITH q AS (
        -- each word of the query, stemmed, as a prefix; any word may match, more words rank higher
        SELECT CASE WHEN count(*) = 0 THEN NULL
                    ELSE to_tsquery('simple', string_agg(quote_literal(lexeme) || ':*', ' | '))
               END AS tsq,
               lower(btrim(coalesce($1, ''))) AS raw
          FROM unnest(to_tsvector('english', coalesce($1, ''))) AS t (lexeme, positions, weights)
    ),
    docs AS (
        SELECT c.*,
               setweight(to_tsvector('english', c.label), 'A')
               || setweight(to_tsvector('english', translate(c.action_id, '._', '  ')), 'A')
               || setweight(to_tsvector('english', c.category), 'B')
               || setweight(to_tsvector('english', c.description), 'C') AS doc
          FROM algawf.catalog c
         WHERE c.latest
    )
    SELECT d.action_id, d.version, d.label, d.description, d.category, d.available,
           (CASE WHEN q.tsq IS NULL THEN 0 ELSE ts_rank('{0.1, 0.2, 0.4, 1.0}', d.doc, q.tsq) END
            + CASE WHEN q.raw <> '' AND d.action_id = q.raw THEN 10
                   WHEN q.raw <> '' AND d.action_id LIKE replace(replace(q.raw, '%', ''), '_', '\_') || '%' THEN 1
                   ELSE 0 END)::real AS score
      FROM docs d, q
     WHERE q.raw = ''
        OR (q.tsq IS NOT NULL AND d.doc @@ q.tsq)
        OR d.action_id LIKE '%' || replace(replace(q.raw, '%', ''), '_', '\_') || '%'
     ORDER BY score DESC, d.action_id;
$$;
COMMENT ON FUNCTION algawf.search_actions(text) IS
    'Actions (latest versions) whose label, id, category or description match the words of query (stemmed, prefix), best first; an empty query lists them all.';
GRANT EXECUTE ON FUNCTION algawf.search_actions(text) TO PUBLIC;
