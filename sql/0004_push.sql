-- Push: what APNs said about each enrollment's token.
ALTER TABLE enrollments
  ADD COLUMN push_token_invalid_at timestamptz,  -- 410 Unregistered / 400 BadDeviceToken: no pushes until a TokenUpdate
  ADD COLUMN last_push_at timestamptz,           -- last push APNs accepted
  ADD COLUMN last_push_apns_id text,
  ADD COLUMN last_push_error text;               -- the last refusal's reason, for `device show`
CREATE INDEX enrollments_pushable ON enrollments (last_seen_at)
  WHERE status = 'enrolled' AND push_token IS NOT NULL AND push_token_invalid_at IS NULL;
