-- References from a table to itself (category -> parent category, recurring
-- occurrence -> series) are checked by constraint triggers instead of foreign
-- keys: pg_dump orders the data of extension tables by their foreign keys and
-- warns about "circular foreign-key constraints" for every self-reference.
-- Constraint triggers run at the end of the statement, so a restore's COPY (in
-- any row order) passes.  TG_ARGV: the referencing column, the key column.

CREATE FUNCTION psa.check_self_ref() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ref_col text := TG_ARGV[0];
    key_col text := TG_ARGV[1];
    ref uuid := (to_jsonb(NEW) ->> ref_col)::uuid;
    found boolean;
BEGIN
    IF ref IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE tenant = $1 AND %I = $2)',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, key_col)
        INTO found USING NEW.tenant, ref;
    IF NOT found THEN
        RAISE EXCEPTION 'insert or update on table "%" violates reference "%"', TG_TABLE_NAME, ref_col
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (tenant, %s)=(%s, %s) is not present in table "%s".',
                                  ref_col, NEW.tenant, ref, TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION psa.check_self_ref() IS
    'Constraint trigger: the row referenced by TG_ARGV[0] (same tenant, key column TG_ARGV[1]) must exist.';

-- On delete of a referenced row: TG_ARGV[2] = 'restrict' refuses, 'cascade' deletes the referencing rows.
CREATE FUNCTION psa.self_ref_deleted() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ref_col text := TG_ARGV[0];
    key_col text := TG_ARGV[1];
    key uuid := (to_jsonb(OLD) ->> key_col)::uuid;
    n bigint;
BEGIN
    IF TG_ARGV[2] = 'cascade' THEN
        EXECUTE format('DELETE FROM %I.%I WHERE tenant = $1 AND %I = $2', TG_TABLE_SCHEMA, TG_TABLE_NAME, ref_col)
            USING OLD.tenant, key;
    ELSE
        EXECUTE format('SELECT count(*) FROM %I.%I WHERE tenant = $1 AND %I = $2', TG_TABLE_SCHEMA, TG_TABLE_NAME, ref_col)
            INTO n USING OLD.tenant, key;
        IF n > 0 THEN
            RAISE EXCEPTION 'update or delete on table "%" violates reference "%"', TG_TABLE_NAME, ref_col
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (tenant, %s)=(%s, %s) is still referenced by %s row(s).',
                                      key_col, OLD.tenant, key, n);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION psa.self_ref_deleted() IS
    'Constraint trigger: on delete of a row referenced from its own table, restrict (TG_ARGV[2] = restrict) or cascade.';
