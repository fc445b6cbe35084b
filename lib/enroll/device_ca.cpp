#include "enroll/device_ca.h"

#include <stdexcept>

#include "store/settings.h"

namespace mdm::enroll {

DeviceCa LoadOrCreateDeviceCa(pqxx::connection& conn) {
  pqxx::work tx(conn);
  DeviceCa ca = LoadOrCreateDeviceCa(tx);
  tx.commit();
  return ca;
}

DeviceCa LoadOrCreateDeviceCa(pqxx::transaction_base& tx) {
  auto cert_pem = store::GetSetting(tx, store::setting::kDeviceCaCert);
  auto key_pem = store::GetSetting(tx, store::setting::kDeviceCaKey);
  if (!cert_pem || !key_pem) {
    crypto::Pkey key = crypto::GenerateRsaKey(2048);
    crypto::CertRequest req;
    req.common_name = "MDM Device CA";
    req.organization = "mdm";
    req.days = 3650 * 2;
    req.is_ca = true;
    auto cert = crypto::SelfSign(key.get(), req);
    if (!cert.ok()) throw std::runtime_error("creating the device CA: " + cert.status().message());
    // The key first: whoever inserts it first decides, and the certificate must match that key.
    tx.exec("SELECT pg_advisory_xact_lock(7165001)");
    key_pem = store::SetSettingIfAbsent(tx, store::setting::kDeviceCaKey, crypto::KeyToPem(key.get()));
    cert_pem = store::GetSetting(tx, store::setting::kDeviceCaCert);
    if (!cert_pem) {
      store::SetSetting(tx, store::setting::kDeviceCaCert, crypto::CertToPem(cert->get()));
      cert_pem = crypto::CertToPem(cert->get());
    }
  }
  auto cert = crypto::CertFromPem(*cert_pem);
  auto key = crypto::KeyFromPem(*key_pem);
  if (!cert.ok() || !key.ok()) throw std::runtime_error("the stored device CA is unreadable");
  if (!crypto::KeyMatchesCert(key->get(), cert->get()))
    throw std::runtime_error("the stored device CA certificate does not match its key");
  return DeviceCa{std::move(cert).value(), std::move(key).value()};
}

crypto::Cert LoadDeviceCaCert(pqxx::connection& conn) { return LoadOrCreateDeviceCa(conn).cert; }

crypto::Cert IssueDeviceIdentity(const DeviceCa& ca, EVP_PKEY* device_key, const std::string& common_name, int days) {
  crypto::CertRequest req;
  req.common_name = common_name;
  req.days = days;
  req.client_auth = true;
  auto cert = crypto::Issue(ca.cert.get(), ca.key.get(), device_key, req);
  if (!cert.ok()) throw std::runtime_error("issuing a device identity: " + cert.status().message());
  return std::move(cert).value();
}

}  // namespace mdm::enroll
