// Pushes through the APNs client to a fake of Apple's push service (HTTP/2, TLS, client
// certificates), chosen by the console verbs and mdmcron.
#include <catch2/catch.hpp>

#include <map>

#include "crypto/crypto.h"
#include "fake_apns.h"
#include "sim_device.h"
#include "stack.h"
#include "store/settings.h"

using mdm::test::FakeApns;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;
namespace setting = mdm::store::setting;

namespace {

FakeApns& Apns() {
  static FakeApns fake(Stack::kTopic);
  static bool configured = false;
  if (!configured) {
    auto& s = SharedStack();
    std::string ca = s.root() + "/apns-ca.pem";
    mdm::test::WriteFile(ca, mdm::test::ReadFile(fake.ca_file()));
    s.SetSetting(setting::kApnsUrl, fake.url());
    s.SetSetting(setting::kApnsCaFile, ca);
    s.SetSetting(setting::kPushCert, fake.client_cert_pem());
    s.SetSetting(setting::kPushKey, fake.client_key_pem());
    configured = true;
  }
  return fake;
}

SimDevice EnrolledDevice() {
  static mdm::enroll::DeviceCa ca = SharedStack().DeviceCa();
  SimDevice d(SharedStack().base_url(), SharedStack().tls_cert(), ca);
  REQUIRE(d.Authenticate(Stack::kTopic).status == 200);
  REQUIRE(d.TokenUpdate(Stack::kTopic).status == 200);
  return d;
}

std::vector<FakeApns::Push> PushesFor(const std::string& hex_token) {
  std::vector<FakeApns::Push> out;
  for (auto& p : Apns().Pushes())
    if (p.token == hex_token) out.push_back(p);
  return out;
}

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

// Makes the enrollment look silent for two days and never pushed, so mdmcron picks it.
void Age(const std::string& id) {
  Q("UPDATE enrollments SET last_seen_at = now() - interval '2 days', last_push_at = NULL WHERE id = '" + id + "'");
}

}  // namespace

TEST_CASE("a queued command produces exactly one push with token, topic and PushMagic", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  auto r = SharedStack().Console({"command", "send", d.udid(), "DeviceInformation", "Queries=DeviceName"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("pushed 1 of 1"));
  auto pushes = PushesFor(mdm::crypto::Hex(d.token()));
  REQUIRE(pushes.size() == 1);
  CHECK(pushes[0].status == 200);
  CHECK(pushes[0].topic == Stack::kTopic);
  CHECK(pushes[0].mdm == d.push_magic());
  CHECK(pushes[0].push_type == "mdm");
  CHECK(pushes[0].priority == 10);
  CHECK(pushes[0].expiration > std::time(nullptr) + 23 * 3600);
  CHECK(Q("SELECT last_push_apns_id FROM enrollments WHERE id = '" + d.udid() + "'") == pushes[0].apns_id);
  // --no-push queues without waking.
  REQUIRE(SharedStack().Console({"command", "send", d.udid(), "ProfileList", "--no-push"}).exit_code == 0);
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).size() == 1);
}

TEST_CASE("410 marks the token dead: mdmcron skips it until a TokenUpdate", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  std::string hex = mdm::crypto::Hex(d.token());
  Apns().SetBehaviour(hex, {"410"});
  auto r = SharedStack().Console({"push", d.udid()});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("1 token(s) dead"));
  CHECK(Q("SELECT push_token_invalid_at IS NOT NULL FROM enrollments WHERE id = '" + d.udid() + "'") == "t");
  Apns().SetBehaviour(hex, {"200"});
  Age(d.udid());
  size_t before = PushesFor(hex).size();
  REQUIRE(SharedStack().Console({"mdmcron"}).exit_code == 0);
  CHECK(PushesFor(hex).size() == before);
  REQUIRE(d.TokenUpdate(Stack::kTopic).status == 200);
  Age(d.udid());
  auto cron = SharedStack().Console({"mdmcron"});
  INFO(cron.output);
  CHECK(PushesFor(hex).size() == before + 1);
}

TEST_CASE("429 then 200 is retried and recorded once", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  std::string hex = mdm::crypto::Hex(d.token());
  Apns().SetBehaviour(hex, {"429", "503", "200"});
  auto r = SharedStack().Console({"push", d.udid()});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("1 sent"));
  auto pushes = PushesFor(hex);
  REQUIRE(pushes.size() == 3);
  CHECK(pushes[0].status == 429);
  CHECK(pushes[1].status == 503);
  CHECK(pushes[2].status == 200);
  CHECK(Q("SELECT last_push_apns_id FROM enrollments WHERE id = '" + d.udid() + "'") == pushes[2].apns_id);
}

TEST_CASE("a connection closed mid-batch loses no push; one connection carries the batch", "[push]") {
  Apns();
  // 200 enrollments with tokens of their own, inserted directly.
  std::string values;
  std::map<std::string, std::string> token_of;
  for (int i = 0; i < 200; ++i) {
    std::string id = "batch-" + std::to_string(i);
    std::string token = mdm::crypto::RandomHex(32);
    token_of[id] = token;
    values += std::string(values.empty() ? "" : ",") + "('" + id + "', '" + token + "')";
  }
  Q("WITH v(id, t) AS (VALUES " + values + "), d AS (INSERT INTO devices (id) SELECT id FROM v) "
    "INSERT INTO enrollments (id, device_id, channel, kind, topic, status, push_token, push_magic, last_seen_at) "
    "SELECT id, id, 'device', 'device', '" + std::string(Stack::kTopic) + "', 'enrolled', decode(t, 'hex'), "
    "  'magic-' || id, now() - interval '2 days' FROM v");
  Apns().SetBehaviour(token_of["batch-57"], {"close", "200"});
  int sessions_before = Apns().Sessions();
  auto r = SharedStack().Console({"mdmcron"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, int> ok;
  for (auto& p : Apns().Pushes())
    if (p.status == 200) ok[p.token]++;
  // Every push arrived; those whose answers the closed connection swallowed were sent again
  // (a second wake-up is harmless; a lost one is not).
  int total = 0;
  for (auto& [id, token] : token_of) {
    INFO(id);
    CHECK(ok[token] >= 1);
    total += ok[token];
  }
  CHECK(total < 200 + 256);
  // The batch went over one connection, and one more after the close.
  CHECK(Apns().Sessions() - sessions_before <= 2);
  CHECK(Q("SELECT count(*) FROM enrollments WHERE id LIKE 'batch-%' AND last_push_at IS NOT NULL") == "200");
  // A second mdmcron right away finds nothing due.
  auto again = SharedStack().Console({"mdmcron"});
  CHECK_THAT(again.output, Catch::Contains("0 selected"));
}

TEST_CASE("a refused client certificate stops the run with one clear message", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  auto [cert, key] = Apns().foreign_client_identity();
  SharedStack().SetSetting(setting::kPushCert, cert);
  SharedStack().SetSetting(setting::kPushKey, key);
  auto r = SharedStack().Console({"push", d.udid()});
  SharedStack().SetSetting(setting::kPushCert, Apns().client_cert_pem());
  SharedStack().SetSetting(setting::kPushKey, Apns().client_key_pem());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("mdm-console: APNs refused the") && Catch::Contains("mdm-console apns cert"));
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).empty());
}

TEST_CASE("mdmcron does not run twice at once", "[push]") {
  Apns();
  auto conn = SharedStack().Connect();
  pqxx::nontransaction tx(*conn);
  tx.exec("SELECT pg_advisory_lock(" + std::to_string(0x6d646d2d63726f6eLL) + ")");
  auto r = SharedStack().Console({"mdmcron"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("another run holds the lock"));
}

TEST_CASE("the admin API pushes after it queues, unless told not to", "[push][admin]") {
  Apns();
  SimDevice d = EnrolledDevice();
  mdm::test::HttpClient http(SharedStack().tls_cert());
  const std::string body = "{\"enrollment_ids\": [\"" + d.udid() + "\"], \"request_type\": \"ProfileList\"}";
  const mdm::test::Headers headers = {{"Content-Type", "application/json"},
                                      {"Authorization", "Bearer test-admin-key-0123456789"}};
  auto quiet = http.Request("POST", SharedStack().base_url() + "/v1/commands?nopush=1", body, headers);
  INFO(quiet.body);
  REQUIRE(quiet.status == 200);
  CHECK_THAT(quiet.body, !Catch::Contains("pushed"));
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).empty());
  auto pushed = http.Request("POST", SharedStack().base_url() + "/v1/commands", body, headers);
  INFO(pushed.body);
  REQUIRE(pushed.status == 200);
  CHECK_THAT(pushed.body, Catch::Contains("\"pushed\":1"));
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).size() == 1);
}
