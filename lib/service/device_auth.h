// Device authentication: which identity certificate a request comes with, and that our device
// CA issued it. The binding of that certificate to an enrollment is checked by the handlers.
#pragma once

#include <mutex>
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
  // A 429 when the authenticated identity `cert_sha256` has spent its request budget
  // (device_requests_per_minute), with Retry-After; nothing when it may go on.
  std::optional<http::Response> Throttle(const std::string& cert_sha256);
  // The same against a given trust store (tests); `verifier`, when given, checks signatures.
  // When refused and `refusal` is given, *refusal says why, as the metrics count it.
  Result<std::string> Verify(const http::Request& req, X509_STORE* store, crypto::DetachedVerifier* verifier = nullptr,
                             metrics::AuthRefusal* refusal = nullptr) const;

 private:
  X509_STORE* TrustStore(pqxx::connection& conn);
  static Result<std::string> FromCertificate(crypto::Cert cert, X509_STORE* store);

  DeviceRateLimiter* limiter_;
  metrics::Counters* metrics_;
  bool use_signature_ = false, use_nginx_ = false, use_header_ = false;
  std::once_flag store_once_;
  crypto::Store store_;
  std::unique_ptr<crypto::DetachedVerifier> verifier_;  // for the device CA's store
};

}  // namespace mdm::service
