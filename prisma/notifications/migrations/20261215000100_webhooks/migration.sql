-- Outgoing webhooks (Standard Webhooks), sharded like the rest of this service.
--
-- A webhook lives on its owner's shard (its id is made on the owner's logical shard). Routing an event needs the
-- webhooks of its chat, so each covered chat also has a row in webhook_chats on the shard of the CHAT's id: one
-- read on one shard per event. Rows there are written before the webhook and removed after it; one left behind by a
-- crash names a webhook that does not exist and is ignored (and removed when met).
CREATE TABLE webhooks (
  id              bigint PRIMARY KEY,
  owner_id        bigint NOT NULL,
  url             text NOT NULL,
  -- Standard Webhooks signing secret (`whsec_` + base64). It signs every delivery, so it is kept as given, unlike
  -- tokens, which are kept as hashes.
  secret          text NOT NULL,
  events          text[] NOT NULL,
  chat_ids        bigint[] NOT NULL,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  -- Set when the endpoint answered 410 Gone: nothing is sent to it any more.
  disabled_at     timestamptz(3),
  disabled_reason text
);
CREATE INDEX webhooks_owner_id_idx ON webhooks (owner_id, id);

CREATE TABLE webhook_chats (
  chat_id    bigint NOT NULL,
  webhook_id bigint NOT NULL,
  owner_id   bigint NOT NULL,
  events     text[] NOT NULL,
  PRIMARY KEY (chat_id, webhook_id)
);

-- The delivery log, on the webhook owner's shard (a delivery's id is made there, so the id alone finds it). One
-- row per webhook and chat event: a redelivered event adds nothing. `payload` is the exact body sent on every
-- attempt (and by redeliverWebhookDelivery).
CREATE TABLE webhook_deliveries (
  id                   bigint PRIMARY KEY,
  webhook_id           bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  chat_id              bigint NOT NULL,
  event_seq            integer NOT NULL,
  event_type           text NOT NULL,
  payload              text NOT NULL,
  status               text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'DEAD')),
  attempts             integer NOT NULL DEFAULT 0,
  last_response_status integer,
  next_attempt_at      timestamptz(3),
  created_at           timestamptz(3) NOT NULL DEFAULT now(),
  delivered_at         timestamptz(3),
  -- Set by redeliverWebhookDelivery; a notifier sends the delivery again and clears it.
  redeliver_requested_at timestamptz(3),
  UNIQUE (webhook_id, chat_id, event_seq)
);
CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_redeliver_idx ON webhook_deliveries (redeliver_requested_at)
  WHERE redeliver_requested_at IS NOT NULL;
