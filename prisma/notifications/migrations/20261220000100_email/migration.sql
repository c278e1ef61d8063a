-- Email: notification preferences, do-not-disturb and missed-message emails.

-- Per user and kind: whether it is pushed and emailed. No row means the defaults (push on; email on for
-- DIRECT_MESSAGE and MENTION, the kinds that have missed-message emails).
CREATE TABLE notification_preferences (
  user_id bigint NOT NULL,
  kind    text NOT NULL CHECK (kind IN ('DIRECT_MESSAGE', 'MENTION', 'REPLY', 'REACTION', 'ADDED_TO_CHAT')),
  push    boolean NOT NULL,
  email   boolean NOT NULL,
  PRIMARY KEY (user_id, kind)
);

-- Per user: no push and no email while do_not_disturb_until is in the future.
CREATE TABLE notification_settings (
  user_id               bigint PRIMARY KEY,
  do_not_disturb_until  timestamptz(3)
);

-- Missed-message emails. A DIRECT_MESSAGE or MENTION starts out email_pending; once the recipient's oldest pending
-- one has waited the delay, a notifier takes all their pending ones into one batch (email_batch_id) in one
-- transaction, then checks them again (read? preferences? verified address?) and sends one email or skips it.
ALTER TABLE notifications ADD COLUMN email_pending boolean NOT NULL DEFAULT false;
ALTER TABLE notifications ADD COLUMN email_batch_id bigint;
CREATE INDEX notifications_email_pending_idx ON notifications (created_at) WHERE email_pending;
CREATE INDEX notifications_email_recipient_idx ON notifications (recipient_id, seq) WHERE email_pending;

-- One row per missed-message email, on the recipient's shard (the id is made there). CLAIMED while a notifier works
-- on it (until claimed_until: then another one takes it over and sends it again with the same message_id), SENT once
-- the SMTP server accepted it, SKIPPED when nothing was left to tell by the time it was checked.
CREATE TABLE email_batches (
  id               bigint PRIMARY KEY,
  recipient_id     bigint NOT NULL,
  notification_ids bigint[] NOT NULL,
  message_id       text NOT NULL,
  status           text NOT NULL CHECK (status IN ('CLAIMED', 'SENT', 'SKIPPED')),
  skip_reason      text,
  attempts         integer NOT NULL DEFAULT 1,
  claimed_until    timestamptz(3) NOT NULL,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  sent_at          timestamptz(3)
);
CREATE INDEX email_batches_claimed_idx ON email_batches (claimed_until) WHERE status = 'CLAIMED';
CREATE INDEX email_batches_recipient_idx ON email_batches (recipient_id, id);
-- Finished batches are kept for EMAIL_LOG_RETENTION_DAYS (what was sent, and why not), then deleted by the notifiers.
CREATE INDEX email_batches_finished_idx ON email_batches (created_at) WHERE status <> 'CLAIMED';
