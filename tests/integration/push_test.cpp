// Pushes through the APNs client to a fake of Apple's push service (HTTP/2, TLS, client
// certificates), chosen by the console verbs and mdmcron.
#include <catch2/catch.hpp>

#include <map>
#include <set>

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

// Puts back the settings Apns() made, at the end of a test that changes them.
struct RestoreApnsSettings {
  ~RestoreApnsSettings() {
    auto& s = SharedStack();
    s.SetSetting(setting::kApnsUrl, Apns().url());
    s.SetSetting(setting::kApnsCaFile, s.root() + "/apns-ca.pem");
    s.SetSetting(setting::kPushCert, Apns().client_cert_pem());
    s.SetSetting(setting::kPushKey, Apns().client_key_pem());
  }
};

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
  SimDevice d = EnrolledDevice(), other = EnrolledDevice();
  RestoreApnsSettings restore;
  auto [cert, key] = Apns().foreign_client_identity();
  SharedStack().SetSetting(setting::kPushCert, cert);
  SharedStack().SetSetting(setting::kPushKey, key);
  // TLS 1.3: the client's handshake completes, then the fake resets the connection.
  auto r = SharedStack().Console({"push", d.udid(), other.udid()});
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("push: 2 selected, 0 sent, 0 token(s) dead, 2 failed"));
  CHECK_THAT(r.output, Catch::Contains("mdm-console: APNs refused the push certificate (the connection closed right after the TLS "
                                       "handshake") &&
                           Catch::Contains("mdm-console apns cert FILE") && Catch::Contains("mdm-console status"));
  CHECK_THAT(r.output, !Catch::Contains("cannot reach"));
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).empty());
  CHECK(PushesFor(mdm::crypto::Hex(other.token())).empty());
}

TEST_CASE("a client certificate refused in a TLS 1.2 handshake names the push certificate", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  RestoreApnsSettings restore;
  FakeApns tls12(Stack::kTopic, "1.2");
  auto& s = SharedStack();
  std::string ca = s.root() + "/apns12-ca.pem";
  mdm::test::WriteFile(ca, mdm::test::ReadFile(tls12.ca_file()));
  s.SetSetting(setting::kApnsUrl, tls12.url());
  s.SetSetting(setting::kApnsCaFile, ca);
  auto [cert, key] = tls12.foreign_client_identity();
  s.SetSetting(setting::kPushCert, cert);
  s.SetSetting(setting::kPushKey, key);
  auto r = s.Console({"push", d.udid()});
  INFO(r.output);
  CHECK(r.exit_code == 3);
  // The fake (node) ends the handshake without an alert once it has judged the certificate.
  CHECK_THAT(r.output, Catch::Contains("mdm-console: APNs refused the push certificate (the server ended the TLS "
                                       "handshake once it had the push certificate: ") &&
                           Catch::Contains("mdm-console apns cert FILE") && Catch::Contains("mdm-console status"));
  CHECK_THAT(r.output, !Catch::Contains("cannot reach") && !Catch::Contains("TLS handshake with"));
  CHECK(tls12.Pushes().empty());
  // The same fake takes the right certificate: the refusal was about the certificate alone.
  s.SetSetting(setting::kPushCert, tls12.client_cert_pem());
  s.SetSetting(setting::kPushKey, tls12.client_key_pem());
  auto ok = s.Console({"push", d.udid()});
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(tls12.Pushes().size() == 1);
}

TEST_CASE("APNs unreachable is reported as the network, with its next step, by every caller", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  RestoreApnsSettings restore;
  const std::string port = std::to_string(mdm::test::FreeTcpPort());  // nothing listens there
  SharedStack().SetSetting(setting::kApnsUrl, "https://localhost:" + port);
  const std::string cause = "cannot reach APNs at localhost:" + port + " (";
  const std::string next = "check the network, a firewall or proxy (outbound TCP 443 or 2197 to api.push.apple.com)";
  auto not_the_certificate = [](const std::string& out) {
    CHECK_THAT(out, !Catch::Contains("mdm-console apns cert") && !Catch::Contains("refused the push certificate") &&
                        !Catch::Contains("may be wrong, expired"));
  };

  // command send: queued (exit 0), the push's failure named with the way to try again.
  auto send = SharedStack().Console({"command", "send", d.udid(), "ProfileList"});
  INFO(send.output);
  CHECK(send.exit_code == 0);
  CHECK_THAT(send.output, Catch::Contains("pushed 0 of 1") && Catch::Contains("warning: 1 not pushed: " + cause) &&
                              Catch::Contains(next) && Catch::Contains("mdm-console push --pending"));
  not_the_certificate(send.output);

  // push: exit 3, one sentence.
  auto push = SharedStack().Console({"push", d.udid()});
  INFO(push.output);
  CHECK(push.exit_code == 3);
  CHECK_THAT(push.output, Catch::Contains("mdm-console: " + cause) && Catch::Contains(next));
  not_the_certificate(push.output);

  // mdmcron: the reconcile worked, only the push step failed: both named, exit 3.
  Age(d.udid());
  auto cron = SharedStack().Console({"mdmcron"});
  INFO(cron.output);
  CHECK(cron.exit_code == 3);
  CHECK_THAT(cron.output, Catch::Contains("mdm-console: mdmcron: reconcile: done, ") &&
                              Catch::Contains(" command(s) queued; push: failed: " + cause) && Catch::Contains(next));
  not_the_certificate(cron.output);

  // The admin API says the same.
  mdm::test::HttpClient http(SharedStack().tls_cert());
  auto api = http.Request("POST", SharedStack().base_url() + "/v1/commands",
                          "{\"enrollment_ids\": [\"" + d.udid() + "\"], \"request_type\": \"ProfileList\"}",
                          {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-admin-key-0123456789"}});
  INFO(api.body);
  CHECK(api.status == 200);
  CHECK_THAT(api.body, Catch::Contains("\"pushed\":0") && Catch::Contains("\"push_error\":\"" + cause));
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).empty());

  // Reachable again: mdmcron pushes what waits and exits 0, both steps named.
  SharedStack().SetSetting(setting::kApnsUrl, Apns().url());
  auto again = SharedStack().Console({"mdmcron"});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("mdmcron: reconcile: done, ") && Catch::Contains("; push: done, "));
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).size() == 1);
}

TEST_CASE("a host that does not resolve is reported as DNS", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  RestoreApnsSettings restore;
  SharedStack().SetSetting(setting::kApnsUrl, "https://no-such-host.invalid");
  auto r = SharedStack().Console({"push", d.udid()});
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("mdm-console: cannot resolve the APNs host no-such-host.invalid (") &&
                           Catch::Contains("check this machine's DNS") &&
                           Catch::Contains("mdm-console settings get apns-url"));
  CHECK_THAT(r.output, !Catch::Contains("mdm-console apns cert") && !Catch::Contains("refused the push certificate"));
  auto send = SharedStack().Console({"command", "send", d.udid(), "ProfileList"});
  INFO(send.output);
  CHECK(send.exit_code == 0);
  CHECK_THAT(send.output, Catch::Contains("warning: 1 not pushed: cannot resolve the APNs host no-such-host.invalid"));
}

TEST_CASE("an APNs server whose TLS certificate is not trusted is not blamed on the push certificate", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  RestoreApnsSettings restore;
  // A CA that did not issue the fake's certificate (nginx's self-signed one).
  SharedStack().SetSetting(setting::kApnsCaFile, SharedStack().tls_cert());
  auto r = SharedStack().Console({"push", d.udid()});
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("mdm-console: the TLS certificate of the server at localhost:") &&
                           Catch::Contains("is not trusted (") &&
                           Catch::Contains("apns-ca-file (" + SharedStack().tls_cert() + ") must hold the CA") &&
                           Catch::Contains("not the push certificate"));
  CHECK_THAT(r.output, !Catch::Contains("mdm-console apns cert") && !Catch::Contains("refused the push certificate"));
  CHECK(PushesFor(mdm::crypto::Hex(d.token())).empty());
}

TEST_CASE("APNs' reasons are named with their own next step", "[push]") {
  Apns();
  SimDevice d = EnrolledDevice();
  std::string hex = mdm::crypto::Hex(d.token());
  struct Case {
    std::string action, reason, says, next;
  };
  const std::vector<Case> cases = {
      {"403:BadCertificateEnvironment", "BadCertificateEnvironment",
       "says the push certificate is for the other environment (403 BadCertificateEnvironment)",
       "mdm-console settings set apns-url https://api.sandbox.push.apple.com"},
      {"403", "BadCertificate", "APNs refused the push certificate (403 BadCertificate)", "mdm-console apns cert FILE"},
      {"400:TopicDisallowed", "TopicDisallowed", std::string("APNs refused the topic ") + Stack::kTopic + " (400 TopicDisallowed)",
       "does not match what the devices enrolled with"},
      {"400:DeviceTokenNotForTopic", "DeviceTokenNotForTopic", "(400 DeviceTokenNotForTopic)", "does not match what the devices enrolled with"},
  };
  for (const auto& c : cases) {
    Apns().SetBehaviour(hex, {c.action});
    auto r = SharedStack().Console({"push", d.udid()});
    INFO(c.action << "\n" << r.output);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.output, Catch::Contains(c.says) && Catch::Contains(c.next));
    CHECK(PushesFor(hex).back().reason == c.reason);
  }
  Apns().SetBehaviour(hex, {});
  // A dead token (400 BadDeviceToken) is not a failure of the run.
  Apns().SetBehaviour(hex, {"400"});
  auto dead = SharedStack().Console({"push", d.udid()});
  INFO(dead.output);
  CHECK(dead.exit_code == 0);
  CHECK_THAT(dead.output, Catch::Contains("1 token(s) dead"));
  Apns().SetBehaviour(hex, {});
}

TEST_CASE("push --pending wakes exactly the enrollments with commands waiting", "[push]") {
  Apns();
  auto none = SharedStack().Console({"push"});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.output, Catch::Contains("name the enrollment IDs to wake, or --pending for every enrollment with "
                                          "commands waiting"));
  SimDevice waiting = EnrolledDevice(), idle = EnrolledDevice(), dead = EnrolledDevice();
  REQUIRE(SharedStack().Console({"command", "send", waiting.udid(), dead.udid(), "ProfileList", "--no-push"}).exit_code == 0);
  Q("UPDATE enrollments SET push_token_invalid_at = now() WHERE id = '" + dead.udid() + "'");
  // What the statement must choose, whatever earlier tests left queued.
  std::string expected = Q(
      "SELECT string_agg(encode(push_token, 'hex'), ',' ORDER BY encode(push_token, 'hex')) FROM enrollments e "
      "WHERE status = 'enrolled' AND push_token IS NOT NULL AND push_magic IS NOT NULL AND push_token_invalid_at IS NULL "
      "AND EXISTS (SELECT 1 FROM command_queue q WHERE q.enrollment_id = e.id AND q.status IN ('Pending', 'NotNow'))");
  size_t before = Apns().Pushes().size();
  auto r = SharedStack().Console({"push", "--pending"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  auto all = Apns().Pushes();
  std::set<std::string> pushed;
  // (Tokens earlier tests gave behaviours to answer 429, 503 or close first: retried until sent.)
  for (size_t i = before; i < all.size(); ++i) pushed.insert(all[i].token);
  std::string got;
  for (const auto& t : pushed) got += (got.empty() ? "" : ",") + t;
  CHECK(got == expected);
  CHECK(pushed.contains(mdm::crypto::Hex(waiting.token())));
  CHECK(!pushed.contains(mdm::crypto::Hex(idle.token())));
  CHECK(!pushed.contains(mdm::crypto::Hex(dead.token())));
  CHECK_THAT(r.output, Catch::Contains("push: " + std::to_string(pushed.size()) + " selected, " +
                                       std::to_string(pushed.size()) + " sent, 0 token(s) dead, 0 failed"));
  auto both = SharedStack().Console({"push", "--pending", idle.udid()});
  CHECK(both.exit_code == 1);
  CHECK_THAT(both.output, Catch::Contains("not both"));
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
