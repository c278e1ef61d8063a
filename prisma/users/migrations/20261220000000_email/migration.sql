-- Email addresses. A user may give one address (updateProfile); it is used for alerts only once the user opened the
-- signed verification link sent to it (the notifications service answers the link and sets email_verified_at
-- through the users service's internal confirmEmail). Changing the address clears the verification.
ALTER TABLE users ADD COLUMN email text;
ALTER TABLE users ADD COLUMN email_verified_at timestamptz(3);

-- Verification emails to send (one per user: the latest unverified address), written with the address in one
-- transaction: an outbox that the notifiers read, as they read the chats event log. A notifier claims a row for a while
-- (claimed_until), sends it with a Message-ID made of the row's identity and marks it sent; a notifier that died in
-- between leaves the claim to expire, and the next one sends it again with the same Message-ID.
CREATE TABLE email_verifications (
  user_id       bigint PRIMARY KEY,
  email         text NOT NULL,
  requested_at  timestamptz(3) NOT NULL,
  attempts      integer NOT NULL DEFAULT 0,
  claimed_until timestamptz(3),
  sent_at       timestamptz(3)
);
CREATE INDEX email_verifications_unsent_idx ON email_verifications (requested_at) WHERE sent_at IS NULL;
