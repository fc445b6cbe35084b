#include <catch2/catch.hpp>

#include "push/apns_answer.h"

using namespace mdm::push;

TEST_CASE("apns answer: sent, dead tokens and failures by kind", "[apns]") {
  ApnsAnswer sent = ReadApnsAnswer(200, "");
  CHECK(sent.outcome == Outcome::kSent);
  CHECK(sent.kind == FailureKind::kNone);
  CHECK(sent.reason.empty());

  ApnsAnswer gone = ReadApnsAnswer(410, R"({"reason": "Unregistered", "timestamp": 1700000000000})");
  CHECK(gone.outcome == Outcome::kTokenDead);
  CHECK(gone.reason == "Unregistered");
  CHECK(ReadApnsAnswer(410, "").outcome == Outcome::kTokenDead);
  CHECK(ReadApnsAnswer(400, R"({"reason": "BadDeviceToken"})").outcome == Outcome::kTokenDead);

  auto kind = [](long status, const char* body) { return ReadApnsAnswer(status, body).kind; };
  CHECK(kind(403, R"({"reason": "BadCertificate"})") == FailureKind::kCertificateRefused);
  CHECK(kind(403, R"({"reason": "BadCertificateEnvironment"})") == FailureKind::kWrongEnvironment);
  CHECK(kind(403, R"({"reason": "Forbidden"})") == FailureKind::kForbidden);
  CHECK(kind(400, R"({"reason": "DeviceTokenNotForTopic"})") == FailureKind::kTopic);
  CHECK(kind(400, R"({"reason": "PayloadEmpty"})") == FailureKind::kRejected);
  CHECK(kind(429, R"({"reason": "TooManyRequests"})") == FailureKind::kThrottled);
  CHECK(kind(503, "") == FailureKind::kUnavailable);
  CHECK(kind(404, "<html>Not Found</html>") == FailureKind::kNotApns);

  ApnsAnswer not_json = ReadApnsAnswer(400, "<html>");
  CHECK(not_json.outcome == Outcome::kFailed);
  CHECK(not_json.reason == "with a body that is not JSON");
  CHECK(ReadApnsAnswer(400, "").reason == "with no body");
  CHECK(ReadApnsAnswer(400, R"({"reason": 7})").reason == "with JSON that has no reason");
}
