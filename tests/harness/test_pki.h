// A throwaway PKI for tests: a self-signed CA and one certificate it issued, with fresh keys.
// Header-only, so unit tests use it without the harness library.
#pragma once

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

}  // namespace mdm::test
