// Server-wide settings and key material, one text value per name.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace mdm::store {

// Names used across modules.
namespace setting {
constexpr const char* kDeviceCaCert = "device_ca.cert";  // PEM
constexpr const char* kDeviceCaKey = "device_ca.key";    // PEM; never logged
constexpr const char* kPushTopic = "apns.topic";         // com.apple.mgmt.External.<uuid>
}  // namespace setting

std::optional<std::string> GetSetting(pqxx::transaction_base& tx, const std::string& name);
void SetSetting(pqxx::transaction_base& tx, const std::string& name, const std::string& value);
// Sets the value only when the name has none; returns the value that holds afterwards.
std::string SetSettingIfAbsent(pqxx::transaction_base& tx, const std::string& name, const std::string& value);

}  // namespace mdm::store
