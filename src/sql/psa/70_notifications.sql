-- In-app notifications for MSP users.

CREATE TABLE psa.internal_notifications (
    tenant                      uuid NOT NULL REFERENCES psa.tenants (tenant),
    internal_notification_id    uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id                     uuid NOT NULL,
    template_name               text,
    language_code               text NOT NULL DEFAULT 'en',
    title                       text NOT NULL,
    message                     text NOT NULL,
    type                        text NOT NULL DEFAULT 'info',
    category                    text,
    link                        text,
    metadata                    jsonb,
    is_read                     boolean NOT NULL DEFAULT false,
    read_at                     timestamptz,
    deleted_at                  timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, internal_notification_id),
    FOREIGN KEY (tenant, user_id) REFERENCES psa.users (tenant, user_id) ON DELETE CASCADE,
    CHECK (type IN ('info', 'success', 'warning', 'error')),
    CONSTRAINT internal_notifications_read_at_only_when_read CHECK (is_read OR read_at IS NULL),
    CHECK (title <> '')
);
CREATE INDEX internal_notifications_unread_idx ON psa.internal_notifications (tenant, user_id, created_at)
    WHERE NOT is_read AND deleted_at IS NULL;
COMMENT ON TABLE psa.internal_notifications IS 'In-app notifications for users (the bell menu).';
COMMENT ON COLUMN psa.internal_notifications.user_id IS 'The recipient.';
COMMENT ON COLUMN psa.internal_notifications.template_name IS 'The template it was rendered from, if any.';
COMMENT ON COLUMN psa.internal_notifications.title IS 'Headline.';
COMMENT ON COLUMN psa.internal_notifications.message IS 'Body text.';
COMMENT ON COLUMN psa.internal_notifications.type IS 'info, success, warning or error.';
COMMENT ON COLUMN psa.internal_notifications.category IS 'Grouping (tickets, projects, workflows, ...).';
COMMENT ON COLUMN psa.internal_notifications.link IS 'Where clicking the notification leads.';
COMMENT ON COLUMN psa.internal_notifications.is_read IS 'Read by the recipient (read_at says when).';
