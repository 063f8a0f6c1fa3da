-- Billing documents a quote converts into: draft contracts (with their lines)
-- and draft invoices (with their items).  Amounts in cents, as for quotes.

CREATE TABLE psa.contracts (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    contract_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    contract_name       text NOT NULL,
    client_id           uuid NOT NULL,
    description         text,
    status              text NOT NULL DEFAULT 'draft',
    billing_frequency   text NOT NULL DEFAULT 'monthly',
    start_date          date,
    end_date            date,
    currency_code       text NOT NULL DEFAULT 'USD',
    total_amount        bigint NOT NULL DEFAULT 0,
    quote_id            uuid,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, contract_id),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    FOREIGN KEY (tenant, quote_id) REFERENCES psa.quotes (tenant, quote_id) ON DELETE SET NULL (quote_id),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (contract_name <> ''),
    CHECK (status IN ('draft', 'active', 'expired', 'terminated')),
    CHECK (billing_frequency IN ('weekly', 'monthly', 'quarterly', 'annually', 'one_time')),
    CHECK (currency_code ~ '^[A-Z]{3}$'),
    CHECK (total_amount >= 0),
    CONSTRAINT contracts_end_after_start CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX contracts_client_idx ON psa.contracts (tenant, client_id);
CREATE INDEX contracts_quote_idx ON psa.contracts (tenant, quote_id) WHERE quote_id IS NOT NULL;
COMMENT ON TABLE psa.contracts IS 'Client contracts (recurring agreements); created as drafts, e.g. from an accepted quote.';
COMMENT ON COLUMN psa.contracts.contract_name IS 'Contract name.';
COMMENT ON COLUMN psa.contracts.status IS 'draft, active, expired or terminated.';
COMMENT ON COLUMN psa.contracts.billing_frequency IS 'weekly, monthly, quarterly, annually or one_time.';
COMMENT ON COLUMN psa.contracts.total_amount IS 'Total per billing period in cents.';
COMMENT ON COLUMN psa.contracts.quote_id IS 'The quote the contract was converted from, if any.';

CREATE TABLE psa.contract_lines (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    contract_line_id    uuid NOT NULL DEFAULT gen_random_uuid(),
    contract_id         uuid NOT NULL,
    service_id          uuid,
    description         text NOT NULL,
    quantity            numeric(12, 2) NOT NULL DEFAULT 1,
    rate                bigint NOT NULL DEFAULT 0,
    total_price         bigint NOT NULL DEFAULT 0,
    display_order       integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, contract_line_id),
    FOREIGN KEY (tenant, contract_id) REFERENCES psa.contracts (tenant, contract_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, service_id) REFERENCES psa.service_catalog (tenant, service_id),
    CHECK (quantity > 0),
    CONSTRAINT contract_lines_prices_not_negative CHECK (rate >= 0 AND total_price >= 0)
);
CREATE INDEX contract_lines_contract_idx ON psa.contract_lines (tenant, contract_id, display_order);
COMMENT ON TABLE psa.contract_lines IS 'Services billed under a contract (amounts in cents).';
COMMENT ON COLUMN psa.contract_lines.rate IS 'Price per unit in cents.';

CREATE TABLE psa.invoices (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    invoice_id          uuid NOT NULL DEFAULT gen_random_uuid(),
    invoice_number      text NOT NULL,
    client_id           uuid NOT NULL,
    status              text NOT NULL DEFAULT 'draft',
    invoice_date        date NOT NULL DEFAULT current_date,
    due_date            date,
    currency_code       text NOT NULL DEFAULT 'USD',
    subtotal            bigint NOT NULL DEFAULT 0,
    tax                 bigint NOT NULL DEFAULT 0,
    total_amount        bigint NOT NULL DEFAULT 0,
    quote_id            uuid,
    contract_id         uuid,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, invoice_id),
    UNIQUE (tenant, invoice_number),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    FOREIGN KEY (tenant, quote_id) REFERENCES psa.quotes (tenant, quote_id) ON DELETE SET NULL (quote_id),
    FOREIGN KEY (tenant, contract_id) REFERENCES psa.contracts (tenant, contract_id) ON DELETE SET NULL (contract_id),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (status IN ('draft', 'sent', 'paid', 'overdue', 'void')),
    CHECK (currency_code ~ '^[A-Z]{3}$'),
    CONSTRAINT invoices_due_after_date CHECK (due_date IS NULL OR due_date >= invoice_date),
    CONSTRAINT invoices_amounts_not_negative CHECK (subtotal >= 0 AND tax >= 0 AND total_amount >= 0)
);
CREATE INDEX invoices_client_idx ON psa.invoices (tenant, client_id);
CREATE INDEX invoices_quote_idx ON psa.invoices (tenant, quote_id) WHERE quote_id IS NOT NULL;
COMMENT ON TABLE psa.invoices IS 'Invoices (draft until sent). invoice_number is filled from psa.next_number(''INVOICE'') when omitted. Amounts in cents.';
COMMENT ON COLUMN psa.invoices.invoice_number IS 'Human-facing number (INV001001), unique per tenant.';
COMMENT ON COLUMN psa.invoices.status IS 'draft, sent, paid, overdue or void.';
COMMENT ON COLUMN psa.invoices.total_amount IS 'Total in cents, tax included.';
COMMENT ON COLUMN psa.invoices.quote_id IS 'The quote the invoice was converted from, if any.';

CREATE TABLE psa.invoice_items (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    item_id             uuid NOT NULL DEFAULT gen_random_uuid(),
    invoice_id          uuid NOT NULL,
    service_id          uuid,
    description         text NOT NULL,
    quantity            numeric(12, 2) NOT NULL DEFAULT 1,
    unit_price          bigint NOT NULL DEFAULT 0,
    total_price         bigint NOT NULL DEFAULT 0,
    display_order       integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, item_id),
    FOREIGN KEY (tenant, invoice_id) REFERENCES psa.invoices (tenant, invoice_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, service_id) REFERENCES psa.service_catalog (tenant, service_id),
    CHECK (quantity > 0),
    CONSTRAINT invoice_items_prices_not_negative CHECK (unit_price >= 0 AND total_price >= 0)
);
CREATE INDEX invoice_items_invoice_idx ON psa.invoice_items (tenant, invoice_id, display_order);
COMMENT ON TABLE psa.invoice_items IS 'Lines of an invoice (amounts in cents).';

CREATE FUNCTION psa.invoices_before_write() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.invoice_number IS NULL THEN
        NEW.invoice_number := psa.next_number(NEW.tenant, 'INVOICE');
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION psa.invoices_before_write() IS
    'BEFORE INSERT OR UPDATE on psa.invoices: numbers new invoices, touches updated_at.';
CREATE TRIGGER invoices_before_write BEFORE INSERT OR UPDATE ON psa.invoices
    FOR EACH ROW EXECUTE FUNCTION psa.invoices_before_write();
