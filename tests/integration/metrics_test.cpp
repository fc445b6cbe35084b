// GET /api-mdm.php/metrics (issue 14): the Prometheus exposition, behind the admin key. The
// counters live in memory the mdm-fcgi master shares with its 4 workers: whichever worker
// answers a scrape reports what all of them did, and a worker killed and replaced takes
// nothing away. The gauges come from one query; Debian's prometheus_client parses the text.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "sim_device.h"
#include "stack.h"
#include "store/settings.h"

using mdm::test::SharedStack;
using mdm::test::SimDevice;

namespace {

// A small device budget, so that a test can spend one (the others stay well below it).
const bool kConfigured = [] {
  mdm::test::StackOptions o;
  o.extra_config = "device_requests_per_minute = 40\n";
  mdm::test::ConfigureSharedStack(o);
  return true;
}();

const std::string kKey = "test-admin-key-0123456789";
const mdm::test::Headers kAdmin = {{"Authorization", "Bearer " + kKey}};

std::string Scrape() {
  auto r = SharedStack().Get("/metrics", kAdmin);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.body;
}

// The value of one series (name and labels exactly as written), 0 when it is absent.
double Value(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return 0;
}

bool Has(const std::string& text, const std::string& series) {
  return text.find("\n" + series + " ") != std::string::npos;
}

std::string Requests(const std::string& route, int code) {
  return "mdm_http_requests_total{route=\"" + route + "\",code=\"" + std::to_string(code) + "\"}";
}

// Checks the text with the Prometheus client's parser (tests/scripts/check_metrics.py).
void CheckWithPrometheusParser(const std::string& text, const std::vector<std::string>& families) {
  std::string file = SharedStack().root() + "/scrape.txt";
  mdm::test::WriteFile(file, text);
  std::vector<std::string> argv = {"/usr/bin/python3", MDM_SOURCE_DIR "/tests/scripts/check_metrics.py", file};
  argv.insert(argv.end(), families.begin(), families.end());
  auto r = mdm::test::Run(argv);
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

std::set<pid_t> Workers() {
  auto v = SharedStack().WorkerPids();
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE("metrics answer only with the admin key, as the admin API does", "[metrics]") {
  auto& s = SharedStack();
  auto admin = s.Get("/v1/devices");
  auto none = s.Get("/metrics");
  CHECK(none.status == 401);
  CHECK(none.status == admin.status);
  CHECK(none.headers["www-authenticate"] == "Bearer");
  CHECK(none.body.find("mdm_") == std::string::npos);
  CHECK(s.Get("/metrics", {{"Authorization", "Bearer wrong-key"}}).status == 401);
  CHECK(s.Get("/metrics", {{"Authorization", "Basic " + kKey}}).status == 401);
  auto api_key = s.Get("/metrics", {{"X-API-Key", kKey}});
  CHECK(api_key.status == 200);
  auto ok = s.Get("/metrics", kAdmin);
  REQUIRE(ok.status == 200);
  CHECK(ok.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(s.Send("POST", "/metrics", "", kAdmin).status == 405);
  // The refusals are counted too (from the first worker that answered them, summed over all).
  std::string t = Scrape();
  CHECK(Value(t, Requests("/metrics", 401)) >= 3);
  CHECK(Value(t, Requests("/metrics", 405)) >= 1);
}

TEST_CASE("metrics count what devices did, summed over all worker processes, and survive a worker's death",
          "[metrics]") {
  auto& s = SharedStack();
  REQUIRE(Workers().size() == 4);
  const std::string before = Scrape();

  // One device: enrolls (2 check-ins), gets a command, answers it, then idles.
  SimDevice d = mdm::test::EnrolledDevice(s);
  auto queued = s.Send("POST", "/v1/commands?nopush=1",
                       "{\"enrollment_ids\": [\"" + d.udid() + "\"], \"request_type\": \"DeviceInformation\", "
                       "\"parameters\": {\"Queries\": [\"DeviceName\"]}}",
                       {{"Authorization", "Bearer " + kKey}, {"Content-Type", "application/json"}});
  INFO(queued.body);
  REQUIRE(queued.status == 200);
  const std::string waiting = Scrape();
  CHECK(Value(waiting, "mdm_command_queue_depth{status=\"Pending\"}") ==
        Value(before, "mdm_command_queue_depth{status=\"Pending\"}") + 1);
  CHECK(Value(waiting, "mdm_command_queue_oldest_age_seconds") >= 0);
  CHECK(Value(waiting, "mdm_commands_queued_total") == Value(before, "mdm_commands_queued_total") + 1);

  auto cmd = mdm::test::ParseCommand(d.Idle());
  REQUIRE(cmd);
  REQUIRE(d.Answer(*cmd).status == 200);
  REQUIRE(d.Idle().status == 200);
  // An unsigned request: refused before anything is parsed.
  auto unsigned_request = d.SendRaw("/mdm", "<plist/>", {{"Content-Type", "application/x-apple-aspen-mdm"}});
  CHECK(unsigned_request.status == 400);

  // Four more devices idle at once, so that every worker process serves some of it.
  constexpr int kDevices = 4, kIdles = 25;
  std::vector<SimDevice> fleet;
  for (int i = 0; i < kDevices; ++i) fleet.push_back(mdm::test::EnrolledDevice(s));
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (auto& f : fleet)
    clients.emplace_back([&ok, dev = &f] {
      for (int i = 0; i < kIdles; ++i) ok += dev->Idle().status == 200;
    });
  for (auto& t : clients) t.join();
  REQUIRE(ok == kDevices * kIdles);

  const std::string after = Scrape();
  INFO(after);
  auto delta = [&](const std::string& series) { return Value(after, series) - Value(before, series); };
  const int checkins = 2 * (1 + kDevices), mdm_ok = 3 + kDevices * kIdles;
  CHECK(delta(Requests("/checkin", 200)) == checkins);
  CHECK(delta(Requests("/mdm", 200)) == mdm_ok);
  CHECK(delta(Requests("/mdm", 400)) == 1);
  CHECK(delta(Requests("/v1/*", 200)) == 1);
  CHECK(delta(Requests("/metrics", 200)) == 2);  // `before` and `waiting`; this one counts after it is answered
  CHECK(delta("mdm_http_request_duration_seconds_count{route=\"/mdm\"}") == mdm_ok + 1);
  CHECK(delta("mdm_http_request_duration_seconds_bucket{route=\"/mdm\",le=\"+Inf\"}") == mdm_ok + 1);
  CHECK(delta("mdm_http_request_duration_seconds_sum{route=\"/mdm\"}") > 0);
  CHECK(delta("mdm_device_auth_verified_total") == checkins + mdm_ok);
  CHECK(delta("mdm_device_auth_refused_total{reason=\"no_identity\"}") == 1);
  CHECK(delta("mdm_device_auth_refused_total{reason=\"bad_signature\"}") == 0);
  CHECK(delta("mdm_commands_delivered_total") == 1);
  CHECK(delta("mdm_commands_answered_total{status=\"Acknowledged\"}") == 1);
  CHECK(delta("mdm_commands_answered_total{status=\"NotNow\"}") == 0);
  CHECK(delta("mdm_device_rate_limited_total") == 0);
  CHECK(delta("mdm_database_connection_errors_total") == 0);
  CHECK(Value(after, "mdm_command_queue_depth{status=\"Pending\"}") ==
        Value(before, "mdm_command_queue_depth{status=\"Pending\"}"));
  CHECK(Value(after, "mdm_database_up") == 1);

  // Scrapes land on whichever worker accepts them: every one reports the same totals.
  for (int i = 0; i < 8; ++i) {
    std::string again = Scrape();
    CHECK(Value(again, Requests("/mdm", 200)) == Value(after, Requests("/mdm", 200)));
    CHECK(Value(again, "mdm_device_auth_verified_total") == Value(after, "mdm_device_auth_verified_total"));
  }

  // kill -9 of a worker: its replacement starts from the shared numbers, not from zero.
  auto workers = Workers();
  pid_t victim = *workers.begin();
  REQUIRE(kill(victim, SIGKILL) == 0);
  bool replaced = false;
  for (int i = 0; i < 200 && !replaced; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    auto now = Workers();
    replaced = now.size() == 4 && now.count(victim) == 0;
  }
  REQUIRE(replaced);
  for (int i = 0; i < 8; ++i) {
    std::string later = Scrape();
    CHECK(Value(later, Requests("/mdm", 200)) == Value(after, Requests("/mdm", 200)));
    CHECK(Value(later, "mdm_commands_delivered_total") == Value(after, "mdm_commands_delivered_total"));
    CHECK(Value(later, "mdm_worker_deaths_total") == Value(after, "mdm_worker_deaths_total") + 1);
  }
}

TEST_CASE("metrics count the requests a device's budget refuses with 429", "[metrics]") {
  auto& s = SharedStack();
  SimDevice d = mdm::test::EnrolledDevice(s);  // 2 of its 40
  const std::string before = Scrape();
  int limited = 0;
  for (int i = 0; i < 45; ++i) limited += d.Idle().status == 429;
  CHECK(limited >= 5);
  const std::string after = Scrape();
  CHECK(Value(after, "mdm_device_rate_limited_total") - Value(before, "mdm_device_rate_limited_total") == limited);
  CHECK(Value(after, Requests("/mdm", 429)) - Value(before, Requests("/mdm", 429)) == limited);
}

TEST_CASE("metrics read the queue, pushes, cron runs and expiry dates from the database", "[metrics]") {
  auto& s = SharedStack();
  SimDevice dead = mdm::test::EnrolledDevice(s), sent = mdm::test::EnrolledDevice(s);
  const std::string before = Scrape();
  s.Query("UPDATE enrollments SET push_token_invalid_at = now(), last_push_error = '410 Unregistered' "
          "WHERE id = '" + dead.udid() + "'");
  s.Query("UPDATE enrollments SET last_push_at = now(), last_push_error = NULL WHERE id = '" + sent.udid() + "'");
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  s.SetSetting(mdm::store::setting::kPushExpires, std::to_string(now + 5 * 86400));

  // applesync without a server token fails (exit 1); mdmcron --no-push works.
  auto sync = s.Console({"applesync"});
  CHECK(sync.exit_code == 1);
  auto cron = s.Console({"mdmcron", "--no-push"});
  INFO(cron.output);
  CHECK(cron.exit_code == 0);

  const std::string t = Scrape();
  INFO(t);
  CHECK(Value(t, "mdm_push_enrollments{outcome=\"token_dead\"}") ==
        Value(before, "mdm_push_enrollments{outcome=\"token_dead\"}") + 1);
  CHECK(Value(t, "mdm_push_enrollments{outcome=\"sent\"}") ==
        Value(before, "mdm_push_enrollments{outcome=\"sent\"}") + 1);
  CHECK(Value(t, "mdm_push_enrollments{outcome=\"never\"}") ==
        Value(before, "mdm_push_enrollments{outcome=\"never\"}") - 2);
  CHECK(std::fabs(Value(t, "mdm_push_last_sent_timestamp_seconds") - static_cast<double>(now)) < 120);

  CHECK(Value(t, "mdm_cron_last_run_success{verb=\"mdmcron\"}") == 1);
  CHECK(Value(t, "mdm_cron_last_run_exit_status{verb=\"mdmcron\"}") == 0);
  CHECK(std::fabs(Value(t, "mdm_cron_last_run_timestamp_seconds{verb=\"mdmcron\"}") - static_cast<double>(now)) < 120);
  CHECK(Has(t, "mdm_cron_last_run_duration_seconds{verb=\"mdmcron\"}"));
  CHECK(Value(t, "mdm_cron_last_run_success{verb=\"applesync\"}") == 0);
  CHECK(Value(t, "mdm_cron_last_run_exit_status{verb=\"applesync\"}") == 1);
  CHECK(s.Query("SELECT summary FROM cron_runs WHERE verb = 'mdmcron'").rfind("mdmcron: reconcile: done", 0) == 0);

  // The same dates `mdm-console status` reports.
  CHECK(Value(t, "mdm_certificate_days_to_expiry{certificate=\"apns_push\"}") == Approx(5).margin(0.01));
  CHECK(Value(t, "mdm_certificate_days_to_expiry{certificate=\"device_ca\"}") > 300);
  CHECK(Has(t, "mdm_certificate_expiry_timestamp_seconds{certificate=\"device_ca\"}"));
  auto status = s.Console({"status"});
  CHECK_THAT(status.output, Catch::Contains("device CA expires") && Catch::Contains("push certificate expires"));

  CheckWithPrometheusParser(
      t, {"mdm_http_requests_total", "mdm_http_request_duration_seconds", "mdm_device_auth_verified_total",
          "mdm_device_auth_refused_total", "mdm_device_rate_limited_total", "mdm_commands_delivered_total",
          "mdm_commands_answered_total", "mdm_database_connection_errors_total", "mdm_worker_deaths_total",
          "mdm_database_up", "mdm_command_queue_depth", "mdm_command_queue_oldest_age_seconds",
          "mdm_commands_queued_total", "mdm_push_enrollments", "mdm_cron_last_run_timestamp_seconds",
          "mdm_cron_last_run_duration_seconds", "mdm_cron_last_run_success", "mdm_certificate_days_to_expiry"});
  // And the parser refuses what is not the format, so the check above means something.
  std::string file = s.root() + "/broken.txt";
  mdm::test::WriteFile(file, "# TYPE x histogram\nx_bucket{le=\"1\"} 3\nx_bucket{le=\"+Inf\"} 2\nx_sum 1\nx_count 2\n");
  auto refused = mdm::test::Run({"/usr/bin/python3", MDM_SOURCE_DIR "/tests/scripts/check_metrics.py", file});
  CHECK(refused.exit_code == 1);
}
