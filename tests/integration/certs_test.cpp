// The operator's certificate workflow through mdm-console, with a stand-in Apple PKI.
#include <catch2/catch.hpp>

#include <ctime>

#include "certs/apple_pki.h"
#include "crypto/crypto.h"
#include "plist/property_list.h"
#include "stack.h"
#include "test_pki.h"

using mdm::test::SharedStack;
using mdm::test::Stack;
namespace crypto = mdm::crypto;

namespace {

// The stand-in for Apple's PKI (test_pki.h) that signs the vendor and push certificates: one for all cases.
mdm::test::StandInApple& Apple() {
  static mdm::test::StandInApple a;
  return a;
}

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  mdm::test::WriteFile(path, data);
  return path;
}

mdm::test::CommandResult Console(std::vector<std::string> args) { return SharedStack().Console(args); }

std::string Setting(const std::string& name) {
  return SharedStack().Query("SELECT value FROM settings WHERE name = '" + name + "'");
}

// The push key's CSR (stdout of apns csr --unsigned).
std::string PushCsr() {
  auto r = Console({"apns", "csr", "--unsigned"});
  REQUIRE(r.exit_code == 0);
  return r.output;
}

}  // namespace

TEST_CASE("vendor certificate: CSR, upload, refusal of another key's certificate", "[certs]") {
  auto early = Console({"vendor", "cert", File("early.cer", "x")});
  CHECK(early.exit_code == 1);

  auto csr = Console({"vendor", "csr", "--cn", "Example Corp"});
  REQUIRE(csr.exit_code == 0);
  CHECK_THAT(csr.output, Catch::StartsWith("-----BEGIN CERTIFICATE REQUEST-----"));
  crypto::Cert vendor = Apple().ForCsr(csr.output, "MDM Vendor: Example Corp");

  // A certificate for some other key: refused, nothing stored.
  auto other_key = crypto::GenerateRsaKey();
  crypto::CertRequest r;
  r.common_name = "someone else";
  auto other = crypto::Issue(Apple().cert.get(), Apple().key.get(), other_key.get(), r).value();
  auto refused = Console({"vendor", "cert", File("other.cer", crypto::CertToDer(other.get()))});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("not for the vendor key"));
  CHECK(Setting("vendor.cert").empty());
  auto junk = Console({"vendor", "cert", File("junk.cer", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")});
  CHECK(junk.exit_code == 1);
  CHECK_THAT(junk.output, Catch::Contains("not a certificate"));

  auto ok = Console({"vendor", "cert", File("mdm.cer", crypto::CertToDer(vendor.get()))});
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains("expires"));
  // A second csr keeps the same vendor key.
  auto again = Console({"vendor", "csr"});
  auto k1 = crypto::CsrPublicKey(crypto::CsrFromPemOrDer(csr.output)->get());
  auto k2 = crypto::CsrPublicKey(crypto::CsrFromPemOrDer(again.output)->get());
  CHECK(EVP_PKEY_eq(k1.get(), k2.get()) == 1);
}

TEST_CASE("APNs CSR: signed by the vendor key over the DER CSR, chain of three, push key kept", "[certs]") {
  if (Setting("vendor.cert").empty()) {
    auto csr = Console({"vendor", "csr"});
    Console({"vendor", "cert", File("mdm.cer", crypto::CertToPem(Apple().ForCsr(csr.output, "vendor").get()))});
  }
  auto r = Console({"apns", "csr"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::string xml;
  REQUIRE(crypto::Base64Decode(r.output, &xml));
  auto request = mdm::plist::ParseDict(xml);
  REQUIRE(request.ok());
  std::string der, sig;
  REQUIRE(crypto::Base64Decode(*mdm::plist::GetString(request->get(), "PushCertRequestCSR"), &der));
  REQUIRE(crypto::Base64Decode(*mdm::plist::GetString(request->get(), "PushCertSignature"), &sig));
  auto vendor = crypto::CertFromPem(Setting("vendor.cert"));
  REQUIRE(vendor.ok());
  auto vendor_pub = crypto::PublicKeyOf(vendor->get());
  CHECK(crypto::VerifySha256(vendor_pub.get(), der, sig));
  CHECK_FALSE(crypto::VerifySha256(vendor_pub.get(), der + "x", sig));

  std::string chain = *mdm::plist::GetString(request->get(), "PushCertCertificateChain");
  std::vector<std::string> pems;
  for (size_t p = chain.find("-----BEGIN CERTIFICATE-----"); p != std::string::npos;
       p = chain.find("-----BEGIN CERTIFICATE-----", p + 1)) {
    size_t e = chain.find("-----END CERTIFICATE-----", p);
    pems.push_back(chain.substr(p, e + 25 - p));
  }
  REQUIRE(pems.size() == 3);
  auto fingerprint = [](const std::string& pem) { return crypto::CertSha256(crypto::CertFromPem(pem)->get()); };
  CHECK(fingerprint(pems[0]) == crypto::CertSha256(vendor->get()));
  CHECK(fingerprint(pems[1]) == fingerprint(mdm::certs::kAppleWwdrCaG3Pem));
  CHECK(fingerprint(pems[2]) == fingerprint(mdm::certs::kAppleRootCaPem));

  // The CSR inside is for the push key, which a second run keeps.
  auto csr = crypto::CsrFromPemOrDer(der);
  REQUIRE(csr.ok());
  auto again = crypto::CsrFromPemOrDer(PushCsr());
  CHECK(EVP_PKEY_eq(crypto::CsrPublicKey(csr->get()).get(), crypto::CsrPublicKey(again->get()).get()) == 1);
}

TEST_CASE("APNs certificate: key must match, topic from the UID, topic change needs the flag", "[certs]") {
  const std::string csr = PushCsr();
  const std::string new_topic = "com.apple.mgmt.External.99999999-8888-7777-6666-555555555555";
  // The harness configured Stack::kTopic; a certificate with another topic is refused without the flag.
  auto other_topic = Apple().ForCsr(csr, "APSP:new", new_topic);
  std::string other_file = File("other-topic.pem", crypto::CertToPem(other_topic.get()));
  auto refused = Console({"apns", "cert", other_file});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("--allow-topic-change"));
  CHECK(Setting("apns.topic") == Stack::kTopic);

  auto same = Apple().ForCsr(csr, "APSP:same", Stack::kTopic);
  auto ok = Console({"apns", "cert", File("push.der", crypto::CertToDer(same.get()))});
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains(Stack::kTopic));

  auto key = crypto::GenerateRsaKey();
  crypto::CertRequest req;
  req.common_name = "APSP:other-key";
  req.uid = Stack::kTopic;
  auto wrong_key = crypto::Issue(Apple().cert.get(), Apple().key.get(), key.get(), req).value();
  std::string before = Setting("apns.cert");
  auto mismatch = Console({"apns", "cert", File("wrong-key.pem", crypto::CertToPem(wrong_key.get()))});
  CHECK(mismatch.exit_code == 1);
  CHECK_THAT(mismatch.output, Catch::Contains("not for this server's push key"));
  CHECK(Setting("apns.cert") == before);
  auto no_uid = Apple().ForCsr(csr, "no topic");
  auto not_mdm = Console({"apns", "cert", File("no-uid.pem", crypto::CertToPem(no_uid.get()))});
  CHECK(not_mdm.exit_code == 1);
  CHECK_THAT(not_mdm.output, Catch::Contains("not an MDM push certificate"));

  auto changed = Console({"apns", "cert", other_file, "--allow-topic-change"});
  CHECK(changed.exit_code == 0);
  CHECK_THAT(changed.output, Catch::Contains("enroll again"));
  CHECK(Setting("apns.topic") == new_topic);
  // Put the harness's topic back for the other tests.
  CHECK(Console({"apns", "cert", File("push.der", crypto::CertToDer(same.get())), "--allow-topic-change"}).exit_code == 0);
}

TEST_CASE("ABM server token: decrypts what openssl smime encrypted; wrong files are refused", "[certs]") {
  auto cert = Console({"token", "cert"});
  REQUIRE(cert.exit_code == 0);
  CHECK(Console({"token", "cert"}).output == cert.output);  // made once
  std::string cert_file = File("mdm-token-cert.pem", cert.output);
  const std::string json =
      "{\"consumer_key\":\"CK_3d2a\",\"consumer_secret\":\"CS_9f1b\",\"access_token\":\"AT_77c2\","
      "\"access_secret\":\"AS_12ee\",\"access_token_expiry\":\"2027-11-30T10:00:00Z\"}";
  std::string message = "Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                        "-----BEGIN MESSAGE-----\n" + json + "\n-----END MESSAGE-----\n";
  std::string msg_file = File("token.txt", message);
  std::string p7m = SharedStack().root() + "/token.p7m";
  auto enc = mdm::test::Run({"openssl", "smime", "-encrypt", "-aes256", "-in", msg_file, "-out", p7m, cert_file});
  REQUIRE(enc.exit_code == 0);

  // Wrong inputs first: each a clear error, nothing stored.
  auto other_key = crypto::GenerateRsaKey();
  crypto::CertRequest r;
  r.common_name = "someone else";
  std::string other_cert = File("other.pem", crypto::CertToPem(crypto::SelfSign(other_key.get(), r).value().get()));
  std::string other_p7m = SharedStack().root() + "/other.p7m";
  REQUIRE(mdm::test::Run({"openssl", "smime", "-encrypt", "-aes256", "-in", msg_file, "-out", other_p7m, other_cert}).exit_code == 0);
  auto wrong = Console({"token", "upload", other_p7m});
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.output, Catch::Contains("another certificate"));
  std::string whole = mdm::test::ReadFile(p7m);
  auto truncated = Console({"token", "upload", File("truncated.p7m", whole.substr(0, whole.size() / 2))});
  CHECK(truncated.exit_code == 1);
  CHECK_THAT(truncated.output, Catch::StartsWith("mdm-console: the server token file"));
  auto pem = Console({"token", "upload", cert_file});
  CHECK(pem.exit_code == 1);
  CHECK_THAT(pem.output, Catch::Contains("not an S/MIME message"));
  CHECK(Console({"token", "upload", "/nonexistent.p7m"}).exit_code == 1);
  CHECK(Setting("abm.token").empty());

  // An expired token is refused with what to do.
  std::string stale_json = json;
  stale_json.replace(stale_json.find("2027-11-30T10:00:00Z"), 20, "2025-01-31T10:00:00Z");
  std::string stale = message;
  stale.replace(stale.find(json), json.size(), stale_json);
  std::string stale_p7m = SharedStack().root() + "/stale.p7m";
  REQUIRE(mdm::test::Run({"openssl", "smime", "-encrypt", "-aes256", "-in", File("stale.txt", stale), "-out",
                          stale_p7m, cert_file}).exit_code == 0);
  auto expired = Console({"token", "upload", stale_p7m});
  CHECK(expired.exit_code == 1);
  CHECK_THAT(expired.output, Catch::StartsWith("mdm-console: this server token expired on 2025-01-31 10:00:00 UTC") &&
                                 Catch::Contains("download a new one from ABM/ASM"));
  CHECK(Setting("abm.token").empty());

  auto ok = Console({"token", "upload", p7m});
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains("2027-11-30 10:00:00 UTC") && Catch::Contains("CK_3d2a"));
  CHECK_THAT(ok.output, !Catch::Contains("CS_9f1b") && !Catch::Contains("AT_77c2"));
  CHECK(Setting("abm.token") == json);
}

TEST_CASE("api-url and the activation profile are validated", "[certs]") {
  CHECK(Console({"settings", "set", "api-url", "ftp://x/api-mdm.php"}).exit_code == 1);
  auto nosuffix = Console({"settings", "set", "api-url", "https://mdm.example.com/"});
  CHECK(nosuffix.exit_code == 1);
  CHECK_THAT(nosuffix.output, Catch::Contains("https://mdm.example.com/api-mdm.php"));
  auto http = Console({"settings", "set", "api-url", "http://mdm.example.com/api-mdm.php"});
  CHECK(http.exit_code == 0);
  CHECK_THAT(http.output, Catch::Contains("warning"));
  CHECK(Console({"settings", "set", "api-url", "https://mdm.example.com/api-mdm.php"}).exit_code == 0);
  CHECK(Console({"settings", "get", "api-url"}).output == "api-url = https://mdm.example.com/api-mdm.php\n");

  auto profile = [&](const std::string& body) { return Console({"activation-profile", "set", File("p.json", body)}); };
  auto unknown = profile("{\"profile_name\": \"x\", \"url\": \"https://mdm.example.com/api-mdm.php/profile\", \"colour\": 1}");
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.output, Catch::Contains("colour"));
  auto badtype = profile("{\"profile_name\": \"x\", \"url\": \"https://mdm.example.com/api-mdm.php/profile\", \"is_supervised\": \"yes\"}");
  CHECK(badtype.exit_code == 1);
  CHECK_THAT(badtype.output, Catch::Contains("is_supervised"));
  auto badurl = profile("{\"profile_name\": \"x\", \"url\": \"https://elsewhere/profile\"}");
  CHECK(badurl.exit_code == 1);
  CHECK_THAT(badurl.output, Catch::Contains("https://mdm.example.com/api-mdm.php/profile"));
  CHECK(profile("{not json").exit_code == 1);
  const std::string good = "{\"profile_name\": \"Corp\", \"url\": \"https://mdm.example.com/api-mdm.php/profile\", "
                           "\"is_supervised\": true, \"is_mandatory\": true, \"is_mdm_removable\": false, "
                           "\"await_device_configured\": true, \"skip_setup_items\": [\"Location\", \"Siri\"], "
                           "\"language\": \"en\", \"region\": \"US\", \"support_email_address\": \"it@example.com\"}";
  auto ok = profile(good);
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(Console({"activation-profile", "get"}).output == good + "\n");
}

TEST_CASE("status warns 30 days ahead and exits 1 once something expired", "[certs]") {
  const std::string csr = PushCsr();
  auto soon = Apple().ForCsr(csr, "APSP:soon", Stack::kTopic, 10);
  REQUIRE(Console({"apns", "cert", File("soon.pem", crypto::CertToPem(soon.get()))}).exit_code == 0);
  auto warn = Console({"status"});
  INFO(warn.output);
  CHECK(warn.exit_code == 0);
  CHECK_THAT(warn.output, Catch::Contains("WARNING: push certificate expires in 9 days") ||
                              Catch::Contains("WARNING: push certificate expires in 10 days"));
  CHECK_THAT(warn.output, Catch::Contains("push topic " + std::string(Stack::kTopic)));

  // An expired certificate is refused at upload, with what to do; one that expires in place
  // makes status exit 1.
  auto expired = Apple().ForCsr(csr, "APSP:old", Stack::kTopic, -2);
  auto refused = Console({"apns", "cert", File("old.pem", crypto::CertToPem(expired.get()))});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::StartsWith("mdm-console: this push certificate expired on ") &&
                                 Catch::Contains("renew it at Apple's push certificate portal"));
  SharedStack().SetSetting("apns.expires_at", std::to_string(std::time(nullptr) - 86400));
  auto bad = Console({"status"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("WARNING: push certificate EXPIRED"));
}
