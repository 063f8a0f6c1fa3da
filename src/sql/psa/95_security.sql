-- One mechanism for every table: row-level security keyed on the current tenant,
-- the grants, and pg_dump registration.  It also checks the schema's invariant
-- (tenant first in every primary and foreign key) so a table added later that
-- breaks it fails the install instead of leaking across tenants.
DO $$
DECLARE
    t record;
    bad text;
BEGIN
    FOR t IN
        SELECT c.oid, c.oid::regclass AS rel, c.relname
          FROM pg_class c
         WHERE c.relnamespace = 'psa'::regnamespace AND c.relkind IN ('r', 'p')
         ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t.rel);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t.rel);

        IF t.relname = 'system_interaction_types' THEN
            -- tenant-less reference data, read-only to everyone
            EXECUTE format('CREATE POLICY read_all ON %s FOR SELECT USING (true)', t.rel);
            EXECUTE format('GRANT SELECT ON %s TO PUBLIC', t.rel);
            CONTINUE;
        END IF;

        SELECT string_agg(format('%s %s', con.contype, con.conname), ', ') INTO bad
          FROM pg_constraint con
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
         WHERE con.conrelid = t.oid AND con.contype IN ('p', 'f') AND a.attname <> 'tenant'
            OR con.confrelid <> 0 AND con.conrelid = t.oid AND con.contype = 'f'
               AND NOT EXISTS (SELECT 1 FROM pg_attribute fa
                                WHERE fa.attrelid = con.confrelid AND fa.attnum = con.confkey[1]
                                  AND fa.attname = 'tenant');
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'table % breaks the tenant-first key rule: %', t.rel, bad;
        END IF;

        EXECUTE format('CREATE POLICY tenant_isolation ON %s'
                       ' USING (tenant = (SELECT psa.current_tenant()))'
                       ' WITH CHECK (tenant = (SELECT psa.current_tenant()))', t.rel);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO algawf_service, algawf_admin', t.rel);
        EXECUTE format('GRANT SELECT ON %s TO algawf_operator, algawf_approver', t.rel);
        PERFORM pg_catalog.pg_extension_config_dump(t.rel, '');
        -- updated_at kept current on every table that has one and no own trigger for it
        IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t.oid AND attname = 'updated_at' AND NOT attisdropped)
           AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t.oid AND tgname LIKE '%before_write') THEN
            EXECUTE format('CREATE TRIGGER touch_updated_at BEFORE UPDATE ON %s'
                           ' FOR EACH ROW EXECUTE FUNCTION psa.touch_updated_at()', t.rel);
        END IF;
        IF t.relname <> 'tenants' THEN
            EXECUTE format('COMMENT ON COLUMN %s.tenant IS %L', t.rel,
                           'The tenant (psa.tenants) owning the row: first column of every key; row-level security keys on it.');
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION psa.tenant_tables() RETURNS SETOF regclass
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.oid::regclass
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped
     WHERE c.relnamespace = 'psa'::regnamespace AND c.relkind IN ('r', 'p')
     ORDER BY c.relname
$$;
COMMENT ON FUNCTION psa.tenant_tables() IS
    'The psa tables keyed on tenant (all but psa.system_interaction_types): each has row-level security, a tenant_isolation policy and is dumped by pg_dump.';
