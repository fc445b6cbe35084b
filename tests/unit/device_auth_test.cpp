#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "service/device_auth.h"
#include "test_pki.h"

using namespace mdm;

namespace {

using Identity = test::TestPki;

Config WithSources(const std::string& sources) {
  Config c;
  c.database = "unused";
  c.client_cert_sources = sources;
  return c;
}

// RFC 9440's byte-sequence form.
std::string Colons(const std::string& b64) {
  std::string out = ":";
  out.append(b64);
  out.push_back(':');
  return out;
}

}  // namespace

TEST_CASE("device auth: each configured source yields the certificate's hash", "[auth]") {
  static Identity id;
  crypto::Store store = crypto::MakeStore({id.ca.get()});
  const std::string want = crypto::CertSha256(id.cert.get());
  http::Request req;
  req.body = "<plist/>";
  req.headers["mdm-signature"] = crypto::Base64Encode(*crypto::Sign(req.body, id.cert.get(), id.key.get()));
  service::DeviceAuthenticator signature_only(WithSources("signature"));
  CHECK(signature_only.Verify(req, store.get()).value() == want);

  http::Request tls;
  tls.client_cert = http::UrlEncode(crypto::CertToPem(id.cert.get()));
  CHECK_FALSE(signature_only.Verify(tls, store.get()).ok());
  service::DeviceAuthenticator nginx(WithSources("signature, nginx"));
  CHECK(nginx.Verify(tls, store.get()).value() == want);

  http::Request header;
  header.headers["client-cert"] = Colons(crypto::Base64Encode(crypto::CertToDer(id.cert.get())));
  CHECK_FALSE(nginx.Verify(header, store.get()).ok());
  service::DeviceAuthenticator proxy(WithSources("header"));
  CHECK(proxy.Verify(header, store.get()).value() == want);
  header.headers["client-cert"] = crypto::Base64Encode(crypto::CertToDer(id.cert.get()));
  CHECK_FALSE(proxy.Verify(header, store.get()).ok());  // RFC 9440 wants the colons
}

TEST_CASE("device auth: certificates from another CA are refused from every source", "[auth]") {
  static Identity ours, theirs;
  crypto::Store store = crypto::MakeStore({ours.ca.get()});
  service::DeviceAuthenticator all(WithSources("signature,nginx,header"));
  http::Request req;
  req.body = "x";
  req.headers["mdm-signature"] = crypto::Base64Encode(*crypto::Sign(req.body, theirs.cert.get(), theirs.key.get()));
  CHECK_FALSE(all.Verify(req, store.get()).ok());
  http::Request tls;
  tls.client_cert = http::UrlEncode(crypto::CertToPem(theirs.cert.get()));
  CHECK_FALSE(all.Verify(tls, store.get()).ok());
  http::Request header;
  header.headers["client-cert"] = Colons(crypto::Base64Encode(crypto::CertToDer(theirs.cert.get())));
  auto r = all.Verify(header, store.get());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("not trusted"));
  http::Request none;
  CHECK_THAT(all.Verify(none, store.get()).status().message(), Catch::Contains("no device identity"));
}
