-- The web console's people: accounts with a role, server-side sessions, failed logins (for the
-- rate limit), and the audit log of every change made through the console or the admin API.

CREATE TABLE console_users (
  id                  bigserial PRIMARY KEY,
  name                text NOT NULL UNIQUE,
  role                text NOT NULL CHECK (role IN ('admin', 'helpdesk', 'viewer')),
  password_hash       text NOT NULL,   -- scrypt$N$r$p$salt$hash (base64); never logged
  created_at          timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now()
);

-- The cookie holds a random token; only its SHA-256 is stored, so a copy of the table logs
-- nobody in.
CREATE TABLE console_sessions (
  token_sha256 bytea PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  address      text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL    -- the absolute end, whatever the use
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

CREATE TABLE console_login_failures (
  key text NOT NULL,                   -- 'user:<name>' or 'addr:<address>'
  at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_login_failures_key ON console_login_failures (key, at);

CREATE TABLE audit_log (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,             -- a console user's name, or 'api-key'
  action    text NOT NULL,             -- 'login', 'logout', 'command DeviceLock', ...
  device_id text,
  detail    jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_device ON audit_log (device_id, at DESC) WHERE device_id IS NOT NULL;

-- The console's device list, sorted and searched on the server, a page at a time, fast with a
-- hundred thousand devices: one index per sort key (with the ID as the tie-break, in the order
-- the page asks, or exactly its reverse), and a trigram index over the searched columns.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX devices_sort_serial ON devices (serial_number, id);
CREATE INDEX devices_sort_name ON devices (device_name, id);
CREATE INDEX devices_sort_os ON devices (os_version, id);
CREATE INDEX devices_sort_model ON devices ((coalesce(model_name, product_name, model)), id);
CREATE INDEX enrollments_sort_seen ON enrollments (last_seen_at DESC NULLS LAST, id DESC) WHERE channel = 'device';
CREATE INDEX enrollments_sort_status ON enrollments (status, id) WHERE channel = 'device';
CREATE INDEX devices_search ON devices USING gin ((lower(coalesce(serial_number, '') || ' ' || coalesce(device_name, '')
  || ' ' || id || ' ' || coalesce(model, '') || ' ' || coalesce(model_name, '') || ' ' || coalesce(product_name, '')
  || ' ' || coalesce(os_version, ''))) gin_trgm_ops);
