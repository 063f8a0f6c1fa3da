-- Quotes: header, line items and activity history.

CREATE TABLE psa.quotes (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    quote_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    quote_number        text NOT NULL,
    client_id           uuid NOT NULL,
    contact_name_id     uuid,
    title               text NOT NULL,
    description         text,
    status              text NOT NULL DEFAULT 'draft',
    quote_date          date NOT NULL DEFAULT current_date,
    valid_until         date,
    currency_code       text NOT NULL DEFAULT 'USD',
    subtotal            bigint NOT NULL DEFAULT 0,
    tax                 bigint NOT NULL DEFAULT 0,
    total_amount        bigint NOT NULL DEFAULT 0,
    ticket_id           uuid,
    project_id          uuid,
    created_by          uuid,
    sent_at             timestamptz,
    accepted_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, quote_id),
    UNIQUE (tenant, quote_number),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    FOREIGN KEY (tenant, contact_name_id) REFERENCES psa.contacts (tenant, contact_name_id),
    FOREIGN KEY (tenant, ticket_id) REFERENCES psa.tickets (tenant, ticket_id),
    FOREIGN KEY (tenant, project_id) REFERENCES psa.projects (tenant, project_id),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (title <> ''),
    CHECK (status IN ('draft', 'pending_approval', 'approved', 'sent', 'accepted', 'rejected',
                      'expired', 'converted', 'cancelled')),
    CHECK (currency_code ~ '^[A-Z]{3}$'),
    CONSTRAINT quotes_valid_until_after_date CHECK (valid_until IS NULL OR valid_until >= quote_date),
    CONSTRAINT quotes_amounts_not_negative CHECK (subtotal >= 0 AND tax >= 0 AND total_amount >= 0)
);
CREATE INDEX quotes_client_idx ON psa.quotes (tenant, client_id);
CREATE INDEX quotes_status_idx ON psa.quotes (tenant, status);
COMMENT ON TABLE psa.quotes IS 'Quotes (estimates) for clients. quote_number is filled from psa.next_number(''QUOTE'') when omitted. Amounts are in cents.';
COMMENT ON COLUMN psa.quotes.quote_number IS 'Human-facing number (Q001001), unique per tenant.';
COMMENT ON COLUMN psa.quotes.status IS 'draft, pending_approval, approved, sent, accepted, rejected, expired, converted or cancelled.';
COMMENT ON COLUMN psa.quotes.valid_until IS 'Last day the quote can be accepted.';
COMMENT ON COLUMN psa.quotes.total_amount IS 'Total in cents, tax included.';

CREATE TABLE psa.quote_items (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    quote_item_id       uuid NOT NULL DEFAULT gen_random_uuid(),
    quote_id            uuid NOT NULL,
    service_id          uuid,
    description         text NOT NULL,
    quantity            numeric(12, 2) NOT NULL DEFAULT 1,
    unit_price          bigint NOT NULL DEFAULT 0,
    total_price         bigint NOT NULL DEFAULT 0,
    is_optional         boolean NOT NULL DEFAULT false,
    display_order       integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, quote_item_id),
    FOREIGN KEY (tenant, quote_id) REFERENCES psa.quotes (tenant, quote_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, service_id) REFERENCES psa.service_catalog (tenant, service_id),
    CHECK (quantity > 0),
    CONSTRAINT quote_items_prices_not_negative CHECK (unit_price >= 0 AND total_price >= 0)
);
CREATE INDEX quote_items_quote_idx ON psa.quote_items (tenant, quote_id, display_order);
COMMENT ON TABLE psa.quote_items IS 'Lines of a quote (amounts in cents).';
COMMENT ON COLUMN psa.quote_items.unit_price IS 'Price per unit in cents.';
COMMENT ON COLUMN psa.quote_items.total_price IS 'Line total in cents.';

CREATE TABLE psa.quote_activities (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    activity_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    quote_id            uuid NOT NULL,
    activity_type       text NOT NULL,
    description         text,
    performed_by        uuid,
    metadata            jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, activity_id),
    FOREIGN KEY (tenant, quote_id) REFERENCES psa.quotes (tenant, quote_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, performed_by) REFERENCES psa.users (tenant, user_id),
    CHECK (activity_type IN ('created', 'updated', 'submitted', 'approved', 'sent', 'viewed',
                             'accepted', 'rejected', 'expired', 'converted', 'cancelled', 'comment'))
);
CREATE INDEX quote_activities_quote_idx ON psa.quote_activities (tenant, quote_id, created_at);
COMMENT ON TABLE psa.quote_activities IS 'History of a quote: created, sent, viewed, accepted, ...';
COMMENT ON COLUMN psa.quote_activities.activity_type IS 'What happened: created, updated, submitted, approved, sent, viewed, accepted, rejected, expired, converted, cancelled or comment.';

CREATE FUNCTION psa.quotes_before_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.quote_number IS NULL THEN
        NEW.quote_number := psa.next_number(NEW.tenant, 'QUOTE');
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION psa.quotes_before_write() IS
    'BEFORE INSERT OR UPDATE on psa.quotes: numbers new quotes, touches updated_at.';
CREATE TRIGGER quotes_before_write BEFORE INSERT OR UPDATE ON psa.quotes
    FOR EACH ROW EXECUTE FUNCTION psa.quotes_before_write();
