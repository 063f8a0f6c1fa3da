-- Documents (notes, files), their associations with entities, and entity links.

CREATE TABLE psa.external_files (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    file_id             uuid NOT NULL DEFAULT gen_random_uuid(),
    file_name           text NOT NULL,
    original_name       text NOT NULL,
    mime_type           text NOT NULL DEFAULT 'application/octet-stream',
    file_size           bigint NOT NULL DEFAULT 0,
    storage_path        text NOT NULL,
    uploaded_by_id      uuid,
    is_deleted          boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, file_id),
    FOREIGN KEY (tenant, uploaded_by_id) REFERENCES psa.users (tenant, user_id),
    CHECK (file_size >= 0),
    CHECK (mime_type ~ '^[a-z]+/[-+.[:alnum:]]+')
);
COMMENT ON TABLE psa.external_files IS 'Stored files (the bytes live in a file store; this is the catalog entry).';
COMMENT ON COLUMN psa.external_files.original_name IS 'The name the file was uploaded with.';
COMMENT ON COLUMN psa.external_files.storage_path IS 'Where the file store keeps the bytes.';
COMMENT ON COLUMN psa.external_files.file_size IS 'Size in bytes.';

CREATE TABLE psa.documents (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    document_id         uuid NOT NULL DEFAULT gen_random_uuid(),
    document_name       text NOT NULL,
    document_type       text NOT NULL DEFAULT 'note',
    content             text,
    block_data          jsonb,
    file_id             uuid,
    mime_type           text,
    file_size           bigint,
    created_by          uuid,
    edited_by           uuid,
    entered_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, document_id),
    FOREIGN KEY (tenant, file_id) REFERENCES psa.external_files (tenant, file_id),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    FOREIGN KEY (tenant, edited_by) REFERENCES psa.users (tenant, user_id),
    CHECK (document_type IN ('note', 'file')),
    CONSTRAINT documents_file_has_file_id CHECK (document_type <> 'file' OR file_id IS NOT NULL)
);
COMMENT ON TABLE psa.documents IS 'Documents: notes (text or block content) and file attachments (document_type file, with an external file). Linked to tickets, contacts, ... through psa.document_associations.';
COMMENT ON COLUMN psa.documents.document_name IS 'Title or file name.';
COMMENT ON COLUMN psa.documents.document_type IS 'note (content / block_data) or file (an attachment: file_id).';
COMMENT ON COLUMN psa.documents.content IS 'Note text (markdown or plain).';
COMMENT ON COLUMN psa.documents.block_data IS 'Rich note content as editor blocks (JSON), when the note was written in the block editor.';
COMMENT ON COLUMN psa.documents.file_id IS 'For attachments: the stored file.';

CREATE TABLE psa.document_associations (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    association_id      uuid NOT NULL DEFAULT gen_random_uuid(),
    document_id         uuid NOT NULL,
    entity_id           uuid NOT NULL,
    entity_type         text NOT NULL,
    is_entity_logo      boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, association_id),
    UNIQUE (tenant, document_id, entity_type, entity_id),
    FOREIGN KEY (tenant, document_id) REFERENCES psa.documents (tenant, document_id) ON DELETE CASCADE,
    CHECK (entity_type IN ('user', 'ticket', 'comment', 'client', 'contact', 'asset', 'project',
                           'project_task', 'interaction', 'schedule_entry', 'quote', 'tenant'))
);
CREATE INDEX document_associations_entity_idx ON psa.document_associations (tenant, entity_type, entity_id);
COMMENT ON TABLE psa.document_associations IS 'Which entity (ticket, contact, client, ...) a document belongs to; a ticket''s attachments are its associated file documents.';
COMMENT ON COLUMN psa.document_associations.entity_type IS 'The kind of entity entity_id names.';
COMMENT ON COLUMN psa.document_associations.entity_id IS 'The id of the entity (ticket_id, contact_name_id, client_id, ...).';

ALTER TABLE psa.clients
    ADD FOREIGN KEY (tenant, notes_document_id) REFERENCES psa.documents (tenant, document_id) ON DELETE SET NULL (notes_document_id);
ALTER TABLE psa.contacts
    ADD FOREIGN KEY (tenant, notes_document_id) REFERENCES psa.documents (tenant, document_id) ON DELETE SET NULL (notes_document_id);

CREATE TABLE psa.entity_links (
    tenant              uuid NOT NULL REFERENCES psa.tenants (tenant),
    link_id             uuid NOT NULL DEFAULT gen_random_uuid(),
    source_type         text NOT NULL,
    source_id           uuid NOT NULL,
    target_type         text NOT NULL,
    target_id           uuid NOT NULL,
    link_type           text NOT NULL DEFAULT 'related',
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, link_id),
    UNIQUE (tenant, source_type, source_id, link_type, target_type, target_id),
    FOREIGN KEY (tenant, created_by) REFERENCES psa.users (tenant, user_id),
    CHECK (link_type IN ('related', 'parent', 'child', 'duplicate', 'blocks', 'blocked_by', 'caused_by')),
    CONSTRAINT entity_links_type_names CHECK (source_type ~ '^[a-z][a-z_]*$' AND target_type ~ '^[a-z][a-z_]*$'),
    CONSTRAINT entity_links_not_to_itself CHECK ((source_type, source_id) IS DISTINCT FROM (target_type, target_id))
);
CREATE INDEX entity_links_target_idx ON psa.entity_links (tenant, target_type, target_id);
COMMENT ON TABLE psa.entity_links IS 'Typed links between two entities (ticket related to ticket, ticket caused by asset alert, ...).';
COMMENT ON COLUMN psa.entity_links.link_type IS 'related, parent, child, duplicate, blocks, blocked_by or caused_by (source link_type target).';
