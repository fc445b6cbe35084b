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
constexpr const char* kPushKey = "apns.key";             // PEM; kept for renewals
constexpr const char* kPushCert = "apns.cert";           // PEM
constexpr const char* kPushExpires = "apns.expires_at";  // unix seconds
constexpr const char* kVendorKey = "vendor.key";
constexpr const char* kVendorCert = "vendor.cert";
constexpr const char* kTokenKey = "abm.token_key";       // the key ABM encrypts the server token to
constexpr const char* kTokenCert = "abm.token_cert";
constexpr const char* kAbmToken = "abm.token";           // JSON: the five OAuth values; secret
constexpr const char* kAbmTokenExpires = "abm.token_expires_at";  // unix seconds
constexpr const char* kApiUrl = "api_url";               // https://host/api-mdm.php
constexpr const char* kActivationProfile = "abm.activation_profile";  // JSON
constexpr const char* kSigningCert = "profile_signing.cert";  // PEM (+ chain)
constexpr const char* kSigningKey = "profile_signing.key";    // PEM
constexpr const char* kApnsUrl = "apns.url";          // default https://api.push.apple.com
constexpr const char* kApnsCaFile = "apns.ca_file";    // extra CA bundle to trust for it
constexpr const char* kAbmUrl = "abm.url";            // default https://mdmenrollment.apple.com
constexpr const char* kAbmCaFile = "abm.ca_file";
constexpr const char* kApnsTimeout = "apns.timeout_seconds";  // default 30: one push's whole exchange
constexpr const char* kAbmTimeout = "abm.timeout_seconds";    // default 120: one ABM/ASM request
constexpr const char* kAbmAccount = "abm.account";    // JSON from GET /account
constexpr const char* kAbmCursor = "abm.cursor";
constexpr const char* kAbmCursorMode = "abm.cursor_mode";  // fetch (a full fetch under way) or sync
constexpr const char* kAbmProfileHash = "abm.profile_hash";  // SHA-256 of the profile last defined
constexpr const char* kAbmProfileUuid = "abm.profile_uuid";
constexpr const char* kAdeRootCa = "ade.root_ca";  // PEM; default: Apple Root CA
constexpr const char* kVppUrl = "vpp.url";          // default https://vpp.itunes.apple.com/mdm/v2
constexpr const char* kVppCaFile = "vpp.ca_file";
constexpr const char* kVppTimeout = "vpp.timeout_seconds";  // default 120: one Apps and Books request
constexpr const char* kServerUuid = "server.uuid";  // this server's mdmInfo id at Apps and Books; made once
}  // namespace setting

// The bounds of the timeout settings (kApnsTimeout, kAbmTimeout), in whole seconds.
constexpr int kMinTimeoutSeconds = 1;
constexpr int kMaxTimeoutSeconds = 600;

// Whole seconds from `min` to `max` written in decimal digits only; nullopt for anything else.
std::optional<int> ParseSeconds(const std::string& text, int min, int max);

std::optional<std::string> GetSetting(pqxx::transaction_base& tx, const std::string& name);
// A timeout setting in seconds, or `fallback` when it is not set (or, written around the console,
// not a number of seconds within the bounds: then a warning is logged).
int GetTimeoutSeconds(pqxx::transaction_base& tx, const std::string& name, int fallback);
void SetSetting(pqxx::transaction_base& tx, const std::string& name, const std::string& value);
// Sets the value only when the name has none; returns the value that holds afterwards.
std::string SetSettingIfAbsent(pqxx::transaction_base& tx, const std::string& name, const std::string& value);

}  // namespace mdm::store
