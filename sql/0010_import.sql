-- Importers (mdm-console import oco): the identity CA of the server a fleet comes from, trusted
-- from then on for the devices it issued, and imported devices that bind the certificate they
-- hold on their first signed message (the importer cannot know it: the old server kept none).

CREATE TABLE device_trust_cas (
  sha256    bytea PRIMARY KEY,        -- of the CA certificate's DER
  cert      text NOT NULL,            -- PEM
  subject   text NOT NULL,
  source    text NOT NULL,            -- where it came from: 'oco'
  not_after timestamptz NOT NULL,
  added_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE devices
  ADD COLUMN imported_from text,      -- 'oco' for a device brought over by an importer
  ADD COLUMN imported_at   timestamptz;

-- An imported device channel has no certificate binding (cert_sha256 NULL) until its first
-- signed message; the first certificate that chains to a trusted CA and is bound nowhere else
-- is then bound once, and the usual rules hold from then on.
ALTER TABLE enrollments
  ADD COLUMN bind_on_contact boolean NOT NULL DEFAULT false;
