// Webhooks (issue 14): device events in MicroMDM's format reach a receiver that verifies the
// HMAC, exactly once per event_id and in order per device, also when the receiver was down while
// the devices worked; failures are set aside and retried by the operator.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "console_checks.h"
#include "crypto/crypto.h"
#include "plist/property_list.h"
#include "sim_device.h"
#include "stack.h"
#include "webhook_receiver.h"

using mdm::test::ReadFile;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::WebhookReceiver;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSecret = "c3VwZXItc2VjcmV0LWhvb2sta2V5LTAxMjM0NTY3";

std::string SecretFile() {
  std::string f = SharedStack().root() + "/hook.key";
  mdm::test::WriteFile(f, kSecret + "\n", 0600);
  return f;
}

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// Every key of `sample` is in `event` with the same JSON type, objects compared key by key.
void CheckShape(const rapidjson::Value& sample, const rapidjson::Value& event, const std::string& where) {
  for (auto it = sample.MemberBegin(); it != sample.MemberEnd(); ++it) {
    std::string key = it->name.GetString();
    INFO(where << "." << key);
    auto found = event.FindMember(it->name);
    REQUIRE(found != event.MemberEnd());
    CHECK(found->value.GetType() == it->value.GetType());
    if (it->value.IsObject() && found->value.IsObject() && it->value.MemberCount() > 0)
      CheckShape(it->value, found->value, where + "." + key);
  }
}

// The received events as parsed documents, after checking each was signed and taken.
std::vector<rapidjson::Document> Received(const WebhookReceiver& rx) {
  std::vector<rapidjson::Document> out;
  for (const auto& r : rx.Events()) {
    if (r.status != 200) continue;
    INFO(r.event);
    CHECK(r.hmac == "ok");
    out.push_back(ParseJson(r.event));
  }
  return out;
}

std::string Udid(const rapidjson::Value& e) {
  for (const char* kind : {"checkin_event", "acknowledge_event", "device_event"})
    if (e.HasMember(kind) && e[kind].HasMember("udid")) return e[kind]["udid"].GetString();
  return "";
}

// Answers every command the device has waiting; returns the CommandUUIDs in the order answered.
std::vector<std::string> Drain(SimDevice& d, const std::map<int, std::string>& status_of_nth = {}) {
  std::vector<std::string> answered;
  auto cmd = mdm::test::ParseCommand(d.Idle());
  while (cmd) {
    auto it = status_of_nth.find(static_cast<int>(answered.size()));
    std::string status = it == status_of_nth.end() ? "Acknowledged" : it->second;
    auto r = d.Answer(*cmd, status);
    REQUIRE(r.status == 200);
    answered.push_back(cmd->command_uuid);
    cmd = mdm::test::ParseCommand(r);
  }
  return answered;
}

}  // namespace

TEST_CASE("webhook add refuses what cannot work, with one sentence", "[webhook]") {
  auto& s = SharedStack();
  mdm::test::CheckRefused(s, {"webhook", "add", "ftp://example.com/hook"}, "must start with https://");
  mdm::test::CheckRefused(s, {"webhook", "add", "https://user:pw@example.com/hook"}, "credentials");
  mdm::test::CheckRefused(s, {"webhook", "add", "https://example.com/hook", "--secret", "short"}, "shorter than 16");
  mdm::test::CheckRefused(s, {"webhook", "add", "https://example.com/hook", "--events", "mdm.Connect,mdm.Idle"},
                          "unknown event 'mdm.Idle'");
  mdm::test::CheckRefused(s, {"webhook", "remove", "999"}, "no webhook '999'");
  CHECK(s.Query("SELECT count(*) FROM webhooks") == "0");
}

TEST_CASE("events reach a receiver that was down, once each, in order per device, signed, in MicroMDM's shape",
          "[webhook]") {
  auto& s = SharedStack();
  WebhookReceiver rx(kSecret);
  auto add = s.Console({"webhook", "add", rx.url(), "--secret-file", SecretFile()});
  INFO(add.output);
  REQUIRE(add.exit_code == 0);

  auto d1 = mdm::test::EnrolledDevice(s);
  auto d2 = mdm::test::EnrolledDevice(s);
  auto first = s.Console({"webhook", "deliver"});
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK_THAT(first.output, Catch::Contains("4 delivered"));
  REQUIRE(Received(rx).size() == 4);

  // The receiver goes away; the devices go on, and are answered as fast as ever.
  rx.Stop();
  std::vector<std::string> args = {d1.udid(), d2.udid(), "DeviceInformation", "Queries=DeviceName,OSVersion", "--no-push"};
  for (int i = 0; i < 5; ++i) mdm::test::QueueCommand(s, args);
  auto t0 = Clock::now();
  auto order1 = Drain(d1, {{3, "Error"}});
  auto order2 = Drain(d2);
  double answer_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / 24;
  REQUIRE(order1.size() == 5);
  REQUIRE(order2.size() == 5);
  REQUIRE(d2.CheckOut().status == 200);
  auto down = s.Console({"webhook", "deliver"});
  INFO(down.output);
  CHECK(down.exit_code == 3);
  CHECK_THAT(down.output, Catch::Contains("11 waiting") && Catch::Contains("Couldn't connect"));
  CHECK(s.Query("SELECT count(*) FROM webhook_outbox WHERE failed_at IS NULL") == "11");
  auto list = s.Console({"webhook", "list"});
  CHECK_THAT(list.output, Catch::Contains("waiting=11") && Catch::Contains("signed"));

  // Back on the same port: the follower delivers everything once its backoff is over.
  rx.Start();
  mdm::test::Process follower({MDM_CONSOLE_BIN, "--config", s.config_path(), "webhook", "deliver", "--follow"},
                              s.root() + "/follower.log");
  auto start = Clock::now();
  while (Received(rx).size() < 15 && Clock::now() - start < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  double caught_up = std::chrono::duration<double>(Clock::now() - start).count();
  // A new event while following goes out at once (NOTIFY).
  auto d3 = mdm::test::EnrolledDevice(s);
  auto t1 = Clock::now();
  while (Received(rx).size() < 17 && Clock::now() - t1 < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double notify_ms = std::chrono::duration<double, std::milli>(Clock::now() - t1).count();
  follower.Stop();
  INFO(ReadFile(s.root() + "/follower.log"));

  auto events = Received(rx);
  std::printf("webhook: 2 devices, receiver down for 11 events (%.1f ms per device request meanwhile); back: "
              "all delivered %.1f s later; a new event while following arrived in %.0f ms; %zu events in all\n",
              answer_ms, caught_up, notify_ms, events.size());
  REQUIRE(events.size() == 17);
  // Exactly once per event_id; every post was signed and taken.
  std::set<std::string> ids;
  for (const auto& e : events) ids.insert(e["event_id"].GetString());
  CHECK(ids.size() == events.size());
  for (const auto& r : rx.Events()) CHECK(r.hmac == "ok");

  // In order per device.
  std::map<std::string, std::vector<std::string>> seen;  // udid -> topic[:command_uuid]
  for (const auto& e : events) {
    std::string item = e["topic"].GetString();
    if (e.HasMember("acknowledge_event")) item += std::string(":") + e["acknowledge_event"]["command_uuid"].GetString();
    seen[Udid(e)].push_back(item);
  }
  std::vector<std::string> want1 = {"mdm.Authenticate", "mdm.TokenUpdate"};
  for (const auto& u : order1) want1.push_back("mdm.Connect:" + u);
  std::vector<std::string> want2 = {"mdm.Authenticate", "mdm.TokenUpdate"};
  for (const auto& u : order2) want2.push_back("mdm.Connect:" + u);
  want2.push_back("mdm.CheckOut");
  CHECK(seen[d1.udid()] == want1);
  CHECK(seen[d2.udid()] == want2);
  CHECK(seen[d3.udid()] == std::vector<std::string>{"mdm.Authenticate", "mdm.TokenUpdate"});

  // The shape of MicroMDM's documentation, and what the fields hold.
  auto sample = ParseJson(ReadFile(std::string(MDM_SOURCE_DIR) + "/tests/fixtures/webhook/micromdm_events.json"));
  for (const auto& e : events) {
    std::string topic = e["topic"].GetString();
    const char* kind = topic == "mdm.Connect" ? "acknowledge_event" : "checkin_event";
    CheckShape(sample[kind], e, topic);
    CHECK(std::string(e["created_at"].GetString()).size() >= 20);
    std::string raw;
    REQUIRE(mdm::crypto::Base64Decode(e[kind]["raw_payload"].GetString(), &raw));
    auto plist = mdm::plist::ParseDict(raw);
    REQUIRE(plist.ok());
    CHECK(mdm::plist::GetString(plist->get(), "UDID").value_or("") == Udid(e));
    if (topic == "mdm.TokenUpdate") CHECK(e["checkin_event"]["token_update_tally"].GetInt() == 1);
    if (topic == "mdm.Connect") {
      std::string status = e["acknowledge_event"]["status"].GetString();
      // d1 answered its fourth command with Error; everything else was Acknowledged.
      bool error = Udid(e) == d1.udid() && e["acknowledge_event"]["command_uuid"].GetString() == order1[3];
      CHECK(status == (error ? "Error" : "Acknowledged"));
      CHECK(mdm::plist::GetString(plist->get(), "CommandUUID").value_or("") ==
            e["acknowledge_event"]["command_uuid"].GetString());
    }
  }
  CHECK(s.Query("SELECT count(*) FROM webhook_outbox") == "0");
  REQUIRE(s.Console({"webhook", "remove", rx.url()}).exit_code == 0);
}

TEST_CASE("events failing past the give-up window are set aside, listed, and retried by the operator", "[webhook]") {
  auto& s = SharedStack();
  WebhookReceiver rx(kSecret);
  REQUIRE(s.Console({"webhook", "add", rx.url(), "--secret-file", SecretFile(), "--events", "mdm.Connect"}).exit_code == 0);
  auto d = mdm::test::EnrolledDevice(s);  // no events: this webhook takes mdm.Connect only
  mdm::test::QueueCommand(s, {d.udid(), "DeviceInformation", "Queries=DeviceName", "--no-push"});
  mdm::test::QueueCommand(s, {d.udid(), "SecurityInfo", "--no-push"});
  REQUIRE(Drain(d).size() == 2);
  rx.ForceAnswer(500);
  // Filed two days ago: the first failure is past the default 24 hours.
  s.Query("UPDATE webhook_outbox SET created_at = now() - interval '2 days'");
  auto r = s.Console({"webhook", "deliver"});
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.output, Catch::Contains("HTTP 500"));
  // The device's first event was set aside; the second goes after it (order), set aside too.
  for (int i = 0; i < 3 && s.Query("SELECT count(*) FROM webhook_outbox WHERE failed_at IS NULL") != "0"; ++i) {
    s.Query("UPDATE webhook_outbox SET next_attempt_at = now()");
    s.Console({"webhook", "deliver"});
  }
  auto failures = s.Console({"webhook", "failures"});
  INFO(failures.output);
  CHECK_THAT(failures.output, Catch::Contains("mdm.Connect") && Catch::Contains("HTTP 500") && Catch::Contains(d.udid()));
  CHECK(s.Query("SELECT count(*) FROM webhook_outbox WHERE failed_at IS NOT NULL") == "2");

  rx.ForceAnswer(0);
  auto retry = s.Console({"webhook", "retry", rx.url()});
  CHECK_THAT(retry.output, Catch::Contains("2 event(s) back in line"));
  auto again = s.Console({"webhook", "deliver"});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("2 delivered"));
  auto events = Received(rx);
  REQUIRE(events.size() == 2);
  CHECK(std::string(events[0]["topic"].GetString()) == "mdm.Connect");
  CHECK(s.Query("SELECT count(*) FROM webhook_outbox") == "0");
  // test posts one event now.
  auto t = s.Console({"webhook", "test", rx.url()});
  CHECK(t.exit_code == 0);
  CHECK_THAT(t.output, Catch::Contains("HTTP 200"));
  REQUIRE(s.Console({"webhook", "remove", rx.url()}).exit_code == 0);
}

TEST_CASE("an operator's removal is an event too; with no webhook nothing is filed", "[webhook]") {
  auto& s = SharedStack();
  auto quiet = mdm::test::EnrolledDevice(s);
  CHECK(s.Query("SELECT count(*) FROM webhook_outbox") == "0");
  WebhookReceiver rx(kSecret);
  REQUIRE(s.Console({"webhook", "add", rx.url(), "--secret-file", SecretFile(), "--events", "mdm.DeviceRemoved"})
              .exit_code == 0);
  REQUIRE(s.Console({"device", "remove", quiet.udid()}).exit_code == 0);
  REQUIRE(s.Console({"webhook", "deliver"}).exit_code == 0);
  auto events = Received(rx);
  REQUIRE(events.size() == 1);
  CHECK(std::string(events[0]["topic"].GetString()) == "mdm.DeviceRemoved");
  CHECK(std::string(events[0]["device_event"]["udid"].GetString()) == quiet.udid());
  REQUIRE(s.Console({"webhook", "remove", rx.url()}).exit_code == 0);
}
