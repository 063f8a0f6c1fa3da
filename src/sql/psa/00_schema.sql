COMMENT ON SCHEMA psa IS 'Alga PSA-compatible business tables (tickets, clients, contacts, ...) that algawf actions act on';
GRANT USAGE ON SCHEMA psa TO PUBLIC;
