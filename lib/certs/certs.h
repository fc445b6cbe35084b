// The operator's Apple certificate workflow: vendor certificate, APNs push certificate, the ABM
// server token, the public URL and the activation profile. Key material lives in the settings
// table; nothing is written to files here.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"
#include "store/settings.h"

namespace mdm::certs {

// `settings set api-url`: an https URL ending in /api-mdm.php. http is accepted with a warning.
Status SetApiUrl(pqxx::connection& conn, const std::string& url, std::string* warning);

// The vendor key (made once, RSA-2048) and a CSR for it, PEM.
Result<std::string> VendorCsr(pqxx::connection& conn, const std::string& common_name);
// Stores Apple's vendor certificate (DER or PEM) after checking it matches the vendor key.
// Returns its expiry (unix seconds).
Result<int64_t> StoreVendorCert(pqxx::connection& conn, const std::string& file_bytes);

// The push key (made once and kept for renewals) and its CSR, PEM.
Result<std::string> ApnsCsrUnsigned(pqxx::connection& conn, const std::string& common_name);
// The file for Apple's push certificate portal: base64 of a plist with PushCertRequestCSR,
// PushCertCertificateChain (vendor, Apple WWDR CA G3, Apple Root CA) and PushCertSignature
// (SHA-256 RSA signature of the DER CSR by the vendor key).
Result<std::string> ApnsCsrSigned(pqxx::connection& conn, const std::string& common_name);

struct PushCertInfo {
  std::string topic;
  int64_t expires_at = 0;
  bool topic_changed = false;
};
// Stores the push certificate (PEM or DER): it must match the push key, carry a topic
// (subject UID com.apple.mgmt.*), and keep the stored topic unless `allow_topic_change`.
Result<PushCertInfo> StorePushCert(pqxx::connection& conn, const std::string& file_bytes, bool allow_topic_change);

// The self-signed certificate (PEM) ABM encrypts the server token to; made once.
Result<std::string> TokenCert(pqxx::connection& conn);
struct AbmToken {
  std::string consumer_key;  // the other four values are secrets and stay in the database
  std::string access_token_expiry;
  int64_t expires_at = 0;
  bool server_changed = false;  // it replaced another server's token: applesync starts afresh
};
// Decrypts the server token (.p7m) with the token key, checks its five fields, stores it.
Result<AbmToken> StoreAbmToken(pqxx::connection& conn, const std::string& p7m);

// Validates the activation profile JSON (known keys and types; url = <api-url>/profile) and
// stores it, pretty as given.
Status SetActivationProfile(pqxx::connection& conn, const std::string& json);

// --- inside the caller's transaction (importers) ----------------------------------------------
Status SetApiUrl(pqxx::transaction_base& tx, const std::string& url, std::string* warning);
Status SetActivationProfile(pqxx::transaction_base& tx, const std::string& json);
// Checks a decrypted server token (the JSON between BEGIN and END MESSAGE) and stores it.
Result<AbmToken> SaveAbmToken(pqxx::transaction_base& tx, std::string json);

enum class KeyPairChange { kAdded, kUnchanged, kReplaced, kKept };
struct ImportedKeyPair {
  KeyPairChange change = KeyPairChange::kAdded;
  std::string topic;  // the push certificate's
  int64_t expires_at = 0;
};
// A push certificate with its key from another server (PEM): the key must match, the topic be
// an MDM one, the certificate unexpired. A stored one with another topic is refused unless
// `replace`; the same certificate again is kUnchanged.
Result<ImportedKeyPair> ImportPushKeyPair(pqxx::transaction_base& tx, const std::string& cert_pem,
                                          const std::string& key_pem, bool replace);
// The MDM vendor certificate with its key (PEM), checked the same way; a different vendor
// certificate already stored here is kept (kKept).
Result<ImportedKeyPair> ImportVendorKeyPair(pqxx::transaction_base& tx, const std::string& cert_pem,
                                            const std::string& key_pem);
// The key pair ABM encrypts server tokens to (PEM), so tokens downloaded for the old server
// decrypt here too; a different pair already stored is kept (kKept).
Result<ImportedKeyPair> ImportTokenKeyPair(pqxx::transaction_base& tx, const std::string& cert_pem,
                                           const std::string& key_pem);

// What expires among the stored certificates and tokens, as `status` reports it: the push
// certificate, the vendor certificate, the ABM/ASM server token, the device CA and the profile
// signing certificate, each when it is stored. `get` returns a setting's value (store::setting
// names), so a caller may read them all in one query.
struct Expiry {
  const char* name;  // a fixed short name: apns_push, vendor, abm_token, device_ca, profile_signing
  const char* what;  // as `status` says it: "push certificate"
  int64_t expires_at;
};
std::vector<Expiry> Expiries(const std::function<std::optional<std::string>(const char* setting)>& get);
// The settings Expiries reads.
inline constexpr const char* kExpirySettings[] = {store::setting::kPushExpires, store::setting::kVendorCert,
                                                  store::setting::kAbmTokenExpires, store::setting::kDeviceCaCert,
                                                  store::setting::kSigningCert};

struct StatusReport {
  std::vector<std::string> lines;     // what is configured, one line each
  std::vector<std::string> warnings;  // expiring within 30 days, missing
  bool expired = false;               // something has expired: `status` exits 1
};
StatusReport Report(pqxx::connection& conn, int64_t now);

}  // namespace mdm::certs
