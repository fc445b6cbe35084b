#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "vpp/responses.h"
#include "vpp/token.h"

using namespace mdm;
using namespace mdm::vpp;

TEST_CASE("vpp token: the .vpptoken file is read, checked and refused in one sentence", "[vpp]") {
  std::string json = R"({"token":"VGhpcyBpcyBhIHRva2Vu","expDate":"2030-11-08T22:33:22-0800","orgName":"Example School"})";
  std::string file = crypto::Base64Encode(json) + "\n";
  auto t = ReadTokenFile(file);
  REQUIRE(t.ok());
  CHECK(t->org_name == "Example School");
  CHECK(t->stoken == crypto::Base64Encode(json));  // the file's text, trimmed, is the Bearer token
  CHECK(t->expires_at == 1920436402);              // 2030-11-09T06:33:22Z (-0800)

  CHECK_THAT(ReadTokenFile("").status().message(), Catch::Contains("empty"));
  CHECK_THAT(ReadTokenFile("not base64 at all!").status().message(), Catch::Contains("not base64"));
  // Truncated: base64 that stops inside the JSON.
  std::string cut = crypto::Base64Encode(json.substr(0, 40));
  CHECK_THAT(ReadTokenFile(cut).status().message(), Catch::Contains("may be truncated"));
  CHECK_THAT(ReadTokenFile(crypto::Base64Encode(R"({"token":"x","orgName":"A"})")).status().message(),
             Catch::Contains("lacks its expDate"));
  CHECK_THAT(ReadTokenFile(crypto::Base64Encode(R"({"token":"x","orgName":"A","expDate":"soon"})")).status().message(),
             Catch::Contains("is not a date"));
  CHECK(ReadTokenFile(std::string(70000, 'A')).status().code() == Status::Code::kInvalid);
}

TEST_CASE("vpp dates: the forms Apple writes", "[vpp]") {
  CHECK(ParseAppleDate("2030-11-08T22:33:22+0000") == 1920407602);
  CHECK(ParseAppleDate("2030-11-08T22:33:22Z") == 1920407602);
  CHECK(ParseAppleDate("2030-11-08T22:33:22.123Z") == 1920407602);
  CHECK(ParseAppleDate("2030-11-08T23:33:22+01:00") == 1920407602);
  CHECK(ParseAppleDate("2030-11-08T22:33:22") == -1);
  CHECK(ParseAppleDate("2030-13-08T22:33:22Z") == -1);
  CHECK(ParseAppleDate("garbage") == -1);
}

TEST_CASE("vpp answers: assets, assignments, events, client config, limits, errors", "[vpp]") {
  auto assets = ReadAssetPage(R"({"assets":[{"adamId":"361309726","assignedCount":1,"availableCount":2,
    "deviceAssignable":true,"pricingParam":"STDQ","productType":"App","retiredCount":0,"revocable":true,
    "supportedPlatforms":["iOS"],"totalCount":3}],"currentPageIndex":0,"nextPageIndex":1,"size":1,"totalPages":2})");
  REQUIRE(assets.ok());
  REQUIRE(assets->assets.size() == 1);
  CHECK(assets->assets[0].available == 2);
  CHECK(assets->assets[0].device_assignable);
  CHECK(assets->page.next == 1);
  CHECK_FALSE(ReadAssetPage(R"({"assets":[],"currentPageIndex":1,"totalPages":2})")->page.next);
  CHECK_FALSE(ReadAssetPage("{}").ok());
  CHECK_FALSE(ReadAssetPage("<html>").ok());

  auto assignments = ReadAssignmentPage(
      R"({"assignments":[{"adamId":"1","pricingParam":"STDQ","serialNumber":"C02X"},{"adamId":"2","clientUserId":"u"}]})");
  REQUIRE(assignments.ok());
  CHECK(assignments->assignments.size() == 2);
  CHECK(assignments->assignments[0].serial_number == "C02X");

  CHECK(*ReadEventId(R"({"eventId":"ed3edfc3","tokenExpirationDate":"2030-11-08T22:33:22+0000"})") == "ed3edfc3");
  CHECK_FALSE(ReadEventId("{}").ok());

  auto e = ReadEventStatus(R"({"eventStatus":"FAILED","eventType":"ASSOCIATE","numCompleted":1,"numRequested":3,
    "failures":[{"errorNumber":9709,"errorMessage":"Not enough licenses","errorInfo":{
      "assets":[{"adamId":"1","pricingParam":"STDQ"}],"serialNumbers":["C03Y","C04Z"]}}]})");
  REQUIRE(e.ok());
  CHECK(e->status == "FAILED");
  REQUIRE(e->failures.size() == 2);
  CHECK(e->failures[0].error_number == 9709);
  CHECK(e->failures[0].adam_id == "1");
  CHECK(e->failures[1].serial_number == "C04Z");

  auto c = ReadClientConfig(R"({"locationName":"Main","uId":"2049025000431439","mdmInfo":{"id":"X","name":"Other MDM"}})");
  REQUIRE(c.ok());
  REQUIRE(c->mdm_info);
  CHECK(c->mdm_info->name == "Other MDM");
  CHECK_FALSE(ReadClientConfig(R"({"locationName":"Main"})")->mdm_info);

  CHECK(ReadServiceLimits(R"({"limits":{"maxSerialNumbers":500,"maxAssets":10}})").max_serial_numbers == 500);
  CHECK(ReadServiceLimits(R"({"limits":{"maxSerialNumbers":0}})").max_serial_numbers == 1000);
  CHECK(ReadServiceLimits("nonsense").max_assets == 25);

  auto err = ReadError(R"({"errorNumber":9621,"errorMessage":"The token has expired."})");
  CHECK(err.number == 9621);
  CHECK(IsTokenError(err.number));
  CHECK_FALSE(IsTokenError(9610));
  CHECK(ReadError("oops").number == 0);
  CHECK_FALSE(ErrorMeaning(9625).empty());
  CHECK(ErrorMeaning(1).empty());
}
