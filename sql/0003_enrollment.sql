-- Enrollment: one-time secrets (SCEP challenges, enrollment links) and the devices that may
-- enroll through Automated Device Enrollment (from ABM/ASM, or registered by the operator).

-- Only a digest of each secret is stored; the secret itself is shown once.
CREATE TABLE enrollment_tokens (
  token_sha256 bytea PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('scep-challenge', 'enroll-link')),
  label        text,                 -- what the operator or the flow said it is for
  identity     text NOT NULL DEFAULT 'scep' CHECK (identity IN ('scep', 'pkcs12')),
  serial_number text,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrollment_tokens_expires ON enrollment_tokens (expires_at);

-- Devices assigned to this server in ABM/ASM (applesync fills it) or registered by the operator.
CREATE TABLE dep_devices (
  serial_number  text PRIMARY KEY,
  source         text NOT NULL DEFAULT 'abm' CHECK (source IN ('abm', 'operator')),
  model          text,
  description    text,
  color          text,
  asset_tag      text,
  os             text,
  device_family  text,
  profile_status text,
  profile_uuid   text,
  op_type        text,
  op_date        timestamptz,
  udid           text,                 -- learnt when the device asks for its profile
  profile_requested_at timestamptz,
  deleted_at     timestamptz,          -- gone from ABM; history kept
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
