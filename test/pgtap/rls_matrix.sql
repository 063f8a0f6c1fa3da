-- Tenant isolation matrix: every table of both extensions x read/insert/update/delete
-- x {member of tenant A with A set, member of A with B set, role with no membership,
-- service role}.  Generic over the catalog, so a table added later is covered
-- without editing this file.  Test roles get full table privileges so that only
-- row-level security decides what they see and change.
BEGIN;
SELECT * FROM no_plan();

SELECT psa.load_sample_data();

CREATE ROLE rls_member_a;
CREATE ROLE rls_nobody;
CREATE ROLE rls_service IN ROLE algawf_service;
SELECT algawf.add_tenant_member('00000000-0000-0000-0000-00000000000a', 'rls_member_a');
GRANT ALL ON ALL TABLES IN SCHEMA algawf, psa TO rls_member_a, rls_nobody, rls_service;

-- Tables that are deliberately not per tenant, and why (each also has a test elsewhere).
CREATE TEMP TABLE tenantless(tbl regclass, why text);
INSERT INTO tenantless
SELECT c.oid, x.why
FROM (VALUES
    ('algawf.actions', 'the action registry is global: the same catalog for every tenant'),
    ('algawf.workflow_templates', 'the templates gallery is global: the same definitions for every tenant, instantiated per tenant'),
    ('algawf.integration_modules', 'the integration module registry is global: each module''s resolver reads the tenant''s connection'),
    ('algawf.secret_keys', 'the per-database key encrypting tenant secrets: readable by the extension owner only'),
    ('psa.system_interaction_types', 'reference data shared by all tenants (read-only)'),
    ('algawf.tenant_roles', 'the membership table itself: a role sees only its own memberships')
) AS x(name, why)
JOIN pg_class c ON c.oid = to_regclass(x.name);

CREATE TEMP TABLE tables_under_test AS
SELECT c.oid::regclass AS tbl
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('algawf', 'psa') AND c.relkind IN ('r', 'p')
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped)
  AND c.oid NOT IN (SELECT tbl FROM tenantless)
ORDER BY 1::text;

SELECT ok((SELECT count(*) FROM tables_under_test) >= 20, 'the catalog holds the tenant tables of both extensions');

-- every table of both schemas is either per tenant or listed with a reason
SELECT is_empty(
    $$SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('algawf', 'psa') AND c.relkind IN ('r', 'p')
        AND c.oid NOT IN (SELECT tbl FROM tables_under_test)
        AND c.oid NOT IN (SELECT tbl FROM tenantless)$$,
    'no table is neither per tenant nor a documented exception');

-- tenant is the first column of the primary key, and of every foreign key
SELECT is_empty(
    $$SELECT t.tbl::text FROM tables_under_test t
      WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = t.tbl AND k.contype = 'p'
                        AND (SELECT attname FROM pg_attribute WHERE attrelid = t.tbl AND attnum = k.conkey[1]) = 'tenant')$$,
    'tenant leads every primary key');
SELECT is_empty(
    $$SELECT k.conname || ' on ' || k.conrelid::regclass FROM pg_constraint k JOIN tables_under_test t ON t.tbl = k.conrelid
      WHERE k.contype = 'f'
        AND (SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = k.conkey[1]) IS DISTINCT FROM 'tenant'$$,
    'tenant leads every foreign key');

CREATE FUNCTION pg_temp.matrix() RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE
    a constant uuid := '00000000-0000-0000-0000-00000000000a';
    b constant uuid := '00000000-0000-0000-0000-00000000000b';
    t regclass;
    n_a bigint; n_b bigint; seen bigint; foreign_seen bigint; affected bigint;
    state text;
BEGIN
    FOR t IN SELECT tbl FROM tables_under_test LOOP
        RETURN NEXT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = t),
                       t || ': row-level security enabled and forced');
        RETURN NEXT ok(EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = t),
                       t || ': has a tenant policy');

        EXECUTE format('SELECT count(*) FILTER (WHERE tenant = $1), count(*) FILTER (WHERE tenant = $2) FROM %s', t)
            INTO n_a, n_b USING a, b;

        -- member of A, A set: all of A, nothing else
        PERFORM set_config('algawf.tenant', a::text, true);
        SET LOCAL ROLE rls_member_a;
        EXECUTE format('SELECT count(*), count(*) FILTER (WHERE tenant <> $1) FROM %s', t) INTO seen, foreign_seen USING a;
        RESET ROLE;
        RETURN NEXT is(seen, n_a, t || ': member of A sees exactly A''s ' || n_a || ' rows');
        RETURN NEXT is(foreign_seen, 0::bigint, t || ': member of A sees no other tenant''s rows');

        -- member of A, B set: nothing
        PERFORM set_config('algawf.tenant', b::text, true);
        SET LOCAL ROLE rls_member_a;
        EXECUTE format('SELECT count(*) FROM %s', t) INTO seen;
        RESET ROLE;
        RETURN NEXT is(seen, 0::bigint, t || ': member of A with B''s id set sees nothing');

        -- no membership: nothing
        PERFORM set_config('algawf.tenant', a::text, true);
        SET LOCAL ROLE rls_nobody;
        EXECUTE format('SELECT count(*) FROM %s', t) INTO seen;
        RESET ROLE;
        RETURN NEXT is(seen, 0::bigint, t || ': a role with no membership sees nothing');

        -- service role: exactly the tenant it sets
        PERFORM set_config('algawf.tenant', b::text, true);
        SET LOCAL ROLE rls_service;
        EXECUTE format('SELECT count(*), count(*) FILTER (WHERE tenant <> $1) FROM %s', t) INTO seen, foreign_seen USING b;
        RESET ROLE;
        RETURN NEXT is(seen, n_b, t || ': service role with B set sees B''s ' || n_b || ' rows');
        RETURN NEXT is(foreign_seen, 0::bigint, t || ': service role with B set sees no other tenant');

        -- writes by a member of A against B's rows
        PERFORM set_config('algawf.tenant', a::text, true);
        SET LOCAL ROLE rls_member_a;
        EXECUTE format('UPDATE %s SET tenant = tenant WHERE tenant = $1', t) USING b;
        GET DIAGNOSTICS affected = ROW_COUNT;
        RESET ROLE;
        RETURN NEXT is(affected, 0::bigint, t || ': member of A updates none of B''s rows');

        SET LOCAL ROLE rls_member_a;
        EXECUTE format('DELETE FROM %s WHERE tenant = $1', t) USING b;
        GET DIAGNOSTICS affected = ROW_COUNT;
        RESET ROLE;
        RETURN NEXT is(affected, 0::bigint, t || ': member of A deletes none of B''s rows');

        state := 'no error';
        BEGIN
            SET LOCAL ROLE rls_member_a;
            EXECUTE format('INSERT INTO %1$s SELECT (jsonb_populate_record(NULL::%1$s, jsonb_build_object(''tenant'', $1::text))).*', t) USING b;
        EXCEPTION WHEN OTHERS THEN
            state := SQLSTATE;
        END;
        RESET ROLE;
        RETURN NEXT is(state, '42501', t || ': member of A cannot insert a row for B');

        IF n_a > 0 THEN
            state := 'no error';
            BEGIN
                SET LOCAL ROLE rls_member_a;
                EXECUTE format('UPDATE %s SET tenant = $1 WHERE tenant = $2', t) USING b, a;
            EXCEPTION WHEN OTHERS THEN
                state := SQLSTATE;
            END;
            RESET ROLE;
            RETURN NEXT is(state, '42501', t || ': member of A cannot move a row to B');
        END IF;

        -- superuser's view is unchanged by all of the above
        EXECUTE format('SELECT count(*) FILTER (WHERE tenant = $1) FROM %s', t) INTO seen USING b;
        RETURN NEXT is(seen, n_b, t || ': B''s rows are intact');
    END LOOP;
    PERFORM set_config('algawf.tenant', '', true);
END
$fn$;

SELECT * FROM pg_temp.matrix();

SELECT * FROM finish();
ROLLBACK;
