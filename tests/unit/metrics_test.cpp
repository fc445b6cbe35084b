#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "crypto/crypto.h"
#include "metrics/database_gauges.h"
#include "metrics/metrics.h"
#include "service/device_auth.h"
#include "test_pki.h"

using namespace mdm;
using metrics::Counters;
using metrics::Route;
using metrics::TextWriter;

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Checks the shape the 0.0.4 text format asks for: every line ends in a newline; each family's
// HELP then TYPE come once, before its samples; each sample belongs to the family above it
// (a histogram's as name_bucket, name_sum, name_count). Returns what is wrong, "" when nothing.
std::string ShapeProblems(const std::string& text) {
  if (text.empty() || text.back() != '\n') return "the text does not end in a newline";
  std::set<std::string> seen;
  std::string family, type, help_of;
  for (const std::string& line : Lines(text)) {
    if (line.rfind("# HELP ", 0) == 0) {
      help_of = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      words >> family >> type;
      if (family != help_of) return "TYPE " + family + " without its HELP just before";
      if (!seen.insert(family).second) return "family " + family + " twice";
      if (type != "counter" && type != "gauge" && type != "histogram") return "type " + type;
      continue;
    }
    std::string name = line.substr(0, line.find_first_of("{ "));
    bool ok = name == family;
    if (type == "histogram")
      ok = name == family + "_bucket" || name == family + "_sum" || name == family + "_count";
    if (!ok) return "sample " + name + " under family " + family;
  }
  return "";
}

// The value of the sample line that starts with `series` (name and labels, as written).
std::string ValueOf(const std::string& text, const std::string& series) {
  for (const std::string& line : Lines(text))
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  return "(absent)";
}

}  // namespace

TEST_CASE("metrics: label values escape backslash, double quote and newline, HELP text backslash and newline",
          "[metrics]") {
  CHECK(metrics::EscapeLabelValue("plain") == "plain");
  CHECK(metrics::EscapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(metrics::EscapeLabelValue("tab\tstays") == "tab\tstays");
  CHECK(metrics::EscapeHelp("a \"quoted\" \\ and\nnewline") == "a \"quoted\" \\\\ and\\nnewline");

  TextWriter w;
  w.Family("x_total", "counter", "Help with a \\ and a\nnewline.");
  w.Sample("x_total", {{"path", "C:\\dir \"q\"\n"}, {"b", ""}}, 2);
  CHECK(w.text() ==
        "# HELP x_total Help with a \\\\ and a\\nnewline.\n"
        "# TYPE x_total counter\n"
        "x_total{path=\"C:\\\\dir \\\"q\\\"\\n\",b=\"\"} 2\n");
}

TEST_CASE("metrics: sample values are integers, shortest decimals, +Inf, -Inf and NaN", "[metrics]") {
  CHECK(metrics::FormatValue(0) == "0");
  CHECK(metrics::FormatValue(42) == "42");
  CHECK(metrics::FormatValue(-3) == "-3");
  CHECK(metrics::FormatValue(0.25) == "0.25");
  CHECK(metrics::FormatValue(0.001) == "0.001");
  CHECK(metrics::FormatValue(1e18) == "1e+18");
  CHECK(metrics::FormatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(metrics::FormatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(metrics::FormatValue(std::nan("")) == "NaN");
  TextWriter w;
  w.Sample("no_labels", {}, 7);
  CHECK(w.text() == "no_labels 7\n");
}

TEST_CASE("metrics: a histogram has cumulative buckets, le=+Inf equal to _count, then _sum and _count",
          "[metrics]") {
  const double bounds[] = {0.01, 0.1, 1};
  const uint64_t counts[] = {2, 0, 3, 1};  // per bucket; the last is above 1
  TextWriter w;
  w.Family("t_seconds", "histogram", "A test.");
  w.Histogram("t_seconds", {{"route", "/mdm"}}, bounds, counts, 3, 4.5);
  CHECK(w.text() ==
        "# HELP t_seconds A test.\n"
        "# TYPE t_seconds histogram\n"
        "t_seconds_bucket{route=\"/mdm\",le=\"0.01\"} 2\n"
        "t_seconds_bucket{route=\"/mdm\",le=\"0.1\"} 2\n"
        "t_seconds_bucket{route=\"/mdm\",le=\"1\"} 5\n"
        "t_seconds_bucket{route=\"/mdm\",le=\"+Inf\"} 6\n"
        "t_seconds_sum{route=\"/mdm\"} 4.5\n"
        "t_seconds_count{route=\"/mdm\"} 6\n");
  CHECK(ShapeProblems(w.text()).empty());
}

TEST_CASE("metrics: a request counts by route and status and lands in the first bucket that holds it",
          "[metrics]") {
  Counters c;
  c.Request(Route::kMdm, 200, 0.0004);   // below 1 ms
  c.Request(Route::kMdm, 200, 0.001);    // on a bound: that bucket (le is "less or equal")
  c.Request(Route::kMdm, 400, 0.3);      // 0.5
  c.Request(Route::kMdm, 599, 42);       // above 10 s; a code not in the list
  c.Request(Route::kCheckin, 200, 0.002);
  TextWriter w;
  metrics::WriteCounters(w, c);
  const std::string& t = w.text();
  INFO(t);
  CHECK(ShapeProblems(t).empty());
  CHECK(ValueOf(t, "mdm_http_requests_total{route=\"/mdm\",code=\"200\"}") == "2");
  CHECK(ValueOf(t, "mdm_http_requests_total{route=\"/mdm\",code=\"400\"}") == "1");
  CHECK(ValueOf(t, "mdm_http_requests_total{route=\"/mdm\",code=\"other\"}") == "1");
  CHECK(ValueOf(t, "mdm_http_requests_total{route=\"/checkin\",code=\"200\"}") == "1");
  // Nothing for a route that served nothing.
  CHECK(ValueOf(t, "mdm_http_requests_total{route=\"/scep\",code=\"200\"}") == "(absent)");
  CHECK(ValueOf(t, "mdm_http_request_duration_seconds_count{route=\"/scep\"}") == "(absent)");
  const std::string b = "mdm_http_request_duration_seconds_bucket{route=\"/mdm\",le=";
  CHECK(ValueOf(t, b + "\"0.001\"}") == "2");
  CHECK(ValueOf(t, b + "\"0.0025\"}") == "2");
  CHECK(ValueOf(t, b + "\"0.25\"}") == "2");
  CHECK(ValueOf(t, b + "\"0.5\"}") == "3");
  CHECK(ValueOf(t, b + "\"10\"}") == "3");
  CHECK(ValueOf(t, b + "\"+Inf\"}") == "4");
  CHECK(ValueOf(t, "mdm_http_request_duration_seconds_count{route=\"/mdm\"}") == "4");
  CHECK(std::stod(ValueOf(t, "mdm_http_request_duration_seconds_sum{route=\"/mdm\"}")) ==
        Approx(42.3014).margin(1e-5));
  // The fixed label sets are there even at zero, so rate() has a series from the start.
  CHECK(ValueOf(t, "mdm_device_auth_refused_total{reason=\"untrusted_certificate\"}") == "0");
  CHECK(ValueOf(t, "mdm_commands_answered_total{status=\"CommandFormatError\"}") == "0");
}

TEST_CASE("metrics: routes and statuses map to a fixed set of label values", "[metrics]") {
  CHECK(metrics::RouteOf("/checkin") == Route::kCheckin);
  CHECK(metrics::RouteOf("/mdm") == Route::kMdm);
  CHECK(metrics::RouteOf("/enroll/secret-token") == Route::kEnroll);
  CHECK(std::string(metrics::RouteLabel(Route::kEnroll)) == "/enroll/*");  // never the token
  CHECK(metrics::RouteOf("/v1/devices/X") == Route::kAdmin);
  CHECK(metrics::RouteOf("/metrics") == Route::kMetrics);
  CHECK(metrics::RouteOf("/mdmx") == Route::kOther);
  CHECK(metrics::RouteOf("/v1") == Route::kOther);
  CHECK(metrics::StatusIndex(200) == 0);
  CHECK(metrics::StatusIndex(299) == metrics::kStatusCount - 1);
  Counters c;
  c.CommandAnswered("NotNow");
  c.CommandAnswered("Idle");  // not an answer to a command: ignored
  CHECK(Counters::Get(c.commands_answered[2]) == 1);
  CHECK(Counters::Get(c.commands_answered[0]) + Counters::Get(c.commands_answered[1]) +
            Counters::Get(c.commands_answered[3]) ==
        0);
}

TEST_CASE("metrics: counters mapped before fork are shared with the children and outlive them", "[metrics]") {
  metrics::SharedCounters shared;
  for (int child = 0; child < 3; ++child) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      for (int i = 0; i < 1000; ++i) shared.get().Request(Route::kMdm, 200, 0.002);
      shared.get().CommandDelivered();
      _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
  }
  CHECK(Counters::Get(shared.get().requests[static_cast<int>(Route::kMdm)][0]) == 3000);
  CHECK(Counters::Get(shared.get().commands_delivered) == 3);
  CHECK(Counters::Get(shared.get().latency_sum_us[static_cast<int>(Route::kMdm)]) == 3000 * 2000);
}

TEST_CASE("metrics: without the database the exposition says so and makes up no gauge", "[metrics]") {
  Counters c;
  c.DatabaseConnectionError();
  std::string t = metrics::Exposition(c, nullptr);
  CHECK(ShapeProblems(t).empty());
  CHECK(ValueOf(t, "mdm_database_up") == "0");
  CHECK(ValueOf(t, "mdm_database_connection_errors_total") == "1");
  CHECK_THAT(t, !Catch::Contains("mdm_command_queue_depth"));

  metrics::DatabaseGauges g;
  g.now = 1'000'000;
  g.pending = 3;
  g.not_now = 1;
  g.oldest_queued_age_seconds = 12.5;
  g.push_token_dead = 2;
  g.mdmcron = metrics::CronRun{999'000, 1.5, 3};
  g.expiries.push_back({"device_ca", "device CA", 1'000'000 + 10 * 86400});
  g.expiries.push_back({"apns_push", "push certificate", 1'000'000 - 86400 / 2});
  t = metrics::Exposition(c, &g);
  INFO(t);
  CHECK(ShapeProblems(t).empty());
  CHECK(ValueOf(t, "mdm_database_up") == "1");
  CHECK(ValueOf(t, "mdm_command_queue_depth{status=\"Pending\"}") == "3");
  CHECK(ValueOf(t, "mdm_command_queue_depth{status=\"NotNow\"}") == "1");
  CHECK(ValueOf(t, "mdm_command_queue_oldest_age_seconds") == "12.5");
  CHECK(ValueOf(t, "mdm_push_enrollments{outcome=\"token_dead\"}") == "2");
  CHECK(ValueOf(t, "mdm_push_last_sent_timestamp_seconds") == "(absent)");
  CHECK(ValueOf(t, "mdm_cron_last_run_exit_status{verb=\"mdmcron\"}") == "3");
  CHECK(ValueOf(t, "mdm_cron_last_run_success{verb=\"mdmcron\"}") == "0");
  CHECK(ValueOf(t, "mdm_cron_last_run_duration_seconds{verb=\"mdmcron\"}") == "1.5");
  CHECK(ValueOf(t, "mdm_cron_last_run_timestamp_seconds{verb=\"applesync\"}") == "(absent)");
  CHECK(ValueOf(t, "mdm_certificate_days_to_expiry{certificate=\"device_ca\"}") == "10");
  CHECK(ValueOf(t, "mdm_certificate_days_to_expiry{certificate=\"apns_push\"}") == "-0.5");
  CHECK(ValueOf(t, "mdm_certificate_expiry_timestamp_seconds{certificate=\"device_ca\"}") == "1864000");
}

TEST_CASE("metrics: device authentication counts verifications, refusals by reason and 429s", "[metrics]") {
  static test::TestPki ours, theirs;
  crypto::Store store = crypto::MakeStore({ours.ca.get()});
  Config config;
  config.database = "unused";
  config.client_cert_sources = "signature,nginx,header";
  service::DeviceAuthenticator auth(config);
  auto why_refused = [&](const http::Request& req) {
    metrics::AuthRefusal why = metrics::AuthRefusal::kNoIdentity;
    auto r = auth.Verify(req, store.get(), nullptr, &why);
    REQUIRE_FALSE(r.ok());
    return std::string(metrics::AuthRefusalLabel(why));
  };
  http::Request none;
  CHECK(why_refused(none) == "no_identity");
  http::Request not_base64;
  not_base64.headers["mdm-signature"] = "***";
  CHECK(why_refused(not_base64) == "malformed");
  http::Request foreign;
  foreign.body = "x";
  foreign.headers["mdm-signature"] =
      crypto::Base64Encode(*crypto::Sign(foreign.body, theirs.cert.get(), theirs.key.get()));
  CHECK(why_refused(foreign) == "bad_signature");
  http::Request tampered;
  tampered.body = "x";
  tampered.headers["mdm-signature"] = crypto::Base64Encode(*crypto::Sign("y", ours.cert.get(), ours.key.get()));
  CHECK(why_refused(tampered) == "bad_signature");
  http::Request foreign_tls;
  foreign_tls.client_cert = http::UrlEncode(crypto::CertToPem(theirs.cert.get()));
  CHECK(why_refused(foreign_tls) == "untrusted_certificate");
  http::Request bad_header;
  bad_header.headers["client-cert"] = "no-colons";
  CHECK(why_refused(bad_header) == "malformed");

  Counters c;
  service::DeviceRateLimiter limiter(1);
  service::DeviceAuthenticator limited(config, &limiter, &c);
  const std::string id = crypto::CertSha256(ours.cert.get());
  CHECK_FALSE(limited.Throttle(id));
  auto refused = limited.Throttle(id);
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(Counters::Get(c.rate_limited) == 1);
}
