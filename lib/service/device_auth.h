// Device authentication: which identity certificate a request comes with, and that our device
// CA issued it. The binding of that certificate to an enrollment is checked by the handlers.
#pragma once

#include <memory>
#include <mutex>
#include <vector>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "config/config.h"
#include "core/status.h"
#include "crypto/crypto.h"
#include "crypto/detached_verifier.h"
#include "http/message.h"
#include "metrics/metrics.h"
#include "service/rate_limiter.h"

namespace mdm::service {

class DeviceAuthenticator {
 public:
  // `limiter` (may be null: no limit) is shared by the worker processes; it outlives this.
  // `metrics` (may be null) counts verifications, refusals by reason and 429s.
  explicit DeviceAuthenticator(const Config& config, DeviceRateLimiter* limiter = nullptr,
                               metrics::Counters* metrics = nullptr);

  // The SHA-256 of the DER identity certificate the request is signed with (Mdm-Signature) or
  // presented by (nginx's client certificate, RFC 9440 Client-Cert), as trusted by the
  // configuration. kInvalid when there is none, or it does not verify or chain to the device CA.
  Result<std::string> Authenticate(const http::Request& req, pqxx::connection& conn);
  // True when the request's identity chains to this server's own device CA; false for one that
  // chains only to a CA an importer brought over (device_trust_cas). Such an identity speaks for
  // the device it was imported with, and does not enroll new ones.
  bool IssuedByOwnCa(const http::Request& req, pqxx::connection& conn);
  // A 429 when the authenticated identity `cert_sha256` has spent its request budget
  // (device_requests_per_minute), with Retry-After; nothing when it may go on.
  std::optional<http::Response> Throttle(const std::string& cert_sha256);
  // The same against a given trust store (tests); `verifier`, when given, checks signatures.
  // When refused and `refusal` is given, *refusal says why, as the metrics count it.
  Result<std::string> Verify(const http::Request& req, X509_STORE* store, crypto::DetachedVerifier* verifier = nullptr,
                             metrics::AuthRefusal* refusal = nullptr) const;

 private:
  // The CAs devices may chain to: our device CA and those an importer brought over
  // (device_trust_cas), with a verifier that remembers checked certificates.
  struct Trust {
    crypto::Store store;
    std::unique_ptr<crypto::DetachedVerifier> verifier;
    int64_t loaded_at = 0;  // steady seconds
  };
  // The trust in use, loaded on first use; with `refresh`, loaded again when it is older than
  // kTrustRefreshSeconds (an import added a CA while the workers ran).
  std::shared_ptr<Trust> CurrentTrust(pqxx::connection& conn, bool refresh);
  static Result<std::string> FromCertificate(crypto::Cert cert, X509_STORE* store);

  DeviceRateLimiter* limiter_;
  metrics::Counters* metrics_;
  bool use_signature_ = false, use_nginx_ = false, use_header_ = false;
  std::mutex trust_mu_;
  std::shared_ptr<Trust> trust_;
  std::once_flag own_once_;
  crypto::Store own_store_;  // the device CA alone
};

// How old the trusted CAs may be before a refused identity makes a worker read them again.
inline constexpr int64_t kTrustRefreshSeconds = 5;

// Every CA a device identity may chain to: the device CA, then device_trust_cas.
std::vector<crypto::Cert> LoadDeviceTrust(pqxx::connection& conn);

// An imported device's first signed message binds its certificate (store::BindOnContact), with
// a log line. True when it bound `cert_sha256` to `device_id` just now.
bool BindImportedDevice(pqxx::transaction_base& tx, const std::string& device_id, const std::string& cert_sha256);

}  // namespace mdm::service
