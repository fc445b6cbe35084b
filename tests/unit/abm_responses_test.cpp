#include <catch2/catch.hpp>

#include "abm/responses.h"
#include "apple/service_client.h"
#include "http/message.h"

using namespace mdm;
using namespace mdm::abm;

TEST_CASE("abm responses: session token and org name", "[abm]") {
  auto token = ReadSessionToken(R"({"auth_session_token": "87a2358"})");
  REQUIRE(token.ok());
  CHECK(*token == "87a2358");
  CHECK(ReadSessionToken("{}").status().message() == "ABM/ASM answered /session without auth_session_token");
  CHECK(ReadSessionToken("<html>").status().code() == Status::Code::kUnavailable);
  CHECK(ReadOrgName(R"({"org_name": "Example School", "org_id": "2000512"})").value() == "Example School");
  CHECK(ReadOrgName("[]").value().empty());
  CHECK_FALSE(ReadOrgName("{\"org_name\": \"\\u0000\"}").ok());
}

TEST_CASE("apple: Retry-After in seconds or as an HTTP date, capped; other forms are not a number", "[abm]") {
  using apple::ReadRetryAfter;
  CHECK(ReadRetryAfter("7", 60) == 7);
  CHECK(ReadRetryAfter("0", 60) == 0);
  CHECK(ReadRetryAfter("120", 60) == 60);
  CHECK(ReadRetryAfter("99999999999999999999999", 60) == 60);  // was atoi's overflow
  CHECK_FALSE(ReadRetryAfter("", 60));
  CHECK_FALSE(ReadRetryAfter("-5", 60));
  CHECK_FALSE(ReadRetryAfter("soon", 60));
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
  CHECK(ReadRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 60, 1445412480 - 30) == 30);
  CHECK(ReadRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 60, 1445412480 - 3600) == 60);
  CHECK(ReadRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 60, 1445412480 + 5) == 0);
  CHECK_FALSE(ReadRetryAfter("Wed, 21 Oct 2015 07:28:00 XYZ", 60));
  CHECK(http::HeaderLineValue("Retry-After:  120 \r\n", "retry-after:") == "120");
  CHECK(http::HeaderLineValue("X-ADM-Auth-Session: abc\r\n", "x-adm-auth-session:") == "abc");
  CHECK_FALSE(http::HeaderLineValue("retry-after:", "retry-after:"));
  CHECK_FALSE(http::HeaderLineValue("Content-Type: text/plain\r\n", "retry-after:"));
}

TEST_CASE("abm responses: cursor errors", "[abm]") {
  CHECK(ClassifyCursorError(400, "EXHAUSTED_CURSOR") == CursorError::kExhausted);
  CHECK(ClassifyCursorError(400, R"({"code": "EXPIRED_CURSOR"})") == CursorError::kRestart);
  CHECK(ClassifyCursorError(400, "INVALID_CURSOR") == CursorError::kRestart);
  CHECK(ClassifyCursorError(400, "MALFORMED_REQUEST_BODY") == CursorError::kNone);
  CHECK(ClassifyCursorError(500, "EXHAUSTED_CURSOR") == CursorError::kNone);
}

TEST_CASE("abm responses: a device page", "[abm]") {
  auto page = ReadDevicePage(R"({"devices": [{"serial_number": "C8TJ500QF1MN", "op_type": "added"}],
                                 "more_to_follow": true, "cursor": "MTY5"})");
  REQUIRE(page.ok());
  CHECK(page->cursor == "MTY5");
  CHECK(page->more_to_follow);
  CHECK(page->devices_json == R"([{"serial_number":"C8TJ500QF1MN","op_type":"added"}])");
  auto empty = ReadDevicePage(R"({"cursor": "", "devices": {}, "more_to_follow": "yes"})");
  REQUIRE(empty.ok());
  CHECK(empty->devices_json == "[]");
  CHECK_FALSE(empty->more_to_follow);
  CHECK(ReadDevicePage(R"({"devices": []})").status().message() == "ABM/ASM sent a device page without a cursor");
  CHECK(ReadDevicePage("[1,").status().message().rfind("ABM/ASM sent a device page that is refused: ", 0) == 0);
}

TEST_CASE("abm responses: the activation profile defined and assigned", "[abm]") {
  CHECK(ReadProfileUuid(200, R"({"profile_uuid": "88e0c6f8"})").value() == "88e0c6f8");
  auto refused = ReadProfileUuid(400, "CONFIG_URL_INVALID");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kInvalid);
  CHECK(refused.status().message() == "ABM/ASM refused the activation profile (HTTP 400): CONFIG_URL_INVALID");
  CHECK(ReadProfileUuid(200, "not json").status().code() == Status::Code::kUnavailable);
  CHECK(ReadProfileUuid(200, "{}").status().code() == Status::Code::kInvalid);

  CHECK(ReadAssignResults(200, R"({"profile_uuid": "x", "devices": {"A": "SUCCESS", "B": "FAILED"}})").value() ==
        R"({"A":"SUCCESS","B":"FAILED"})");
  CHECK(ReadAssignResults(200, R"({"devices": []})").status().message() ==
        "ABM/ASM answered 200 to the profile assignment");
  CHECK(ReadAssignResults(200, "[]").status().code() == Status::Code::kUnavailable);
  CHECK(ReadAssignResults(503, R"({"devices": {}})").status().message() ==
        "ABM/ASM answered 503 to the profile assignment");
}
