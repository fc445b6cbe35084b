-- Webhooks: device events (check-ins, command answers, removals, ABM changes) in the MicroMDM /
-- NanoMDM format, posted to the operator's receivers. The worker files an event in the
-- transaction of the change (an outbox); `mdm-console webhook deliver` posts it. Nothing on a
-- device's request waits for a receiver.

CREATE TABLE webhooks (
  id         bigserial PRIMARY KEY,
  url        text NOT NULL UNIQUE,
  secret     text,                        -- key of X-Hmac-Signature; NULL: unsigned
  topics     text[] NOT NULL DEFAULT '{}', -- the topics it takes; empty: all of them
  enabled    boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per event and webhook, until the receiver took it (then deleted) or delivery gave up
-- (failed_at set; kept for `webhook failures` and `webhook retry`). One device's events go out
-- in seq order: the next waits until the one before is delivered or given up.
CREATE TABLE webhook_outbox (
  seq             bigserial PRIMARY KEY,
  webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  device_key      text NOT NULL,          -- UDID, or serial number for ABM events
  topic           text NOT NULL,
  event_id        uuid NOT NULL,
  payload         json NOT NULL,          -- the body posted, as built (json keeps key order)
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  failed_at       timestamptz
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (webhook_id, device_key, seq) WHERE failed_at IS NULL;
CREATE INDEX webhook_outbox_failed ON webhook_outbox (webhook_id, seq) WHERE failed_at IS NOT NULL;

-- A sender that follows the outbox (`webhook deliver --follow`) wakes up on new events.
CREATE FUNCTION webhook_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows) THEN
    PERFORM pg_notify('webhook_outbox', '');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_outbox_notify AFTER INSERT ON webhook_outbox
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_outbox_notify();
