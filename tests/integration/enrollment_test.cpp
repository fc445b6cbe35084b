// Enrollment: signed profiles (SCEP and PKCS#12 identities), one-time links, ADE /profile.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "crypto/pkcs12.h"
#include "crypto/signed_data.h"
#include "plist/property_list.h"
#include "sim_device.h"
#include "stack.h"
#include "store/settings.h"

using mdm::test::SharedStack;
using mdm::test::Stack;
namespace crypto = mdm::crypto;
namespace plist = mdm::plist;

namespace {

const char* kApi = "https://mdm.example.com/api-mdm.php";

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  mdm::test::WriteFile(path, data);
  return path;
}

void Configure() {
  static bool done = false;
  if (done) return;
  auto r = SharedStack().Console({"settings", "set", "api-url", kApi});
  REQUIRE(r.exit_code == 0);
  done = true;
}

// The console writes the binary profile to stdout, which the harness mixes with stderr: use a
// shell redirect to keep it whole.
std::string ProfileFile(const std::vector<std::string>& extra) {
  static int n = 0;
  std::string out = SharedStack().root() + "/p" + std::to_string(++n) + ".mobileconfig";
  std::string cmd = std::string(MDM_CONSOLE_BIN) + " --config " + SharedStack().config_path() + " device enroll-profile";
  for (const auto& e : extra) cmd += " " + e;
  auto r = mdm::test::Run({"sh", "-c", cmd + " > " + out});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return out;
}

// The verified content of a signed profile.
std::string Content(const std::string& signed_profile) {
  auto conn = SharedStack().Connect();
  pqxx::read_transaction tx(*conn);
  // The signing certificate and its chain, all trusted here.
  std::string pem = *mdm::store::GetSetting(tx, mdm::store::setting::kSigningCert);
  std::vector<crypto::Cert> certs;
  std::vector<X509*> raw;
  for (size_t p = pem.find("-----BEGIN"); p != std::string::npos; p = pem.find("-----BEGIN", p + 1)) {
    certs.push_back(crypto::CertFromPem(pem.substr(p)).value());
    raw.push_back(certs.back().get());
  }
  crypto::Store store = crypto::MakeStore(raw);
  auto v = crypto::VerifyAttached(signed_profile, store.get(), false);
  INFO(v.status().message());
  REQUIRE(v.ok());
  return v->content;
}

plist_t PayloadOfType(plist_t profile, const std::string& type) {
  plist_t content = plist::Get(profile, "PayloadContent");
  for (uint32_t i = 0; content && i < plist_array_get_size(content); ++i) {
    plist_t p = plist_array_get_item(content, i);
    if (plist::GetString(p, "PayloadType") == type) return p;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("profiles need api-url and say so", "[enroll]") {
  // The harness configured a push topic, not yet an api-url.
  auto r = SharedStack().Console({"device", "enroll-link"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("settings set api-url"));
  Configure();
}

TEST_CASE("an enrollment profile is signed, complete, and unique", "[enroll]") {
  Configure();
  std::string path = ProfileFile({"--serial", "C02TEST001", "--name", "Front-desk-iPad"});
  // openssl verifies the signature against the signing certificate.
  std::string signer = File("signer.pem", SharedStack().Query("SELECT value FROM settings WHERE name = 'profile_signing.cert'"));
  auto v = mdm::test::Run({"openssl", "cms", "-verify", "-inform", "DER", "-in", path, "-CAfile", signer,
                           "-purpose", "any", "-out", path + ".xml"});
  INFO(v.output);
  REQUIRE(v.exit_code == 0);
  auto profile = plist::ParseDict(mdm::test::ReadFile(path + ".xml"));
  REQUIRE(profile.ok());
  plist_t p = profile->get();
  CHECK(plist::GetString(p, "PayloadType") == "Configuration");
  CHECK(plist::GetString(p, "PayloadIdentifier") == "com.example.mdm.mdm.enrollment");
  plist_t scep = PayloadOfType(p, "com.apple.security.scep");
  plist_t mdm = PayloadOfType(p, "com.apple.mdm");
  REQUIRE(scep);
  REQUIRE(mdm);
  plist_t sc = plist::Get(scep, "PayloadContent");
  CHECK(plist::GetString(sc, "URL") == std::string(kApi) + "/scep");
  CHECK(plist::GetString(sc, "Challenge").value_or("").size() == 40);
  CHECK(plist::GetInt(sc, "Keysize") == 2048);
  CHECK(plist::GetInt(sc, "Key Usage") == 5);
  CHECK(plist::GetString(mdm, "IdentityCertificateUUID") == plist::GetString(scep, "PayloadUUID"));
  CHECK(plist::GetString(mdm, "Topic") == Stack::kTopic);
  CHECK(plist::GetString(mdm, "ServerURL") == std::string(kApi) + "/mdm");
  CHECK(plist::GetString(mdm, "CheckInURL") == std::string(kApi) + "/checkin");
  CHECK(plist::GetBool(mdm, "SignMessage") == true);
  CHECK(plist::GetBool(mdm, "CheckOutWhenRemoved") == true);
  CHECK(plist::GetInt(mdm, "AccessRights") == 8191);
  plist_t caps = plist::Get(mdm, "ServerCapabilities");
  REQUIRE(caps);
  CHECK(plist_array_get_size(caps) == 2);
  CHECK(SharedStack().Query("SELECT serial_number || ' ' || label FROM enrollment_tokens WHERE kind = 'scep-challenge' "
                            "ORDER BY created_at DESC LIMIT 1") == "C02TEST001 Front-desk-iPad");

  // No two profiles share a PayloadUUID.
  std::set<std::string> uuids;
  size_t count = 0;
  for (int i = 0; i < 3; ++i) {
    auto other = plist::ParseDict(Content(mdm::test::ReadFile(ProfileFile({}))));
    REQUIRE(other.ok());
    for (plist_t node : {other->get(), PayloadOfType(other->get(), "com.apple.security.scep"),
                         PayloadOfType(other->get(), "com.apple.mdm")}) {
      uuids.insert(*plist::GetString(node, "PayloadUUID"));
      ++count;
    }
  }
  CHECK(uuids.size() == count);
}

TEST_CASE("a PKCS#12 identity opens with openssl -legacy and enrolls", "[enroll]") {
  Configure();
  auto profile = plist::ParseDict(Content(mdm::test::ReadFile(ProfileFile({"--identity", "pkcs12", "--name", "kiosk"}))));
  REQUIRE(profile.ok());
  plist_t p12 = PayloadOfType(profile->get(), "com.apple.security.pkcs12");
  REQUIRE(p12);
  std::string password = plist::GetString(p12, "Password").value_or("");
  CHECK(password.size() == 32);
  std::string der = plist::GetData(p12, "PayloadContent").value_or("");
  std::string file = File("identity.p12", der);
  auto open = mdm::test::Run({"openssl", "pkcs12", "-legacy", "-in", file, "-passin", "pass:" + password, "-nodes",
                              "-out", file + ".pem"});
  INFO(open.output);
  REQUIRE(open.exit_code == 0);
  auto id = crypto::ParsePkcs12(der, password);
  REQUIRE(id.ok());
  CHECK(crypto::SubjectCommonName(id->cert.get()) == "kiosk");
  CHECK_FALSE(crypto::ParsePkcs12(der, "wrong").ok());
  // The identity inside is one our device CA issued: it enrolls.
  mdm::test::SimDevice d(SharedStack().base_url(), SharedStack().tls_cert(), std::move(id->cert), std::move(id->key));
  CHECK(d.Authenticate(Stack::kTopic).status == 200);
  CHECK(d.TokenUpdate(Stack::kTopic).status == 200);
  CHECK(d.Idle().status == 200);
}

TEST_CASE("a one-time enrollment link serves once, then 410; expired 410", "[enroll]") {
  Configure();
  auto link = SharedStack().Console({"device", "enroll-link", "--name", "Anna"});
  REQUIRE(link.exit_code == 0);
  std::string url = link.output.substr(link.output.find("https://"));
  url = url.substr(0, url.find('\n'));
  REQUIRE(url.rfind(std::string(kApi) + "/enroll/", 0) == 0);
  std::string route = url.substr(std::string(kApi).size());
  auto first = SharedStack().Get(route);
  CHECK(first.status == 200);
  CHECK(first.headers["content-type"] == "application/x-apple-aspen-config");
  auto profile = plist::ParseDict(Content(first.body));
  REQUIRE(profile.ok());
  CHECK(PayloadOfType(profile->get(), "com.apple.mdm"));
  CHECK(SharedStack().Get(route).status == 410);
  CHECK(SharedStack().Get("/enroll/0000000000").status == 404);
  // The token is a secret: the workers' log names the route only.
  std::string token = route.substr(std::string("/enroll/").size());
  CHECK(mdm::test::ReadFile(SharedStack().root() + "/mdm-fcgi.log").find(token) == std::string::npos);

  auto short_lived = SharedStack().Console({"device", "enroll-link", "--expires", "1s"});
  REQUIRE(short_lived.exit_code == 0);
  std::string url2 = short_lived.output.substr(short_lived.output.find("https://"));
  std::string route2 = url2.substr(std::string(kApi).size(), url2.find('\n') - std::string(kApi).size());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(SharedStack().Get(route2).status == 410);
  CHECK(SharedStack().Console({"device", "enroll-link", "--expires", "soon"}).exit_code == 1);
}

TEST_CASE("ADE: a machine-info plist signed under the configured root gets its device's profile", "[enroll][ade]") {
  Configure();
  // A stand-in for Apple's chain: root, "Apple iPhone Device CA", a device certificate.
  auto root_key = crypto::GenerateRsaKey();
  crypto::CertRequest r;
  r.common_name = "Stand-in Apple Root CA";
  r.is_ca = true;
  r.path_len = -1;
  auto root = crypto::SelfSign(root_key.get(), r).value();
  r.path_len = 0;
  auto ica_key = crypto::GenerateRsaKey();
  r.common_name = "Apple iPhone Device CA";
  auto ica = crypto::Issue(root.get(), root_key.get(), ica_key.get(), r).value();
  auto dev_key = crypto::GenerateRsaKey();
  r.common_name = "device";
  r.is_ca = false;
  r.days = -1;  // expired, as Apple's old device certificates are: not held against it
  auto dev = crypto::Issue(ica.get(), ica_key.get(), dev_key.get(), r).value();
  SharedStack().SetSetting(mdm::store::setting::kAdeRootCa, crypto::CertToPem(root.get()));

  auto machine_info = [](const std::string& serial) {
    plist::Owned m(plist_new_dict());
    plist::SetString(m.get(), "UDID", "00008110-000A1B2C3D4E5F60");
    plist::SetString(m.get(), "SERIAL", serial);
    plist::SetString(m.get(), "PRODUCT", "iPad13,18");
    plist::SetString(m.get(), "VERSION", "21E237");
    plist::SetString(m.get(), "LANGUAGE", "en");
    return plist::ToXml(m.get());
  };
  auto post = [&](const std::string& body) {
    return SharedStack().Send("POST", "/profile", body, {{"Content-Type", "application/pkcs7-signature"}});
  };
  auto sign = [&](const std::string& content) {
    return crypto::SignAttached(content, dev.get(), dev_key.get(), {ica.get()}).value();
  };
  REQUIRE(SharedStack().Console({"device", "register", "DMPADE00001"}).exit_code == 0);

  auto ok = post(sign(machine_info("DMPADE00001")));
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK(ok.headers["content-type"] == "application/x-apple-aspen-config");
  auto profile = plist::ParseDict(Content(ok.body));
  REQUIRE(profile.ok());
  CHECK(PayloadOfType(profile->get(), "com.apple.mdm"));
  CHECK(SharedStack().Query("SELECT udid FROM dep_devices WHERE serial_number = 'DMPADE00001'") ==
        "00008110-000A1B2C3D4E5F60");

  CHECK(post(sign(machine_info("UNKNOWN0001"))).status == 403);

  std::string tampered = sign(machine_info("DMPADE00001"));
  size_t at = tampered.find("DMPADE00001");
  REQUIRE(at != std::string::npos);
  tampered[at] = 'X';
  CHECK(post(tampered).status == 400);
  // Signed by a certificate outside the configured root: 400.
  auto self_key = crypto::GenerateRsaKey();
  crypto::CertRequest s;
  s.common_name = "not apple";
  auto self = crypto::SelfSign(self_key.get(), s).value();
  CHECK(post(crypto::SignAttached(machine_info("DMPADE00001"), self.get(), self_key.get(), {}).value()).status == 400);
  CHECK(post("not cms").status == 400);
  CHECK(SharedStack().Send("POST", "/profile", sign(machine_info("DMPADE00001")), {{"Content-Type", "text/plain"}}).status == 400);
}

TEST_CASE("an operator's own signing certificate signs the profiles", "[enroll]") {
  Configure();
  auto key = crypto::GenerateRsaKey();
  crypto::CertRequest r;
  r.common_name = "Example Corp MDM";
  auto cert = crypto::SelfSign(key.get(), r).value();
  auto mismatched = SharedStack().Console({"signing-cert", "import", File("c.pem", crypto::CertToPem(cert.get())),
                                           "--key", File("k.pem", crypto::KeyToPem(crypto::GenerateRsaKey().get()))});
  CHECK(mismatched.exit_code == 1);
  CHECK_THAT(mismatched.output, Catch::Contains("does not belong"));
  std::string p12 = crypto::MakeLegacyPkcs12(key.get(), cert.get(), "s3cret", "corp").value();
  auto wrong_pw = SharedStack().Console({"signing-cert", "import", File("c.p12", p12), "--password-file", File("pw", "nope\n")});
  CHECK(wrong_pw.exit_code == 1);
  auto ok = SharedStack().Console({"signing-cert", "import", File("c.p12", p12), "--password-file", File("pw", "s3cret\n")});
  INFO(ok.output);
  REQUIRE(ok.exit_code == 0);
  CHECK_THAT(ok.output, Catch::Contains("Example Corp MDM"));
  std::string signed_profile = mdm::test::ReadFile(ProfileFile({}));
  crypto::Store store = crypto::MakeStore({cert.get()});
  CHECK(crypto::VerifyAttached(signed_profile, store.get(), false).ok());
}
