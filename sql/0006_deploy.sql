-- Deployment: groups (hierarchical) carry profiles, apps and declarations; mdmcron reconciles
-- what each device should have with what it has.

CREATE TABLE groups (
  id         bigserial PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  parent_id  bigint REFERENCES groups (id) ON DELETE RESTRICT,
  -- Membership by rule on inventory, evaluated by mdmcron: {"model": "<LIKE pattern>",
  -- "product": "<LIKE pattern>", "os_min": "17.0", "os_max": "18.9"}; NULL: no rule.
  rule       jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (parent_id IS DISTINCT FROM id)
);

-- Members: by hand (manual), from a serial list (serial), or by the group's rule (rule).
CREATE TABLE group_devices (
  group_id  bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  source    text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'serial', 'rule')),
  PRIMARY KEY (group_id, device_id)
);
CREATE INDEX group_devices_device ON group_devices (device_id);

-- Serial numbers that join a group once a device with that serial enrolls.
CREATE TABLE group_serials (
  group_id      bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  serial_number text NOT NULL,
  PRIMARY KEY (group_id, serial_number)
);

-- Configuration profiles. `xml` is the unsigned plist (placeholders are filled in it);
-- `content_hash` changes whenever the operator replaces the content.
CREATE TABLE profiles (
  id            bigserial PRIMARY KEY,
  identifier    text NOT NULL UNIQUE,
  payload_uuid  text NOT NULL,
  display_name  text,
  xml           text NOT NULL,
  original      bytea NOT NULL,   -- as uploaded (signed profiles keep their signature here)
  signer        text,             -- subject of the signature, when it was signed
  placeholders  text[] NOT NULL DEFAULT '{}',
  content_hash  text NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE group_profiles (
  group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  profile_id bigint NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, profile_id)
);

-- App Store apps, by bundle identifier and (optionally) adamId.
CREATE TABLE apps (
  id               bigserial PRIMARY KEY,
  identifier       text NOT NULL UNIQUE,
  itunes_store_id  bigint,
  name             text,
  management_flags integer NOT NULL DEFAULT 1,  -- 1: remove the app when the MDM profile goes
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE group_apps (
  group_id bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  app_id   bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, app_id)
);

CREATE TABLE group_declarations (
  group_id               bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  declaration_identifier text NOT NULL REFERENCES declarations (identifier) ON DELETE CASCADE,
  PRIMARY KEY (group_id, declaration_identifier)
);

-- Per-device values for $$name$$ placeholders.
CREATE TABLE device_params (
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  name      text NOT NULL,
  value     text NOT NULL,
  PRIMARY KEY (device_id, name)
);

-- What we sent each device and what became of it: what we may remove, which version it has,
-- and what is held back (a placeholder without a value).
CREATE TABLE device_deployments (
  device_id    text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('profile', 'app')),
  item_id      bigint NOT NULL,
  identifier   text NOT NULL,     -- PayloadIdentifier or bundle ID, for the Remove command
  content_hash text,              -- the profile version sent
  command_uuid text,
  status       text NOT NULL CHECK (status IN ('pending', 'installed', 'failed', 'held', 'removing')),
  detail       text,              -- why held or failed
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, kind, item_id)
);
CREATE INDEX device_deployments_command ON device_deployments (command_uuid);

ALTER TABLE enrollments
  ADD COLUMN declarations_token text,            -- the DeclarationsToken last announced to the device
  ADD COLUMN device_configured_at timestamptz;   -- DeviceConfigured queued (ADE)

CREATE INDEX command_queue_finished ON command_queue (result_at) WHERE status NOT IN ('Pending', 'NotNow');
