-- Declarative device management: declarations, which enrollments get them, and status reports.

CREATE TABLE declarations (
  identifier   text PRIMARY KEY,
  type         text NOT NULL,          -- e.g. com.apple.configuration.passcode.settings
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  server_token text NOT NULL,          -- changes whenever the declaration changes
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (type ~ '^com\.apple\.(activation|configuration|asset|management)\.')
);

-- The declarations each enrollment should have (deployment fills this from groups).
CREATE TABLE enrollment_declarations (
  enrollment_id          text NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
  declaration_identifier text NOT NULL REFERENCES declarations (identifier) ON DELETE CASCADE,
  PRIMARY KEY (enrollment_id, declaration_identifier)
);
CREATE INDEX enrollment_declarations_decl ON enrollment_declarations (declaration_identifier);

-- Status reports, as sent; the latest per enrollment is what `device show` prints.
CREATE TABLE declarative_status_reports (
  id            bigserial PRIMARY KEY,
  enrollment_id text NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
  report        jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX declarative_status_reports_enrollment ON declarative_status_reports (enrollment_id, id DESC);
