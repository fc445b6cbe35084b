-- ABM/ASM sync: the activation profile's assignment per device.
ALTER TABLE dep_devices
  ADD COLUMN assign_result text,         -- SUCCESS / NOT_ACCESSIBLE / FAILED, from PUT /profile/devices
  ADD COLUMN assign_profile_uuid text,   -- the profile that result is for
  ADD COLUMN assigned_at timestamptz;
CREATE INDEX dep_devices_serial_enrolled ON devices (serial_number) WHERE serial_number IS NOT NULL;
