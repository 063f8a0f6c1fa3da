-- Outgoing e-mail.  email.send (and crm.send_quote) validate and render a
-- message in the run's transaction and queue it here; the message is sent
-- after commit, outside any transaction, by the SMTP sender (src/smtp.c via
-- src/smtp_pg.c): the background worker, or CALL algawf.deliver_email().
-- A queued message is never lost with a rolled-back run, and a committed run
-- never waits on an SMTP server while holding locks.

CREATE TABLE algawf.email_outbox (
    tenant              uuid NOT NULL,
    outbox_id           uuid NOT NULL DEFAULT gen_random_uuid(),
    message_id          text NOT NULL,
    status              text NOT NULL DEFAULT 'pending',
    provider_id         uuid,
    server              jsonb NOT NULL,
    envelope            jsonb NOT NULL,
    message             jsonb NOT NULL,
    attempts            integer NOT NULL DEFAULT 0,
    max_attempts        integer NOT NULL DEFAULT 5,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    lease_expires_at    timestamptz,
    last_error          jsonb,
    smtp_response       text,
    action_id           text,
    run_id              uuid,
    step_path           text,
    invocation_id       uuid,
    actor               uuid,
    entity_type         text,
    entity_id           uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, outbox_id),
    UNIQUE (tenant, message_id),
    CONSTRAINT email_outbox_status CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'canceled')),
    CONSTRAINT email_outbox_sent_at CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT email_outbox_attempts CHECK (attempts >= 0 AND max_attempts BETWEEN 1 AND 50),
    CONSTRAINT email_outbox_parts CHECK (jsonb_typeof(server) = 'object' AND jsonb_typeof(envelope) = 'object'
                                         AND jsonb_typeof(message) = 'object')
);
CREATE INDEX email_outbox_due_idx ON algawf.email_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX email_outbox_run_idx ON algawf.email_outbox (tenant, run_id) WHERE run_id IS NOT NULL;

COMMENT ON TABLE algawf.email_outbox IS
    'Outgoing e-mail queued by email.send and crm.send_quote: one row per message, sent by the SMTP sender after the queuing transaction commits (background worker or CALL algawf.deliver_email()).';
COMMENT ON COLUMN algawf.email_outbox.message_id IS 'The Message-ID header, <uuid@sender-domain>; email.send returns it.';
COMMENT ON COLUMN algawf.email_outbox.status IS 'pending (waiting for its next attempt), sending (claimed by a sender; lease_expires_at), sent, failed (permanent error or attempts exhausted), canceled.';
COMMENT ON COLUMN algawf.email_outbox.server IS 'The SMTP server from psa.email_provider_configs at queuing time: {host, port, security none|starttls|tls, username, password_secret}. The password itself is never stored here: password_secret names an algawf tenant secret, resolved when sending.';
COMMENT ON COLUMN algawf.email_outbox.envelope IS '{from, recipients}: MAIL FROM and RCPT TO (To, Cc and Bcc).';
COMMENT ON COLUMN algawf.email_outbox.message IS '{from, to, cc, reply_to, subject, text, html, date, message_id}: the rendered message (Bcc only in the envelope).';
COMMENT ON COLUMN algawf.email_outbox.attempts IS 'Delivery attempts so far; transient failures (4xx, connection problems) are retried with back-off up to max_attempts.';
COMMENT ON COLUMN algawf.email_outbox.last_error IS '{code, message, smtp_code, retryable, at} of the last failed attempt (code: TRANSIENT_FAILURE, VALIDATION_ERROR, PERMISSION_DENIED, NOT_FOUND, INTERNAL_ERROR).';
COMMENT ON COLUMN algawf.email_outbox.smtp_response IS 'The server''s last reply (e.g. "250 2.0.0 Ok: queued as ...").';
COMMENT ON COLUMN algawf.email_outbox.action_id IS 'The action that queued the message (email.send, crm.send_quote).';
COMMENT ON COLUMN algawf.email_outbox.entity_type IS 'What the message is about (quote, ticket, ...), with entity_id.';

ALTER TABLE algawf.email_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE algawf.email_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON algawf.email_outbox
    USING (tenant = (SELECT algawf.current_tenant()))
    WITH CHECK (tenant = (SELECT algawf.current_tenant()));
GRANT SELECT ON algawf.email_outbox TO algawf_admin, algawf_operator, algawf_service;
GRANT INSERT, UPDATE ON algawf.email_outbox TO algawf_service, algawf_admin;
GRANT UPDATE (status, next_attempt_at) ON algawf.email_outbox TO algawf_operator;

CREATE TRIGGER email_outbox_touch BEFORE UPDATE ON algawf.email_outbox
    FOR EACH ROW EXECUTE FUNCTION psa.touch_updated_at();

-- The SMTP password of a claimed message's server, decrypted from the
-- tenant's secrets for the sender.  Only for messages being sent (status
-- sending) of the current tenant; owner and algawf_service only.
CREATE FUNCTION algawf._email_smtp_password(outbox_id uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t uuid := algawf.current_tenant();
    secret_name text;
    k text;
    nsp text;
    enc bytea;
    clear text;
BEGIN
    SELECT o.server ->> 'password_secret' INTO secret_name
      FROM algawf.email_outbox o
     WHERE o.tenant = t AND o.outbox_id = _email_smtp_password.outbox_id AND o.status = 'sending';
    IF secret_name IS NULL THEN
        RETURN NULL;
    END IF;
    -- NULL when the secret cannot be read: the sender then fails the message with NOT_FOUND
    IF to_regclass('algawf.tenant_secrets') IS NULL OR to_regclass('algawf.secret_keys') IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE 'SELECT s.value FROM algawf.tenant_secrets s WHERE s.tenant = $1 AND s.name = $2'
        INTO enc USING t, secret_name;
    IF enc IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE 'SELECT sk.key FROM algawf.secret_keys sk WHERE sk.key_id = 1' INTO k;
    SELECT quote_ident(n.nspname) INTO STRICT nsp
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pgcrypto';
    EXECUTE format('SELECT %s.pgp_sym_decrypt($1, $2)', nsp) INTO clear USING enc, k;
    EXECUTE 'UPDATE algawf.tenant_secrets s SET last_used_at = date_trunc(''minute'', now()) WHERE s.tenant = $1 AND s.name = $2'
        USING t, secret_name;
    RETURN clear;
END
$$;
COMMENT ON FUNCTION algawf._email_smtp_password(uuid) IS
    'Internal (SMTP sender): the decrypted SMTP password of a message being sent (status sending) of the current tenant, from algawf.tenant_secrets; NULL when the message names no secret or the secret is not set.';
REVOKE ALL ON FUNCTION algawf._email_smtp_password(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION algawf._email_smtp_password(uuid) TO algawf_service, algawf_admin;

CREATE PROCEDURE algawf.deliver_email(max_messages integer DEFAULT 100,
                                      INOUT sent integer DEFAULT NULL,
                                      INOUT retrying integer DEFAULT NULL,
                                      INOUT failed integer DEFAULT NULL)
    AS 'MODULE_PATHNAME', 'algawf_deliver_email'
    LANGUAGE C;
COMMENT ON PROCEDURE algawf.deliver_email(integer, integer, integer, integer) IS
    'Sends up to max_messages due messages of algawf.email_outbox (those row-level security lets the caller see): claims them and commits, talks SMTP holding no locks, records each result (sent; pending again with back-off after a temporary failure; failed). Returns how many were sent, will be retried, failed. Must be CALLed outside a transaction block. The background worker does the same for every tenant.';
REVOKE ALL ON PROCEDURE algawf.deliver_email(integer, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE algawf.deliver_email(integer, integer, integer, integer) TO algawf_admin, algawf_operator, algawf_service;
