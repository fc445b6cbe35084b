#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "crypto/signed_data.h"
#include "deploy/profile_file.h"
#include "test_pki.h"
#include "plist/property_list.h"

using mdm::deploy::ReadProfile;
namespace crypto = mdm::crypto;

namespace {

std::string Payload(const std::string& type, const std::string& identifier, const std::string& extra = "") {
  return "<dict><key>PayloadType</key><string>" + type + "</string><key>PayloadIdentifier</key><string>" +
         identifier + "</string><key>PayloadUUID</key><string>" + identifier + "-uuid</string>" + extra + "</dict>";
}

std::string Profile(const std::string& content, const std::string& root_extra = "",
                    const std::string& type = "Configuration") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
         "<key>PayloadType</key><string>" + type + "</string>"
         "<key>PayloadIdentifier</key><string>com.example.wifi</string>"
         "<key>PayloadUUID</key><string>9A1B2C3D-0000-4000-8000-000000000001</string>"
         "<key>PayloadDisplayName</key><string>Office Wi-Fi</string>" + root_extra +
         "<key>PayloadContent</key><array>" + content + "</array></dict></plist>\n";
}

const std::string kWifi = Payload("com.apple.wifi.managed", "com.example.wifi.payload",
                                  "<key>SSID_STR</key><string>Office</string>");

std::string Binary(const std::string& xml) {
  auto root = mdm::plist::Parse(xml);
  REQUIRE(root.ok());
  char* bin = nullptr;
  uint32_t len = 0;
  plist_to_bin(root->get(), &bin, &len);
  std::string out(bin, len);
  plist_to_bin_free(bin);
  return out;
}

struct Signer : mdm::test::TestPki {
  Signer() : TestPki("Example Profile CA", "Example Profile Signer") {}
  // Only the signer's certificate travels: its CA is nobody we know, and that is fine.
  std::string Sign(const std::string& content) {
    return crypto::SignAttached(content, cert.get(), key.get(), {}).value();
  }
};

Signer& TheSigner() {
  static Signer s;
  return s;
}

}  // namespace

TEST_CASE("profile file: an XML profile keeps its text and yields its identifiers", "[deploy]") {
  std::string xml = Profile(kWifi);
  auto p = ReadProfile(xml);
  REQUIRE(p.ok());
  CHECK(p->identifier == "com.example.wifi");
  CHECK(p->payload_uuid == "9A1B2C3D-0000-4000-8000-000000000001");
  CHECK(p->display_name == "Office Wi-Fi");
  CHECK(p->xml == xml);
  CHECK(p->original == xml);
  CHECK(p->signer.empty());
  CHECK(p->placeholders.empty());
  CHECK(p->content_hash == crypto::Hex(crypto::Sha256(xml)));
  // An empty PayloadContent is a valid (if useless) profile.
  CHECK(ReadProfile(Profile("")).ok());
}

TEST_CASE("profile file: a binary profile becomes XML", "[deploy]") {
  std::string bin = Binary(Profile(kWifi));
  auto p = ReadProfile(bin);
  REQUIRE(p.ok());
  CHECK(p->identifier == "com.example.wifi");
  CHECK(p->original == bin);
  CHECK_THAT(p->xml, Catch::StartsWith("<?xml"));
  CHECK_THAT(p->xml, Catch::Contains("<string>Office</string>"));
  CHECK(p->content_hash == crypto::Hex(crypto::Sha256(p->xml)));
}

TEST_CASE("profile file: a signed profile is unwrapped when its signature verifies", "[deploy]") {
  std::string xml = Profile(kWifi);
  std::string der = TheSigner().Sign(xml);
  auto p = ReadProfile(der);
  INFO(p.status().message());
  REQUIRE(p.ok());
  CHECK(p->signer == "Example Profile Signer");
  CHECK(p->original == der);
  CHECK(p->identifier == "com.example.wifi");
  CHECK_THAT(p->xml, Catch::StartsWith("<?xml"));
  CHECK_THAT(p->xml, Catch::Contains("Office Wi-Fi"));
  // A signed binary plist too.
  auto b = ReadProfile(TheSigner().Sign(Binary(xml)));
  REQUIRE(b.ok());
  CHECK(b->signer == "Example Profile Signer");
}

TEST_CASE("profile file: a tampered signed profile is refused", "[deploy]") {
  std::string der = TheSigner().Sign(Profile(kWifi));
  size_t at = der.find("Office Wi-Fi");
  REQUIRE(at != std::string::npos);
  der[at] = 'X';
  auto p = ReadProfile(der);
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.status().message(), Catch::Contains("signature does not verify"));
  // Junk that only starts like DER.
  auto junk = ReadProfile(std::string("\x30\x03\x02\x01\x01", 5));
  REQUIRE_FALSE(junk.ok());
  CHECK_THAT(junk.status().message(), Catch::Contains("neither a property list nor a signed profile"));
}

TEST_CASE("profile file: what is not a configuration profile is refused with the reason", "[deploy]") {
  auto wrong_type = ReadProfile(Profile(kWifi, "", "com.apple.wifi.managed"));
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.status().message() == "this is not a configuration profile (PayloadType com.apple.wifi.managed)");

  std::string no_id = Profile(kWifi);
  no_id.replace(no_id.find("com.example.wifi<"), 16, "");
  auto missing = ReadProfile(no_id);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("no PayloadIdentifier"));

  auto bad_payload = ReadProfile(Profile("<dict><key>PayloadType</key><string>com.apple.wifi.managed</string>"
                                         "<key>PayloadIdentifier</key><string>x</string></dict>"));
  REQUIRE_FALSE(bad_payload.ok());
  CHECK(bad_payload.status().message() == "payload 1 of PayloadContent has no PayloadUUID (a non-empty string)");

  auto no_content = ReadProfile("<plist><dict><key>PayloadType</key><string>Configuration</string>"
                                "<key>PayloadIdentifier</key><string>a</string><key>PayloadUUID</key>"
                                "<string>b</string></dict></plist>");
  REQUIRE_FALSE(no_content.ok());
  CHECK_THAT(no_content.status().message(), Catch::Contains("PayloadContent"));

  CHECK_FALSE(ReadProfile("<plist><array/></plist>").ok());
  CHECK_FALSE(ReadProfile("hello").ok());
  CHECK_FALSE(ReadProfile("").ok());
}

TEST_CASE("profile file: an MDM payload is refused", "[deploy]") {
  auto p = ReadProfile(Profile(kWifi + Payload("com.apple.mdm", "com.example.mdm")));
  REQUIRE_FALSE(p.ok());
  CHECK_THAT(p.status().message(), Catch::Contains("com.apple.mdm"));
  CHECK_THAT(p.status().message(), Catch::Contains("enrollment"));
}

TEST_CASE("profile file: placeholders are the distinct $$name$$ in string values", "[deploy]") {
  std::string extra =
      "<key>UserName</key><string>$$user.name$$@example.com</string>"
      "<key>Twice</key><array><string>$$user.name$$</string><string>$$$SERIAL_1$$</string></array>"
      "<key>NotNames</key><string>$$ spaced $$ $$$$ $$open price: 5$</string>"
      "<key>$$in_a_key$$</key><string>keys do not count</string>"
      "<key>Asset</key><string>$$asset-tag$$</string>";
  auto p = ReadProfile(Profile(Payload("com.apple.eas.account", "com.example.mail", extra)));
  REQUIRE(p.ok());
  CHECK(p->placeholders == std::vector<std::string>{"SERIAL_1", "asset-tag", "user.name"});
}

TEST_CASE("profile file: the content hash follows the content", "[deploy]") {
  auto a = ReadProfile(Profile(kWifi));
  auto same = ReadProfile(Profile(kWifi));
  std::string other_wifi = kWifi;
  other_wifi.replace(other_wifi.find("Office</string>"), 6, "Guest");
  auto b = ReadProfile(Profile(other_wifi));
  REQUIRE(a.ok());
  REQUIRE(same.ok());
  REQUIRE(b.ok());
  CHECK(a->content_hash == same->content_hash);
  CHECK(a->content_hash != b->content_hash);
  CHECK(a->content_hash.size() == 64);
}
