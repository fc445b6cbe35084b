-- The device protocol: settings, devices, enrollments (device and user channels) with their
-- certificate binding, commands and the per-enrollment queue with results, inventory snapshots.

-- Server-wide settings and key material (PEM text). Values holding keys are never logged.
CREATE TABLE settings (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per device; id is the device channel's enrollment ID (UDID, or EnrollmentID for
-- User Enrollment). Inventory columns come from DeviceInformation; the whole answer is kept too.
CREATE TABLE devices (
  id                    text PRIMARY KEY,
  udid                  text,
  serial_number         text,
  imei                  text,
  meid                  text,
  product_name          text,
  model                 text,
  model_name            text,
  device_name           text,
  os_version            text,
  build_version         text,
  device_capacity       double precision,
  available_capacity    double precision,
  battery_level         double precision,
  is_supervised         boolean,
  device_information    jsonb,
  device_information_at timestamptz,
  security_info         jsonb,
  security_info_at      timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_serial ON devices (serial_number);

-- One row per enrollment ID: the device channel (id = devices.id) and its user channels
-- (id = "UDID:UserID", "UDID:UserShortName", "EnrollmentID:EnrollmentUserID").
CREATE TABLE enrollments (
  id                     text PRIMARY KEY,
  device_id              text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  channel                text NOT NULL CHECK (channel IN ('device', 'user')),
  -- device, user-enrollment (device channel); user, shared-ipad, user-enrollment-user (user channel)
  kind                   text NOT NULL,
  user_id                text,
  user_short_name        text,
  user_long_name         text,
  topic                  text NOT NULL,
  -- pending: authenticated, waiting for its first TokenUpdate; enrolled; checked-out: the device
  -- removed the profile; removed: the operator removed it (the device gets 403 and unenrolls).
  status                 text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'enrolled', 'checked-out', 'removed')),
  -- The binding: SHA-256 of the DER certificate that authenticated this device (device channel).
  cert_sha256            bytea,
  push_token             bytea,
  push_magic             text,
  unlock_token           bytea,
  bootstrap_token        bytea,
  awaiting_configuration boolean NOT NULL DEFAULT false,
  token_update_count     integer NOT NULL DEFAULT 0,
  authenticated_at       timestamptz,
  token_updated_at       timestamptz,
  checked_out_at         timestamptz,
  last_seen_at           timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK ((channel = 'device') = (id = device_id))
);
-- A certificate speaks for one device only.
CREATE UNIQUE INDEX enrollments_cert ON enrollments (cert_sha256) WHERE channel = 'device';
CREATE INDEX enrollments_device ON enrollments (device_id);

-- A command as queued: the plist body sent to every enrollment it targets.
CREATE TABLE commands (
  command_uuid text PRIMARY KEY,
  request_type text NOT NULL,
  body         bytea NOT NULL,         -- the XML plist {CommandUUID, Command}, ready to send
  source       text NOT NULL DEFAULT 'console',
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz
);

-- The per-enrollment queue and its results. Pending and NotNow rows are still to be delivered;
-- Acknowledged, Error and CommandFormatError end a command; Expired and Canceled are ours.
CREATE TABLE command_queue (
  enrollment_id  text NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
  command_uuid   text NOT NULL REFERENCES commands (command_uuid) ON DELETE CASCADE,
  seq            bigserial,
  priority       smallint NOT NULL DEFAULT 0,
  status         text NOT NULL DEFAULT 'Pending'
                   CHECK (status IN ('Pending', 'NotNow', 'Acknowledged', 'Error',
                                     'CommandFormatError', 'Expired', 'Canceled')),
  sent_count     integer NOT NULL DEFAULT 0,
  last_sent_at   timestamptz,
  not_now_count  integer NOT NULL DEFAULT 0,
  result         jsonb,                -- the device's whole report (data as base64)
  error_chain    jsonb,
  result_at      timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (enrollment_id, command_uuid)
);
-- "Next command for this enrollment": priority first, then first in, first out.
CREATE INDEX command_queue_next ON command_queue (enrollment_id, priority DESC, seq)
  WHERE status IN ('Pending', 'NotNow');
CREATE INDEX command_queue_uuid ON command_queue (command_uuid);

-- Inventory snapshots, each replaced whole when the device reports again.
CREATE TABLE device_profiles (
  device_id          text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  enrollment_id      text NOT NULL,
  payload_identifier text NOT NULL,
  payload_uuid       text,
  display_name       text,
  is_managed         boolean,
  details            jsonb NOT NULL,
  PRIMARY KEY (enrollment_id, payload_identifier)
);
CREATE INDEX device_profiles_device ON device_profiles (device_id);

CREATE TABLE device_apps (
  device_id     text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  enrollment_id text NOT NULL,
  identifier    text NOT NULL,
  name          text,
  version       text,
  short_version text,
  details       jsonb NOT NULL,
  PRIMARY KEY (enrollment_id, identifier)
);
CREATE INDEX device_apps_device ON device_apps (device_id);

CREATE TABLE device_certificates (
  device_id     text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  enrollment_id text NOT NULL,
  sha256        bytea NOT NULL,
  common_name   text,
  is_identity   boolean,
  data          bytea NOT NULL,
  PRIMARY KEY (enrollment_id, sha256)
);
CREATE INDEX device_certificates_device ON device_certificates (device_id);
