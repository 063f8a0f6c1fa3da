-- Tags: definitions and their mappings onto entities.

CREATE TABLE psa.tag_definitions (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    tag_id              uuid NOT NULL DEFAULT gen_random_uuid(),
    tag_text            text NOT NULL,
    tagged_type         text NOT NULL,
    board_id            uuid,
    background_color    text,
    text_color          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, tag_id),
    UNIQUE (tenant, tagged_type, tag_text),
    FOREIGN KEY (tenant, board_id) REFERENCES psa.boards (tenant, board_id) ON DELETE CASCADE,
    CHECK (tag_text <> '' AND length(tag_text) <= 100),
    CHECK (tagged_type IN ('client', 'contact', 'ticket', 'project', 'project_task', 'interaction', 'asset', 'user')),
    CHECK (background_color IS NULL OR background_color ~ '^#[0-9A-Fa-f]{6}$'),
    CHECK (text_color IS NULL OR text_color ~ '^#[0-9A-Fa-f]{6}$')
);
COMMENT ON TABLE psa.tag_definitions IS 'Tags, per kind of entity (tagged_type), with their colours.';
COMMENT ON COLUMN psa.tag_definitions.tag_text IS 'The tag.';
COMMENT ON COLUMN psa.tag_definitions.tagged_type IS 'What the tag is put on: client, contact, ticket, project, project_task, interaction, asset or user.';

CREATE TABLE psa.tag_mappings (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    mapping_id          uuid NOT NULL DEFAULT gen_random_uuid(),
    tag_id              uuid NOT NULL,
    tagged_id           uuid NOT NULL,
    tagged_type         text NOT NULL,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, mapping_id),
    UNIQUE (tenant, tag_id, tagged_id),
    FOREIGN KEY (tenant, tag_id) REFERENCES psa.tag_definitions (tenant, tag_id) ON DELETE CASCADE,
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (tagged_type IN ('client', 'contact', 'ticket', 'project', 'project_task', 'interaction', 'asset', 'user'))
);
CREATE INDEX tag_mappings_tagged_idx ON psa.tag_mappings (tenant, tagged_type, tagged_id);
COMMENT ON TABLE psa.tag_mappings IS 'A tag put on an entity.';
COMMENT ON COLUMN psa.tag_mappings.tagged_id IS 'The id of the tagged entity.';
COMMENT ON COLUMN psa.tag_mappings.tagged_type IS 'The kind of entity (same as the tag definition''s).';
