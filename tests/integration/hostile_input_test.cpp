// Hostile input through the real stack (issue 18): each request an attacker could send, with no
// certificate or with a stolen device key, gets a 4xx, stores nothing, and leaves every worker
// process alive; /health stays 200.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sim_device.h"
#include "stack.h"

using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;

namespace {

const char* kCheckinType = "application/x-apple-aspen-mdm-checkin";
const char* kReportType = "application/x-apple-aspen-mdm";

// Bodies up to 8 MiB, as in production (the harness's default is 1 MiB).
const bool kConfigured = [] {
  mdm::test::StackOptions o;
  o.max_body_bytes = 8 * 1024 * 1024;
  mdm::test::ConfigureSharedStack(o);
  return true;
}();

SimDevice EnrolledDevice() { return mdm::test::EnrolledDevice(SharedStack()); }

std::vector<pid_t> Workers() {
  auto pids = SharedStack().WorkerPids();
  std::sort(pids.begin(), pids.end());
  return pids;
}

// What a refused request must leave untouched.
std::string Stored() {
  return SharedStack().Query(
      "SELECT (SELECT count(*) FROM devices) || '/' || (SELECT count(*) FROM enrollments) || '/' || "
      "(SELECT count(*) FROM commands) || '/' || (SELECT count(*) FROM command_queue) || '/' || "
      "(SELECT coalesce(string_agg(id || status || coalesce(encode(push_token, 'hex'), ''), ',' ORDER BY id), '') "
      " FROM enrollments)");
}

// An Authenticate whose UDID holds a NUL byte: 166 bytes, as in the report.
std::string NulAuthenticate() {
  std::string body =
      "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>MessageType</key><string>Authenticate</string>"
      "<key>UDID</key><string>00008030-00010001A";
  body.push_back('\0');
  body += "B</string></dict></plist>";
  return body;
}

std::string NulIdle() {
  std::string body =
      "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Status</key><string>Idle</string>"
      "<key>UDID</key><string>A";
  body.push_back('\0');
  body += "B</string></dict></plist>";
  return body;
}

// A file of tests/fixtures/hostile (tests/fixtures/hostile/make_fixtures.py writes them).
std::string Fixture(const std::string& name) {
  return mdm::test::ReadFile(std::string(MDM_SOURCE_DIR) + "/tests/fixtures/hostile/" + name);
}

// Checks the answer is a 4xx, nothing was stored, no worker died, and /health is 200.
void ExpectRefused(const mdm::test::HttpResponse& r, const std::string& stored_before,
                   const std::vector<pid_t>& workers_before) {
  INFO("status " << r.status << ": " << r.body.substr(0, 300) << r.error);
  CHECK(r.error.empty());
  CHECK(r.status >= 400);
  CHECK(r.status < 500);
  CHECK(r.status != 401);
  CHECK(Stored() == stored_before);
  CHECK(Workers() == workers_before);
  CHECK(SharedStack().Get("/health").status == 200);
}

}  // namespace

TEST_CASE("a NUL byte in a plist string, unsigned or signed, is a 400 and no worker dies", "[hostile]") {
  auto& s = SharedStack();
  SimDevice d = EnrolledDevice();
  auto before = Stored();
  auto workers = Workers();
  REQUIRE(workers.size() == 4);
  REQUIRE(NulAuthenticate().size() == 166);

  ExpectRefused(s.Send("PUT", "/checkin", NulAuthenticate(), {{"Content-Type", kCheckinType}}), before, workers);
  ExpectRefused(s.Send("PUT", "/mdm", NulIdle(), {{"Content-Type", kReportType}}), before, workers);
  // With a device's key (stolen, say): authenticated, then refused by the bounded parser.
  ExpectRefused(d.SendSigned("/checkin", NulAuthenticate(), kCheckinType), before, workers);
  ExpectRefused(d.SendSigned("/mdm", NulIdle(), kReportType), before, workers);
  std::string entity = NulAuthenticate();
  entity.replace(entity.find('\0'), 1, "&#0;");
  ExpectRefused(d.SendSigned("/checkin", entity, kCheckinType), before, workers);
  CHECK(d.Idle().status == 200);
}

TEST_CASE("100,000 nested arrays in a binary plist are a 400, quickly, signed or not", "[hostile]") {
  auto& s = SharedStack();
  SimDevice d = EnrolledDevice();
  auto before = Stored();
  auto workers = Workers();
  std::string deep = Fixture("deep-100k.bplist");
  REQUIRE(deep.size() > 500000);
  auto start = std::chrono::steady_clock::now();
  ExpectRefused(s.Send("PUT", "/checkin", deep, {{"Content-Type", kCheckinType}}), before, workers);
  ExpectRefused(s.Send("PUT", "/mdm", deep, {{"Content-Type", kReportType}}), before, workers);
  ExpectRefused(d.SendSigned("/mdm", deep, kReportType), before, workers);
  ExpectRefused(d.SendSigned("/checkin", deep, kCheckinType), before, workers);
  ExpectRefused(d.SendSigned("/mdm", Fixture("deep-100k.xml"), kReportType), before, workers);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Each refusal is a linear scan, not a parse: far below the 6 s one 50,000-deep parse took.
  CHECK(seconds < 10);
  CHECK(d.Idle().status == 200);
}

TEST_CASE("every hostile fixture is a 400 at /checkin and /mdm, signed or not, and no worker dies", "[hostile]") {
  auto& s = SharedStack();
  SimDevice d = EnrolledDevice();
  auto before = Stored();
  auto workers = Workers();
  std::string list = Fixture("expected-reasons.txt");
  int files = 0;
  for (size_t pos = 0; pos < list.size();) {
    size_t end = list.find('\n', pos);
    if (end == std::string::npos) end = list.size();
    std::string line = list.substr(pos, end - pos);
    pos = end + 1;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string name = line.substr(0, tab);
    INFO(name);
    std::string body = Fixture(name);
    ++files;
    ExpectRefused(s.Send("PUT", "/checkin", body, {{"Content-Type", kCheckinType}}), before, workers);
    auto checkin = d.SendSigned("/checkin", body, kCheckinType);
    ExpectRefused(checkin, before, workers);
    auto report = d.SendSigned("/mdm", body, kReportType);
    ExpectRefused(report, before, workers);
    CHECK(report.status == 400);
  }
  CHECK(files > 40);
  CHECK(d.Idle().status == 200);
}

TEST_CASE("4,000,000 nested JSON arrays to the admin API are a 400 and no worker dies", "[hostile]") {
  auto& s = SharedStack();
  auto before = Stored();
  auto workers = Workers();
  std::string body(4000000, '[');
  ExpectRefused(s.Send("POST", "/v1/commands", body,
                       {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-admin-key-0123456789"}}),
                before, workers);
}

TEST_CASE("invalid UTF-8 in a path segment is the client's fault: 4xx, not 500", "[hostile]") {
  auto& s = SharedStack();
  auto before = Stored();
  auto workers = Workers();
  ExpectRefused(s.Get("/enroll/%FF%FE"), before, workers);
  ExpectRefused(s.Get("/v1/devices/%FF%FE", {{"Authorization", "Bearer test-admin-key-0123456789"}}), before, workers);
  // Escaped twice: nginx decodes once, the admin API once more.
  ExpectRefused(s.Get("/v1/devices/%25FF%25FE", {{"Authorization", "Bearer test-admin-key-0123456789"}}), before,
                workers);
  ExpectRefused(s.Get("/parameters?format=%FF%FE"), before, workers);
}

TEST_CASE("a JSON string with a NUL is refused, not cut at the NUL and queued", "[hostile]") {
  auto& s = SharedStack();
  SimDevice d = EnrolledDevice();
  auto before = Stored();
  auto workers = Workers();
  std::string body = "{\"enrollment_ids\": [\"" + d.udid() + "\"], \"request_type\": \"DeviceLock\\u0000x\"}";
  ExpectRefused(s.Send("POST", "/v1/commands?nopush=1", body,
                       {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-admin-key-0123456789"}}),
                before, workers);
  std::string key = "{\"enrollment_ids\": [\"" + d.udid() + "\\u0000\"], \"request_type\": \"DeviceLock\"}";
  ExpectRefused(s.Send("POST", "/v1/commands?nopush=1", key,
                       {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-admin-key-0123456789"}}),
                before, workers);
}

TEST_CASE("two Mdm-Signature headers are ambiguous: 400, even when one of them is valid", "[hostile]") {
  SimDevice d = EnrolledDevice();
  auto before = Stored();
  auto workers = Workers();
  std::string idle =
      "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>Status</key><string>Idle</string>"
      "<key>UDID</key><string>" + d.udid() + "</string></dict></plist>";
  SimDevice other = EnrolledDevice();
  before = Stored();
  for (const auto& order : {std::pair{d.Signature(idle), other.Signature(idle)},
                            std::pair{other.Signature(idle), d.Signature(idle)}}) {
    auto r = d.SendRaw("/mdm", idle,
                       {{"Content-Type", kReportType}, {"Mdm-Signature", order.first}, {"Mdm-Signature", order.second}});
    ExpectRefused(r, before, workers);
    CHECK(r.status == 400);
  }
  // One signature, the device's own: accepted.
  CHECK(d.SendRaw("/mdm", idle, {{"Content-Type", kReportType}, {"Mdm-Signature", d.Signature(idle)}}).status == 200);
}

TEST_CASE("the admin API's Authorization scheme is case-insensitive; two keys are refused", "[hostile]") {
  auto& s = SharedStack();
  for (const char* scheme : {"Bearer ", "bearer ", "BEARER ", "Bearer   "}) {
    INFO(scheme);
    CHECK(s.Get("/v1/devices", {{"Authorization", std::string(scheme) + "test-admin-key-0123456789"}}).status == 200);
  }
  CHECK(s.Get("/v1/devices", {{"Authorization", "Basic test-admin-key-0123456789"}}).status == 401);
  CHECK(s.Get("/v1/devices", {{"Authorization", "Bearer wrong"}}).status == 401);
  auto twice = s.Get("/v1/devices", {{"X-API-Key", "wrong"}, {"X-API-Key", "test-admin-key-0123456789"}});
  CHECK(twice.status == 400);
}

TEST_CASE("eight megabytes of junk, unsigned or signed, are refused without harm", "[hostile]") {
  auto& s = SharedStack();
  SimDevice d = EnrolledDevice();
  auto before = Stored();
  auto workers = Workers();
  std::string junk(8 * 1024 * 1024 - 4096, '\xff');
  ExpectRefused(s.Send("PUT", "/checkin", junk, {{"Content-Type", kCheckinType}}), before, workers);
  ExpectRefused(d.SendSigned("/mdm", junk, kReportType), before, workers);
  std::string strings = "<?xml version=\"1.0\"?><plist version=\"1.0\"><array>";
  while (strings.size() < 8 * 1024 * 1024 - 8192) strings += "<string>x</string>";
  strings += "</array></plist>";
  ExpectRefused(d.SendSigned("/mdm", strings, kReportType), before, workers);
  CHECK(d.Idle().status == 200);
  CHECK(s.WorkerLog().find("worker_died") == std::string::npos);
}

TEST_CASE("SCEP reads at most 64 KiB of an unauthenticated PKIOperation", "[hostile]") {
  auto& s = SharedStack();
  auto before = Stored();
  auto workers = Workers();
  std::string der(100 * 1024, '\x30');
  auto r = s.Send("POST", "/scep?operation=PKIOperation", der, {{"Content-Type", "application/x-pki-message"}});
  ExpectRefused(r, before, workers);
  CHECK_THAT(r.body, Catch::Contains("64 KiB"));
  // A nest of 4,000 ASN.1 SEQUENCEs: OpenSSL's DER parser has a depth limit of its own.
  std::string nest;
  for (int i = 0; i < 4000; ++i) nest += "\x30\x80";
  ExpectRefused(s.Send("POST", "/scep?operation=PKIOperation", nest, {{"Content-Type", "application/x-pki-message"}}),
                before, workers);
}
