-- Integrations: RMM (NinjaOne, Tactical RMM, Level, Huntress) with the assets they
-- sync, and Microsoft Teams (bot, user links, conversation references, channels).

CREATE TABLE psa.rmm_integrations (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    integration_id      uuid NOT NULL DEFAULT gen_random_uuid(),
    provider            text NOT NULL,
    instance_url        text,
    is_active           boolean NOT NULL DEFAULT false,
    connected_at        timestamptz,
    last_sync_at        timestamptz,
    sync_status         text NOT NULL DEFAULT 'pending',
    sync_error          text,
    settings            jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, integration_id),
    UNIQUE (tenant, provider),
    CHECK (provider IN ('ninjaone', 'tacticalrmm', 'levelio', 'huntress')),
    CHECK (sync_status IN ('pending', 'syncing', 'completed', 'error')),
    CHECK (instance_url IS NULL OR instance_url ~ '^https?://'),
    CHECK (jsonb_typeof(settings) = 'object')
);
COMMENT ON TABLE psa.rmm_integrations IS 'A tenant''s RMM connections (one per provider). Inactive rows make the provider''s actions unavailable (INTEGRATION_INACTIVE). Credentials are algawf tenant secrets, named in settings.';
COMMENT ON COLUMN psa.rmm_integrations.provider IS 'ninjaone, tacticalrmm, levelio or huntress.';
COMMENT ON COLUMN psa.rmm_integrations.instance_url IS 'API base URL (region / self-hosted instance).';
COMMENT ON COLUMN psa.rmm_integrations.is_active IS 'Connected and enabled.';
COMMENT ON COLUMN psa.rmm_integrations.sync_status IS 'pending, syncing, completed or error (see sync_error).';
COMMENT ON COLUMN psa.rmm_integrations.settings IS 'Provider settings (secret names for credentials, organisation mappings, ...); never secrets in clear.';

CREATE TABLE psa.assets (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    asset_id            uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id           uuid NOT NULL,
    location_id         uuid,
    asset_type          text NOT NULL DEFAULT 'unknown',
    name                text NOT NULL,
    asset_tag           text,
    serial_number       text,
    status              text NOT NULL DEFAULT 'active',
    rmm_provider        text,
    rmm_device_id       text,
    agent_status        text,
    last_seen_at        timestamptz,
    attributes          jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, asset_id),
    UNIQUE (tenant, rmm_provider, rmm_device_id),
    FOREIGN KEY (tenant, client_id) REFERENCES psa.clients (tenant, client_id),
    FOREIGN KEY (tenant, location_id) REFERENCES psa.client_locations (tenant, location_id),
    CHECK (asset_type IN ('workstation', 'server', 'network_device', 'mobile_device', 'printer', 'unknown')),
    CHECK (status IN ('active', 'inactive', 'maintenance', 'retired')),
    CHECK (rmm_provider IS NULL OR rmm_provider IN ('ninjaone', 'tacticalrmm', 'levelio', 'huntress')),
    CONSTRAINT assets_rmm_provider_and_device CHECK ((rmm_provider IS NULL) = (rmm_device_id IS NULL)),
    CHECK (agent_status IS NULL OR agent_status IN ('online', 'offline', 'unknown')),
    CHECK (name <> '')
);
CREATE INDEX assets_client_idx ON psa.assets (tenant, client_id);
COMMENT ON TABLE psa.assets IS 'Client devices, entered by hand or synced from an RMM (rmm_provider + rmm_device_id).';
COMMENT ON COLUMN psa.assets.asset_type IS 'workstation, server, network_device, mobile_device, printer or unknown.';
COMMENT ON COLUMN psa.assets.name IS 'Device name.';
COMMENT ON COLUMN psa.assets.serial_number IS 'Serial number.';
COMMENT ON COLUMN psa.assets.status IS 'active, inactive, maintenance or retired.';
COMMENT ON COLUMN psa.assets.rmm_provider IS 'The RMM the device is synced from.';
COMMENT ON COLUMN psa.assets.rmm_device_id IS 'The device id in that RMM (unique per tenant and provider).';
COMMENT ON COLUMN psa.assets.agent_status IS 'RMM agent state: online, offline or unknown.';
COMMENT ON COLUMN psa.assets.attributes IS 'Device details from the RMM (OS, CPU, IP addresses, ...).';

CREATE TABLE psa.teams_integrations (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    is_active           boolean NOT NULL DEFAULT false,
    app_id              text,
    tenant_id_ms        text,
    bot_secret_name     text,
    settings            jsonb NOT NULL DEFAULT '{}',
    connected_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant),
    CONSTRAINT teams_integrations_active_needs_app CHECK (NOT is_active OR (app_id IS NOT NULL AND tenant_id_ms IS NOT NULL)),
    CHECK (jsonb_typeof(settings) = 'object')
);
COMMENT ON TABLE psa.teams_integrations IS 'A tenant''s Microsoft Teams bot connection (one per tenant). Inactive: the Teams actions are unavailable.';
COMMENT ON COLUMN psa.teams_integrations.app_id IS 'The bot''s Microsoft app (client) id.';
COMMENT ON COLUMN psa.teams_integrations.tenant_id_ms IS 'The Microsoft Entra (Azure AD) tenant id.';
COMMENT ON COLUMN psa.teams_integrations.bot_secret_name IS 'Name of the algawf tenant secret holding the bot''s client secret.';

CREATE TABLE psa.teams_user_links (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    user_id             uuid NOT NULL,
    ms_user_id          text NOT NULL,
    ms_tenant_id        text,
    user_principal_name text,
    linked_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, user_id),
    UNIQUE (tenant, ms_user_id),
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id) ON DELETE CASCADE
);
COMMENT ON TABLE psa.teams_user_links IS 'PSA user <-> Microsoft account (Entra object id) links, for direct messages and approvals in Teams.';
COMMENT ON COLUMN psa.teams_user_links.ms_user_id IS 'The Microsoft Entra object id of the user.';

CREATE TABLE psa.teams_conversation_refs (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    conversation_ref_id uuid NOT NULL DEFAULT gen_random_uuid(),
    conversation_id     text NOT NULL,
    conversation_type   text NOT NULL,
    user_id             uuid,
    service_url         text NOT NULL,
    bot_id              text,
    reference           jsonb NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, conversation_ref_id),
    UNIQUE (tenant, conversation_id),
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id) ON DELETE CASCADE,
    CHECK (conversation_type IN ('personal', 'channel', 'groupChat')),
    CHECK (service_url ~ '^https?://')
);
CREATE INDEX teams_conversation_refs_user_idx ON psa.teams_conversation_refs (tenant, user_id);
COMMENT ON TABLE psa.teams_conversation_refs IS 'Bot Framework conversation references, needed to send proactive messages (personal chats, channels, group chats).';
COMMENT ON COLUMN psa.teams_conversation_refs.conversation_type IS 'personal, channel or groupChat.';
COMMENT ON COLUMN psa.teams_conversation_refs.user_id IS 'For personal chats: the PSA user.';
COMMENT ON COLUMN psa.teams_conversation_refs.service_url IS 'The Bot Framework service URL to post to.';

CREATE TABLE psa.teams_channel_installations (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    installation_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    team_id_ms          text NOT NULL,
    team_name           text,
    channel_id_ms       text NOT NULL,
    channel_name        text,
    conversation_id     text,
    service_url         text,
    is_active           boolean NOT NULL DEFAULT true,
    installed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, installation_id),
    UNIQUE (tenant, channel_id_ms)
);
COMMENT ON TABLE psa.teams_channel_installations IS 'Teams channels the bot is installed in (targets of channel notifications).';
COMMENT ON COLUMN psa.teams_channel_installations.team_id_ms IS 'Microsoft Teams team id.';
COMMENT ON COLUMN psa.teams_channel_installations.channel_id_ms IS 'Microsoft Teams channel id.';
