#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "crypto/signed_data.h"
#include "enroll/ade_request.h"
#include "test_pki.h"

using namespace mdm;

namespace {

const char kMachineInfo[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
    "<key>SERIAL</key><string>F2LXJ7ABCDEF</string><key>UDID</key><string>00008030-001A2B3C4D5E802E</string>"
    "<key>PRODUCT</key><string>iPhone12,1</string></dict></plist>\n";

}  // namespace

TEST_CASE("ade request: the machine info gives SERIAL and UDID", "[ade]") {
  auto info = enroll::ReadAdeMachineInfo(kMachineInfo);
  REQUIRE(info.ok());
  CHECK(info->serial == "F2LXJ7ABCDEF");
  CHECK(info->udid == "00008030-001A2B3C4D5E802E");
  auto serial_only = enroll::ReadAdeMachineInfo("<plist><dict><key>SERIAL</key><string>C02X</string></dict></plist>");
  REQUIRE(serial_only.ok());
  CHECK_FALSE(serial_only->udid);
}

TEST_CASE("ade request: no SERIAL, an empty or a long one, or no dictionary is refused", "[ade]") {
  for (std::string body : std::vector<std::string>{"<plist><dict><key>UDID</key><string>x</string></dict></plist>",
                           "<plist><dict><key>SERIAL</key><string></string></dict></plist>",
                           "<plist><dict><key>SERIAL</key><integer>7</integer></dict></plist>",
                           "<plist><dict><key>SERIAL</key><string>" + std::string(65, 'A') + "</string></dict></plist>"}) {
    auto info = enroll::ReadAdeMachineInfo(body);
    REQUIRE_FALSE(info.ok());
    CHECK(info.status().message() == "ADE machine info without SERIAL");
  }
  auto array = enroll::ReadAdeMachineInfo("<plist><array/></plist>");
  REQUIRE_FALSE(array.ok());
  CHECK(array.status().message().rfind("ADE machine info: ", 0) == 0);
}

TEST_CASE("ade request: the signed body is verified against the roots given", "[ade]") {
  test::TestPki pki("Test Device CA", "device");
  std::string body = crypto::SignAttached(kMachineInfo, pki.cert.get(), pki.key.get(), {}).value();
  crypto::Store roots = crypto::MakeStore({pki.ca.get()});
  auto info = enroll::ReadAdeRequest(body, roots.get());
  REQUIRE(info.ok());
  CHECK(info->serial == "F2LXJ7ABCDEF");

  test::TestPki other("Other CA", "device");
  crypto::Store wrong = crypto::MakeStore({other.ca.get()});
  auto refused = enroll::ReadAdeRequest(body, wrong.get());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().rfind("ADE machine info: ", 0) == 0);
  CHECK_FALSE(enroll::ReadAdeRequest(kMachineInfo, roots.get()).ok());  // not signed at all
}
