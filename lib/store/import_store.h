// Devices brought over from another MDM server (importers): written in sets, never one
// statement per device, and only where no device with that UDID or serial number exists yet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace mdm::store {

// An enrolled device as the old server knew it. Its device channel becomes `enrolled` with the
// push token and PushMagic it already gave; its certificate binding is made on first contact
// (enrollments.bind_on_contact).
struct ImportedDevice {
  std::string udid;  // the device channel's enrollment ID
  std::optional<std::string> serial_number, device_name, model, model_name, product_name, os_version, build_version;
  std::string push_token;                   // raw bytes
  std::string push_magic;
  std::optional<std::string> unlock_token;  // raw bytes
  std::optional<std::string> device_information;  // JSON object: the last DeviceInformation answer
  std::optional<int64_t> last_seen_at;      // unix seconds
  std::optional<bool> is_supervised;
};

struct ImportedDevicesOutcome {
  std::vector<std::string> added;    // UDIDs written
  std::vector<std::string> present;  // UDIDs skipped: a device with that UDID or serial number exists
};

// Writes the devices (in sets of a thousand), all under `topic`, marked imported from `source`.
// Repeated UDIDs in `devices` must have been removed by the caller.
ImportedDevicesOutcome InsertImportedDevices(pqxx::transaction_base& tx, const std::string& source,
                                             const std::string& topic, const std::vector<ImportedDevice>& devices);

struct DeviceParam {
  std::string device_id, name, value;
};
// Per-device values for $$name$$ placeholders, in one statement; a name a device has already
// keeps its value. Returns how many were written.
size_t InsertDeviceParams(pqxx::transaction_base& tx, const std::vector<DeviceParam>& params);

// Adds a CA whose device identities are trusted from now on (device_trust_cas); false when it
// was there already.
bool AddDeviceTrustCa(pqxx::transaction_base& tx, const std::string& sha256, const std::string& pem,
                      const std::string& subject, int64_t not_after, const std::string& source);

}  // namespace mdm::store
