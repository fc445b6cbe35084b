// A throwaway PKI for tests: a self-signed CA and one certificate it issued, with fresh keys; and
// a stand-in for Apple's PKI built on it. Header-only, so unit tests use it without the harness
// library.
#pragma once

#include <stdexcept>
#include <string>

#include "crypto/crypto.h"

namespace mdm::test {

struct TestPki {
  crypto::Pkey ca_key = crypto::GenerateRsaKey();
  crypto::Cert ca;
  crypto::Pkey key = crypto::GenerateRsaKey();
  crypto::Cert cert;

  // `leaf_is_ca` makes the issued certificate an intermediate CA (the root then allows one).
  explicit TestPki(const std::string& ca_name = "Test CA", const std::string& leaf_name = "device",
                   bool leaf_is_ca = false) {
    crypto::CertRequest r;
    r.common_name = ca_name;
    r.is_ca = true;
    r.path_len = leaf_is_ca ? -1 : 0;
    ca = crypto::SelfSign(ca_key.get(), r).value();
    r.common_name = leaf_name;
    r.is_ca = leaf_is_ca;
    r.path_len = 0;
    r.client_auth = !leaf_is_ca;
    cert = crypto::Issue(ca.get(), ca_key.get(), key.get(), r).value();
  }
};

// Our own root and an intermediate standing in for Apple's (WWDR, which signs vendor and push
// certificates), for tests of the operator's certificate workflow.
struct StandInApple : TestPki {
  StandInApple() : TestPki("Stand-in Apple Root", "Stand-in WWDR", /*leaf_is_ca=*/true) {}

  // A certificate for the key of the CSR (PEM or DER), as Apple's portals return them; throws
  // std::runtime_error when `csr_pem_or_der` is not a CSR.
  crypto::Cert ForCsr(const std::string& csr_pem_or_der, const std::string& cn, const std::string& uid = "",
                      int days = 365) const {
    auto csr = crypto::CsrFromPemOrDer(csr_pem_or_der);
    if (!csr.ok()) throw std::runtime_error("StandInApple: not a CSR: " + csr.status().message());
    crypto::CertRequest r;
    r.common_name = cn;
    r.uid = uid;
    r.days = days;
    auto issued = crypto::IssueForCsr(cert.get(), key.get(), csr->get(), r);
    if (!issued.ok()) throw std::runtime_error("StandInApple: cannot issue: " + issued.status().message());
    return std::move(issued).value();
  }
  // The same, as PEM text.
  std::string PemForCsr(const std::string& csr_pem_or_der, const std::string& cn, const std::string& uid = "",
                        int days = 365) const {
    return crypto::CertToPem(ForCsr(csr_pem_or_der, cn, uid, days).get());
  }
};

}  // namespace mdm::test
