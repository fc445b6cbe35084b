-- Apps and Books (VPP): content tokens (one per location), the assets each owns with Apple's
-- licence counts, who holds a licence, and the asynchronous associate / disassociate events.

CREATE TABLE vpp_tokens (
  id                    bigserial PRIMARY KEY,
  location_uid          text UNIQUE,             -- Apple's uId for the location (client/config)
  location_name         text NOT NULL,
  org_name              text,
  token                 text NOT NULL,           -- the sToken (the .vpptoken file); secret
  expires_at            timestamptz NOT NULL,
  country               text,
  claimed_at            timestamptz,             -- client/config names this server
  assets_synced_at      timestamptz,
  assignments_synced_at timestamptz,
  last_error            text,                    -- the last sentence a run ended with, NULL when fine
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vpp_assets (
  token_id            bigint NOT NULL REFERENCES vpp_tokens (id) ON DELETE CASCADE,
  adam_id             text NOT NULL,
  pricing_param       text NOT NULL,             -- STDQ (standard) or PLUS (high quality)
  product_type        text,                      -- App, Book
  device_assignable   boolean NOT NULL DEFAULT false,
  revocable           boolean NOT NULL DEFAULT true,
  supported_platforms text[] NOT NULL DEFAULT '{}',
  total_count         integer NOT NULL DEFAULT 0,
  assigned_count      integer NOT NULL DEFAULT 0,
  available_count     integer NOT NULL DEFAULT 0,
  retired_count       integer NOT NULL DEFAULT 0,
  synced_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (token_id, adam_id, pricing_param)
);
CREATE INDEX vpp_assets_adam ON vpp_assets (adam_id);

-- One row per (location, asset, serial number) we asked for or Apple reports:
--   associating     an associate event is under way (event_id)
--   associated      the device holds a licence (ours, or seen in Apple's assignments)
--   disassociating  a disassociate event is under way
--   failed          Apple refused it for this serial (error_number, detail); tried again later
--   short           no licence was left for it when mdmcron ran
CREATE TABLE vpp_licences (
  token_id      bigint NOT NULL REFERENCES vpp_tokens (id) ON DELETE CASCADE,
  adam_id       text NOT NULL,
  pricing_param text NOT NULL,
  serial_number text NOT NULL,
  state         text NOT NULL CHECK (state IN ('associating', 'associated', 'disassociating', 'failed', 'short')),
  event_id      text,
  error_number  integer,
  detail        text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (token_id, adam_id, serial_number)
);
CREATE INDEX vpp_licences_serial ON vpp_licences (serial_number);
CREATE INDEX vpp_licences_event ON vpp_licences (event_id) WHERE event_id IS NOT NULL;

CREATE TABLE vpp_events (
  event_id      text PRIMARY KEY,
  token_id      bigint NOT NULL REFERENCES vpp_tokens (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('associate', 'disassociate')),
  adam_id       text NOT NULL,
  pricing_param text NOT NULL,
  serials       integer NOT NULL,
  status        text NOT NULL DEFAULT 'PENDING',   -- PENDING, COMPLETE, FAILED (Apple's eventStatus)
  created_at    timestamptz NOT NULL DEFAULT now(),
  checked_at    timestamptz,
  completed_at  timestamptz
);
CREATE INDEX vpp_events_pending ON vpp_events (created_at) WHERE status = 'PENDING';

-- An App Store app whose licences come from Apps and Books: the location that owns it.
ALTER TABLE apps ADD COLUMN vpp_token_id bigint REFERENCES vpp_tokens (id) ON DELETE SET NULL;
