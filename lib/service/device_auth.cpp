#include "service/device_auth.h"

#include <chrono>
#include <sstream>

#include "core/log.h"
#include "crypto/crypto.h"
#include "enroll/device_ca.h"
#include "store/enrollment_store.h"

namespace mdm::service {

DeviceAuthenticator::DeviceAuthenticator(const Config& config, DeviceRateLimiter* limiter, metrics::Counters* metrics)
    : limiter_(limiter), metrics_(metrics) {
  std::istringstream words(config.client_cert_sources);
  std::string w;
  while (std::getline(words, w, ',')) {
    w.erase(0, w.find_first_not_of(' '));
    w.erase(w.find_last_not_of(' ') + 1);
    if (w == "signature") use_signature_ = true;
    if (w == "nginx") use_nginx_ = true;
    if (w == "header") use_header_ = true;
  }
}

std::optional<http::Response> DeviceAuthenticator::Throttle(const std::string& cert_sha256) {
  if (!limiter_) return std::nullopt;
  int wait = limiter_->Take(cert_sha256);
  if (wait == 0) return std::nullopt;
  if (metrics_) metrics_->DeviceRateLimited();
  auto r = http::Response::Text(429, "too many requests from this device; try again later",
                                "device identity " + cert_sha256.substr(0, 16) + " made more than " +
                                    std::to_string(limiter_->per_minute()) +
                                    " requests in a minute (device_requests_per_minute)");
  r.headers.emplace_back("Retry-After", std::to_string(wait));
  return r;
}

std::vector<crypto::Cert> LoadDeviceTrust(pqxx::connection& conn) {
  std::vector<crypto::Cert> cas;
  cas.push_back(enroll::LoadDeviceCaCert(conn));
  pqxx::read_transaction tx(conn);
  for (const auto& row : tx.exec("SELECT cert FROM device_trust_cas ORDER BY added_at")) {
    auto ca = crypto::CertFromPem(row[0].as<std::string>());
    if (ca.ok()) cas.push_back(std::move(ca).value());
    else log::Warn().kv("event", "device_trust").msg("a stored trusted CA is not a PEM certificate; skipped");
  }
  return cas;
}

std::shared_ptr<DeviceAuthenticator::Trust> DeviceAuthenticator::CurrentTrust(pqxx::connection& conn, bool refresh) {
  auto now = static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
  std::lock_guard<std::mutex> lock(trust_mu_);
  if (trust_ && !(refresh && now - trust_->loaded_at >= kTrustRefreshSeconds)) return trust_;
  auto cas = LoadDeviceTrust(conn);
  std::vector<X509*> raw;
  for (auto& c : cas) raw.push_back(c.get());
  auto t = std::make_shared<Trust>();
  t->store = crypto::MakeStore(raw);
  t->verifier = std::make_unique<crypto::DetachedVerifier>(t->store.get());
  t->loaded_at = now;
  trust_ = t;
  return t;
}

bool DeviceAuthenticator::IssuedByOwnCa(const http::Request& req, pqxx::connection& conn) {
  std::call_once(own_once_, [&] {
    crypto::Cert ca = enroll::LoadDeviceCaCert(conn);
    own_store_ = crypto::MakeStore({ca.get()});
  });
  return Verify(req, own_store_.get()).ok();
}

Result<std::string> DeviceAuthenticator::FromCertificate(crypto::Cert cert, X509_STORE* store) {
  Status chain = crypto::VerifyChain(store, cert.get());
  if (!chain.ok()) return Status::Invalid("client certificate " + chain.message());
  return crypto::CertSha256(cert.get());
}

Result<std::string> DeviceAuthenticator::Authenticate(const http::Request& req, pqxx::connection& conn) {
  auto trust = CurrentTrust(conn, false);
  metrics::AuthRefusal why = metrics::AuthRefusal::kNoIdentity;
  auto identity = Verify(req, trust->store.get(), trust->verifier.get(), &why);
  if (!identity.ok() && (why == metrics::AuthRefusal::kBadSignature || why == metrics::AuthRefusal::kUntrustedCertificate)) {
    // Perhaps a CA was imported since this worker read them: read again, at most every kTrustRefreshSeconds.
    auto fresh = CurrentTrust(conn, true);
    if (fresh != trust) identity = Verify(req, fresh->store.get(), fresh->verifier.get(), &why);
  }
  if (metrics_ && identity.ok()) metrics_->DeviceAuthenticated();
  else if (metrics_) metrics_->DeviceRefused(why);
  return identity;
}

Result<std::string> DeviceAuthenticator::Verify(const http::Request& req, X509_STORE* store,
                                                crypto::DetachedVerifier* verifier,
                                                metrics::AuthRefusal* refusal) const {
  using Why = metrics::AuthRefusal;
  auto refuse = [refusal](Why why, std::string message) {
    if (refusal) *refusal = why;
    return Status::Invalid(std::move(message));
  };
  if (use_signature_) {
    if (const std::string* sig = req.header("mdm-signature"); sig && !sig->empty()) {
      std::string der;
      if (!crypto::Base64Decode(*sig, &der)) return refuse(Why::kMalformed, "Mdm-Signature is not base64");
      if (verifier) {
        auto hash = verifier->Verify(der, req.body);
        if (!hash.ok()) return refuse(Why::kBadSignature, "Mdm-Signature: " + hash.status().message());
        return hash;
      }
      auto signer = crypto::VerifyDetached(der, req.body, store);
      if (!signer.ok()) return refuse(Why::kBadSignature, "Mdm-Signature: " + signer.status().message());
      return crypto::CertSha256(signer->get());
    }
  }
  if (use_nginx_ && !req.client_cert.empty()) {
    std::string pem;
    if (!http::UrlDecode(req.client_cert, &pem, false))
      return refuse(Why::kMalformed, "malformed client certificate param");
    auto cert = crypto::CertFromPem(pem);
    if (!cert.ok()) return refuse(Why::kMalformed, "the TLS client certificate is not a PEM certificate");
    auto trusted = FromCertificate(std::move(cert).value(), store);
    if (!trusted.ok() && refusal) *refusal = Why::kUntrustedCertificate;
    return trusted;
  }
  if (use_header_) {
    if (const std::string* h = req.header("client-cert"); h && !h->empty()) {
      // RFC 9440: a byte sequence, ":base64-DER:".
      std::string v = *h;
      if (v.size() < 2 || v.front() != ':' || v.back() != ':')
        return refuse(Why::kMalformed, "malformed Client-Cert header");
      std::string der;
      if (!crypto::Base64Decode(v.substr(1, v.size() - 2), &der))
        return refuse(Why::kMalformed, "malformed Client-Cert header");
      auto cert = crypto::CertFromDer(der);
      if (!cert.ok()) return refuse(Why::kMalformed, "the Client-Cert header holds no certificate");
      auto trusted = FromCertificate(std::move(cert).value(), store);
      if (!trusted.ok() && refusal) *refusal = Why::kUntrustedCertificate;
      return trusted;
    }
  }
  return refuse(Why::kNoIdentity,
                "no device identity: the request has no Mdm-Signature (or trusted client certificate)");
}

bool BindImportedDevice(pqxx::transaction_base& tx, const std::string& device_id, const std::string& cert_sha256) {
  if (!store::BindOnContact(tx, device_id, cert_sha256)) return false;
  log::Info().kv("event", "bind_on_contact").kv("device", device_id)
      .kv("cert_sha256", crypto::Hex(cert_sha256).substr(0, 16))
      .msg("imported device bound to the certificate of its first signed message");
  return true;
}

}  // namespace mdm::service
