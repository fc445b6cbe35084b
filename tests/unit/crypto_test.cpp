#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "crypto/detached_verifier.h"
#include "test_pki.h"

using namespace mdm::crypto;

namespace {

CertRequest Req(std::string cn, bool is_ca) {
  CertRequest r;
  r.common_name = std::move(cn);
  r.is_ca = is_ca;
  r.client_auth = !is_ca;
  return r;
}

// dev/dev_key name the issued certificate as these tests call it.
struct Pki : mdm::test::TestPki {
  Pki() : TestPki("Test Device CA", "device") {}
  Cert& dev = cert;
  Pkey& dev_key = key;
};

Pki& SharedPki() {
  static Pki pki;
  return pki;
}

}  // namespace

TEST_CASE("crypto: base64 round trip and strict decoding", "[crypto]") {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    std::string back;
    REQUIRE(Base64Decode(Base64Encode(s), &back));
    CHECK(back == s);
  }
  std::string out;
  CHECK(Base64Decode("YWJj\nZGVm", &out));
  CHECK(out == "abcdef");
  CHECK_FALSE(Base64Decode("YWJ", &out));
  CHECK_FALSE(Base64Decode("YW=j", &out));
  CHECK_FALSE(Base64Decode("YW!j", &out));
}

TEST_CASE("crypto: uuids, hex, constant-time compare", "[crypto]") {
  std::string u = NewUuid();
  CHECK(u.size() == 36);
  CHECK(u[14] == '4');
  CHECK(u != NewUuid());
  CHECK(Hex("\x01\xab") == "01ab");
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret2"));
}

TEST_CASE("crypto: PEM and DER round trips and key matching", "[crypto]") {
  auto& p = SharedPki();
  auto again = CertFromPemOrDer(CertToPem(p.dev.get()));
  REQUIRE(again.ok());
  CHECK(CertSha256(again->get()) == CertSha256(p.dev.get()));
  REQUIRE(CertFromPemOrDer(CertToDer(p.dev.get())).ok());
  CHECK_FALSE(CertFromPemOrDer("garbage").ok());
  auto key = KeyFromPem(KeyToPem(p.dev_key.get()));
  REQUIRE(key.ok());
  CHECK(KeyMatchesCert(key->get(), p.dev.get()));
  CHECK_FALSE(KeyMatchesCert(p.ca_key.get(), p.dev.get()));
  CHECK(SubjectCommonName(p.dev.get()) == "device");
}

TEST_CASE("crypto: detached CMS verifies in every form devices use", "[crypto]") {
  auto& p = SharedPki();
  Store store = MakeStore({p.ca.get()});
  std::string body = "<plist>body</plist>";
  for (std::string digest : {"sha256", "sha1"}) {
    for (bool attrs : {true, false}) {
      SignOptions o;
      o.digest = digest;
      o.signed_attributes = attrs;
      auto sig = Sign(body, p.dev.get(), p.dev_key.get(), o);
      REQUIRE(sig.ok());
      auto signer = VerifyDetached(*sig, body, store.get());
      INFO(digest << " attrs=" << attrs << ": " << signer.status().message());
      REQUIRE(signer.ok());
      CHECK(CertSha256(signer->get()) == CertSha256(p.dev.get()));
    }
  }
}

TEST_CASE("crypto: tampered bodies, foreign signers and junk are refused", "[crypto]") {
  auto& p = SharedPki();
  Store store = MakeStore({p.ca.get()});
  auto sig = Sign("original", p.dev.get(), p.dev_key.get());
  REQUIRE(sig.ok());
  auto tampered = VerifyDetached(*sig, "originaL", store.get());
  REQUIRE_FALSE(tampered.ok());
  CHECK_THAT(tampered.status().message(), Catch::Contains("does not verify"));

  Pkey other_key = GenerateRsaKey();
  Cert self = SelfSign(other_key.get(), Req("intruder", false)).value();
  auto foreign = Sign("x", self.get(), other_key.get());
  auto r = VerifyDetached(*foreign, "x", store.get());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("not trusted"));

  CHECK_FALSE(VerifyDetached("not der", "x", store.get()).ok());
  CHECK_FALSE(VerifyDetached(sig->substr(0, sig->size() / 2), "original", store.get()).ok());
  SignOptions attached;
  attached.detached = false;
  auto with_content = Sign("x", p.dev.get(), p.dev_key.get(), attached);
  CHECK_FALSE(VerifyDetached(*with_content, "x", store.get()).ok());
}

TEST_CASE("crypto: a remembered signer certificate verifies the same as a full check", "[crypto]") {
  auto& p = SharedPki();
  Store store = MakeStore({p.ca.get()});
  DetachedVerifier v(store.get());
  const std::string want = CertSha256(p.dev.get());
  for (int round = 0; round < 3; ++round) {  // round 0 fills the cache, the others use it
    for (bool attrs : {true, false}) {
      SignOptions o;
      o.signed_attributes = attrs;
      std::string body = "body " + std::to_string(round);
      auto sig = Sign(body, p.dev.get(), p.dev_key.get(), o).value();
      std::string stripped;
      std::string_view cert;
      REQUIRE(SplitSignerCertificate(sig, &stripped, &cert));
      CHECK(Sha256(cert) == want);
      auto ok = v.Verify(sig, body);
      REQUIRE(ok.ok());
      CHECK(*ok == want);
      CHECK_FALSE(v.Verify(sig, body + "!").ok());
    }
  }
  // Another key claiming the remembered certificate's identity is refused.
  Pkey other_key = GenerateRsaKey();
  auto forged = Sign("x", p.dev.get(), other_key.get());
  if (forged.ok()) CHECK_FALSE(v.Verify(*forged, "x").ok());
  Cert self = SelfSign(other_key.get(), Req("intruder", false)).value();
  CHECK_FALSE(v.Verify(Sign("x", self.get(), other_key.get()).value(), "x").ok());
  CHECK_FALSE(v.Verify("garbage", "x").ok());
}
