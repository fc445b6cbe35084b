// applesync against a fake of Apple's device enrollment API (HTTPS, OAuth 1.0a, paging, cursors).
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <ctime>
#include <map>

#include "fake_abm.h"
#include "stack.h"
#include "webhook_receiver.h"
#include "store/settings.h"

using mdm::test::FakeAbm;
using mdm::test::SharedStack;
namespace setting = mdm::store::setting;

namespace {

const char* kApi = "https://mdm.example.com/api-mdm.php";

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  mdm::test::WriteFile(path, data);
  return path;
}

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

mdm::test::CommandResult Sync() { return SharedStack().Console({"applesync", "--page-size", "10"}); }

size_t Count(const FakeAbm& abm, const std::string& method, const std::string& path) {
  auto all = abm.Requests();
  return static_cast<size_t>(std::count_if(all.begin(), all.end(), [&](const FakeAbm::Request& r) {
    return r.method == method && r.path == path;
  }));
}

std::string Profile(const std::string& name) {
  return File("profile.json", "{\"profile_name\": \"" + name + "\", \"url\": \"" + std::string(kApi) +
                                  "/profile\", \"is_supervised\": true, \"is_mandatory\": true, "
                                  "\"await_device_configured\": true, \"language\": \"en\"}");
}

// Points the server at `abm` and uploads its server token through the operator's real steps
// (token cert, an S/MIME file, token upload). Returns token upload's output.
std::string UseAbm(const FakeAbm& abm) {
  auto& s = SharedStack();
  REQUIRE(s.Console({"settings", "set", "abm-url", abm.url()}).exit_code == 0);
  REQUIRE(s.Console({"settings", "set", "abm-ca-file", File("abm-ca.pem", mdm::test::ReadFile(abm.ca_file()))}).exit_code == 0);
  auto cert = s.Console({"token", "cert"});
  std::string message = "Content-Type: text/plain;charset=UTF-8\r\n\r\n-----BEGIN MESSAGE-----\n" + abm.token_json() +
                        "\n-----END MESSAGE-----\n";
  std::string p7m = s.root() + "/token.p7m";
  REQUIRE(mdm::test::Run({"openssl", "smime", "-encrypt", "-aes256", "-in", File("token.txt", message), "-out", p7m,
                          File("token-cert.pem", cert.output)}).exit_code == 0);
  auto up = s.Console({"token", "upload", p7m});
  INFO(up.output);
  REQUIRE(up.exit_code == 0);
  return up.output;
}

// The fake and the server configured for each other.
FakeAbm& Abm() {
  static FakeAbm abm(25, 1000);
  static bool configured = false;
  if (!configured) {
    auto& s = SharedStack();
    REQUIRE(s.Console({"settings", "set", "api-url", kApi}).exit_code == 0);
    UseAbm(abm);
    REQUIRE(s.Console({"activation-profile", "set", Profile("Corp v1")}).exit_code == 0);
    configured = true;
  }
  return abm;
}

}  // namespace

TEST_CASE("applesync without a server token says what to do", "[abm]") {
  auto r = SharedStack().Console({"applesync"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("mdm-console token upload"));
}

TEST_CASE("first run: a full fetch over pages, the profile defined once and assigned to all", "[abm]") {
  FakeAbm& abm = Abm();
  auto r = Sync();
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("fetch, 3 page(s), 25 device(s)"));
  CHECK(Q("SELECT count(*) FROM dep_devices WHERE source = 'abm' AND deleted_at IS NULL") == "25");
  CHECK(Count(abm, "POST", "/server/devices") == 3);
  CHECK(Count(abm, "POST", "/profile") == 1);
  CHECK(Q("SELECT count(*) FROM dep_devices WHERE assign_result = 'SUCCESS' AND profile_status = 'assigned'") == "25");
  CHECK(Q("SELECT org_name FROM (SELECT value::jsonb->>'org_name' AS org_name FROM settings WHERE name = 'abm.account') a") != "");
  auto list = SharedStack().Console({"device", "list", "--abm"});
  CHECK_THAT(list.output, Catch::Contains("ABM00000001") && Catch::Contains("SUCCESS"));

  // Second run: changes from the cursor; only the new device is assigned; no new definition.
  abm.SetControl("{\"changes\": [{\"serial\": \"ABM00000099\", \"op_type\": \"added\", \"model\": \"iPad Air\"}, "
                 "{\"serial\": \"ABM00000003\", \"op_type\": \"modified\", \"model\": \"iPad Pro (renamed)\"}, "
                 "{\"serial\": \"ABM00000004\", \"op_type\": \"deleted\"}]}");
  size_t fetches = Count(abm, "POST", "/server/devices");
  auto second = Sync();
  INFO(second.output);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.output, Catch::Contains("applesync") && Catch::Contains(": sync,"));
  CHECK(Count(abm, "POST", "/server/devices") == fetches);
  CHECK(Count(abm, "POST", "/devices/sync") >= 1);
  CHECK(Count(abm, "POST", "/profile") == 1);
  CHECK(Q("SELECT model FROM dep_devices WHERE serial_number = 'ABM00000003'") == "iPad Pro (renamed)");
  CHECK(Q("SELECT deleted_at IS NOT NULL FROM dep_devices WHERE serial_number = 'ABM00000004'") == "t");
  CHECK(Q("SELECT assign_result FROM dep_devices WHERE serial_number = 'ABM00000099'") == "SUCCESS");
  auto assigns = abm.Requests();
  std::string last_assign;
  for (auto& q : assigns)
    if (q.path == "/profile/devices") last_assign = q.body;
  CHECK_THAT(last_assign, Catch::Contains("ABM00000099") && !Catch::Contains("ABM00000001"));

  // A changed activation profile is defined again and assigned again.
  REQUIRE(SharedStack().Console({"activation-profile", "set", Profile("Corp v2")}).exit_code == 0);
  auto third = Sync();
  INFO(third.output);
  REQUIRE(third.exit_code == 0);
  CHECK_THAT(third.output, Catch::Contains("profile defined"));
  CHECK(Count(abm, "POST", "/profile") == 2);
  CHECK(Q("SELECT count(DISTINCT profile_uuid) FROM dep_devices WHERE deleted_at IS NULL") == "1");
}

TEST_CASE("an expired cursor restarts the full fetch cleanly", "[abm]") {
  FakeAbm& abm = Abm();
  REQUIRE(Sync().exit_code == 0);
  abm.SetControl("{\"expire_cursors\": true}");
  auto r = Sync();
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("cursor expired: full fetch again"));
  CHECK(Q("SELECT count(*) FROM dep_devices WHERE source = 'abm' AND deleted_at IS NULL") == "25");
  CHECK(Q("SELECT value FROM settings WHERE name = 'abm.cursor_mode'") == "sync");
}

TEST_CASE("a 401 mid-run re-authenticates; a 429 is waited out", "[abm]") {
  FakeAbm& abm = Abm();
  REQUIRE(Sync().exit_code == 0);
  size_t sessions = Count(abm, "GET", "/session");
  abm.SetControl("{\"fail_after\": 1, \"changes\": [{\"serial\": \"ABM00000100\", \"op_type\": \"added\"}]}");
  auto r = Sync();
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(Count(abm, "GET", "/session") >= sessions + 2);
  CHECK(Q("SELECT count(*) FROM dep_devices WHERE serial_number = 'ABM00000100'") == "1");

  abm.SetControl("{\"rate_limit\": {\"after\": 1, \"retry_after\": 1}, \"changes\": [{\"serial\": \"ABM00000100\", "
                 "\"op_type\": \"added\"}, {\"serial\": \"ABM00000101\", \"op_type\": \"added\"}]}");
  time_t start = std::time(nullptr);
  auto limited = Sync();
  INFO(limited.output);
  REQUIRE(limited.exit_code == 0);
  CHECK(std::time(nullptr) - start >= 1);
  auto all = abm.Requests();
  CHECK(std::any_of(all.begin(), all.end(), [](const FakeAbm::Request& q) { return q.status == 429; }));
  CHECK(Q("SELECT count(*) FROM dep_devices WHERE serial_number = 'ABM00000101'") == "1");
}

TEST_CASE("a wrong OAuth signature is refused, with a clear message", "[abm]") {
  Abm();
  std::string good = Q("SELECT value FROM settings WHERE name = 'abm.token'");
  std::string bad = good;
  auto at = bad.find("\"CS_");
  REQUIRE(at != std::string::npos);
  bad[at + 4] = bad[at + 4] == 'x' ? 'y' : 'x';  // another consumer secret: the signature is wrong
  SharedStack().SetSetting(setting::kAbmToken, bad);
  auto r = Sync();
  SharedStack().SetSetting(setting::kAbmToken, good);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("refused the server token") && Catch::Contains("token upload"));
}

TEST_CASE("a second applesync at the same time exits quietly; a near expiry warns", "[abm]") {
  Abm();
  auto conn = SharedStack().Connect();
  pqxx::nontransaction tx(*conn);
  tx.exec("SELECT pg_advisory_lock(" + std::to_string(0x6d646d2d61626d73LL) + ")");
  auto r = SharedStack().Console({"applesync"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("another run holds the lock"));
  tx.exec("SELECT pg_advisory_unlock_all()");

  std::string expires = Q("SELECT value FROM settings WHERE name = 'abm.token_expires_at'");
  SharedStack().SetSetting(setting::kAbmTokenExpires, std::to_string(std::time(nullptr) + 10 * 86400));
  auto warn = Sync();
  SharedStack().SetSetting(setting::kAbmTokenExpires, expires);
  CHECK(warn.exit_code == 0);
  CHECK_THAT(warn.output, Catch::Contains("warning: the ABM/ASM server token expires in"));
}

TEST_CASE("applesync files abm.DeviceChanged for each device it stores, for a webhook that takes it", "[abm]") {
  FakeAbm& abm = Abm();
  auto& s = SharedStack();
  REQUIRE(Sync().exit_code == 0);
  mdm::test::WebhookReceiver rx("");
  REQUIRE(s.Console({"webhook", "add", rx.url(), "--events", "abm.DeviceChanged"}).exit_code == 0);
  abm.SetControl("{\"changes\": [{\"serial\": \"ABM00000005\", \"op_type\": \"modified\", \"model\": \"iPad (webhook)\"}, "
                 "{\"serial\": \"ABM00000200\", \"op_type\": \"added\", \"model\": \"iPhone 15\"}]}");
  auto sync = Sync();
  INFO(sync.output);
  REQUIRE(sync.exit_code == 0);
  auto deliver = s.Console({"webhook", "deliver"});
  INFO(deliver.output);
  REQUIRE(deliver.exit_code == 0);
  std::map<std::string, std::pair<std::string, std::string>> got;  // serial -> (op_type, model)
  for (const auto& r : rx.Events()) {
    CHECK(r.status == 200);
    rapidjson::Document d;
    d.Parse(r.event.c_str());
    REQUIRE(d.IsObject());
    CHECK(std::string(d["topic"].GetString()) == "abm.DeviceChanged");
    const auto& e = d["abm_event"];
    got[e["serial_number"].GetString()] = {e["op_type"].GetString(), e.HasMember("model") ? e["model"].GetString() : ""};
  }
  CHECK(got.size() == 2);
  CHECK(got["ABM00000005"] == std::make_pair(std::string("modified"), std::string("iPad (webhook)")));
  CHECK(got["ABM00000200"] == std::make_pair(std::string("added"), std::string("iPhone 15")));
  REQUIRE(s.Console({"webhook", "remove", rx.url()}).exit_code == 0);
}

TEST_CASE("a 429 or 503 at /session is waited out, not taken for a refused token", "[abm]") {
  FakeAbm& abm = Abm();
  REQUIRE(Sync().exit_code == 0);
  for (int status : {429, 503}) {
    abm.SetControl("{\"session_busy\": {\"status\": " + std::to_string(status) +
                   ", \"times\": 2, \"retry_after\": 1}}");
    size_t before = abm.Requests().size();
    time_t start = std::time(nullptr);
    auto r = Sync();
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, !Catch::Contains("refused the server token"));
    CHECK(std::time(nullptr) - start >= 2);
    auto all = abm.Requests();
    int busy = 0, granted = 0;
    for (size_t i = before; i < all.size(); ++i) {
      if (all[i].path != "/session") continue;
      busy += all[i].status == status;
      granted += all[i].status == 200;
    }
    CHECK(busy == 2);
    CHECK(granted == 1);
  }
  // Busy for longer than the client waits: a sentence that says to try later, not "upload a token".
  abm.SetControl("{\"session_busy\": {\"status\": 503, \"times\": 50, \"retry_after\": 0}}");
  auto r = Sync();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("answered HTTP 503 to GET /session") && Catch::Contains("try again later") &&
                           !Catch::Contains("token upload"));
  abm.SetControl("{}");
}

TEST_CASE("another server's token resets the cursor and the profile; the same token again does not", "[abm]") {
  FakeAbm& abm = Abm();
  REQUIRE(Sync().exit_code == 0);
  const std::string cursor = Q("SELECT value FROM settings WHERE name = 'abm.cursor'");
  const std::string uuid = Q("SELECT value FROM settings WHERE name = 'abm.profile_uuid'");
  REQUIRE(!cursor.empty());
  REQUIRE(!uuid.empty());

  // The same server's token uploaded again (a renewal keeps the consumer key): nothing resets.
  std::string again = UseAbm(abm);
  CHECK_THAT(again, !Catch::Contains("another MDM server"));
  CHECK(Q("SELECT value FROM settings WHERE name = 'abm.cursor'") == cursor);
  CHECK(Q("SELECT value FROM settings WHERE name = 'abm.profile_uuid'") == uuid);

  // Another MDM server (another consumer key and server UUID): a full fetch and a new profile.
  FakeAbm other(5, 1000);
  std::string moved = UseAbm(other);
  CHECK_THAT(moved, Catch::Contains("another MDM server's token"));
  CHECK(Q("SELECT count(*) FROM settings WHERE name IN ('abm.cursor', 'abm.profile_uuid', 'abm.account')") == "0");
  auto r = Sync();
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains(": fetch, 1 page(s), 5 device(s)") && Catch::Contains("profile defined") &&
                           Catch::Contains("assigned 5,"));
  CHECK(Count(other, "POST", "/profile") == 1);
  CHECK(Count(other, "POST", "/devices/sync") == 0);
  CHECK(Q("SELECT value FROM settings WHERE name = 'abm.profile_uuid'") != uuid);

  // Back to the first server, as the other tests expect it.
  CHECK_THAT(UseAbm(abm), Catch::Contains("another MDM server's token"));
  auto back = Sync();
  INFO(back.output);
  REQUIRE(back.exit_code == 0);
  CHECK_THAT(back.output, Catch::Contains(": fetch,") && Catch::Contains("profile defined"));
}
