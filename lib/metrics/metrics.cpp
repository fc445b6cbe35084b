#include "metrics/metrics.h"

#include <sys/mman.h>

#include <charconv>
#include <cmath>
#include <new>

namespace mdm::metrics {

Route RouteOf(std::string_view p) {
  auto starts = [&](std::string_view prefix) { return p.substr(0, prefix.size()) == prefix; };
  if (p == "/checkin") return Route::kCheckin;
  if (p == "/mdm") return Route::kMdm;
  if (p == "/scep") return Route::kScep;
  if (p == "/profile") return Route::kProfile;
  if (p == "/parameters") return Route::kParameters;
  if (starts("/enroll/")) return Route::kEnroll;
  if (starts("/v1/")) return Route::kAdmin;
  if (p == "/health") return Route::kHealth;
  if (p == "/metrics") return Route::kMetrics;
  return Route::kOther;
}

const char* RouteLabel(Route route) {
  switch (route) {
    case Route::kCheckin: return "/checkin";
    case Route::kMdm: return "/mdm";
    case Route::kScep: return "/scep";
    case Route::kProfile: return "/profile";
    case Route::kParameters: return "/parameters";
    case Route::kEnroll: return "/enroll/*";
    case Route::kAdmin: return "/v1/*";
    case Route::kHealth: return "/health";
    case Route::kMetrics: return "/metrics";
    case Route::kOther: break;
  }
  return "other";
}

std::size_t StatusIndex(int status) {
  for (std::size_t i = 0; i + 1 < kStatusCount; ++i)
    if (kStatusCodes[i] == status) return i;
  return kStatusCount - 1;
}

const char* AuthRefusalLabel(AuthRefusal why) {
  switch (why) {
    case AuthRefusal::kNoIdentity: return "no_identity";
    case AuthRefusal::kMalformed: return "malformed";
    case AuthRefusal::kBadSignature: return "bad_signature";
    case AuthRefusal::kUntrustedCertificate: return "untrusted_certificate";
  }
  return "unknown";
}

void Counters::Request(Route route, int status, double seconds) {
  const auto r = static_cast<std::size_t>(route);
  Add(requests[r][StatusIndex(status)]);
  std::size_t b = 0;
  while (b < kBucketCount && seconds > kLatencyBuckets[b]) ++b;
  Add(latency_buckets[r][b]);
  Add(latency_sum_us[r], seconds > 0 ? static_cast<uint64_t>(std::llround(seconds * 1e6)) : 0);
}

void Counters::CommandAnswered(std::string_view status) {
  for (std::size_t i = 0; i < kAnswerCount; ++i)
    if (status == kAnswerStatuses[i]) Add(commands_answered[i]);
}

SharedCounters::SharedCounters() {
  void* mem = ::mmap(nullptr, sizeof(Counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::bad_alloc();
  counters_ = new (mem) Counters();
}

SharedCounters::~SharedCounters() {
  counters_->~Counters();
  ::munmap(counters_, sizeof(Counters));
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Counts are whole numbers: written as such (2^53 and beyond would lose digits as doubles).
  if (v == std::trunc(v) && std::fabs(v) < 9.007199254740992e15) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, end);
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

void TextWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(EscapeHelp(help)).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void TextWriter::Sample(std::string_view name, const Labels& labels, double value) {
  out_.append(name);
  if (!labels.empty()) {
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_.append(labels[i].first).append("=\"").append(EscapeLabelValue(labels[i].second)).append("\"");
    }
    out_ += '}';
  }
  out_.append(" ").append(FormatValue(value)).append("\n");
}

void TextWriter::Histogram(std::string_view name, const Labels& labels, const double* bounds, const uint64_t* counts,
                           std::size_t bound_count, double sum) {
  const std::string base(name);
  uint64_t cumulative = 0;
  Labels with_le = labels;
  with_le.emplace_back("le", "");
  for (std::size_t i = 0; i <= bound_count; ++i) {
    cumulative += counts[i];
    with_le.back().second = i < bound_count ? FormatValue(bounds[i]) : "+Inf";
    Sample(base + "_bucket", with_le, static_cast<double>(cumulative));
  }
  Sample(base + "_sum", labels, sum);
  Sample(base + "_count", labels, static_cast<double>(cumulative));
}

void WriteCounters(TextWriter& w, const Counters& c) {
  using C = Counters;
  w.Family("mdm_http_requests_total", "counter",
           "Requests answered by the workers, by route below /api-mdm.php and HTTP status code.");
  for (std::size_t r = 0; r < kRouteCount; ++r)
    for (std::size_t s = 0; s < kStatusCount; ++s)
      if (uint64_t n = C::Get(c.requests[r][s]))
        w.Sample("mdm_http_requests_total",
                 {{"route", RouteLabel(static_cast<Route>(r))},
                  {"code", s + 1 < kStatusCount ? std::to_string(kStatusCodes[s]) : "other"}},
                 static_cast<double>(n));

  w.Family("mdm_http_request_duration_seconds", "histogram",
           "Time a worker spent on a request, from its arrival to its answer, by route.");
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    uint64_t counts[kBucketCount + 1], total = 0;
    for (std::size_t b = 0; b <= kBucketCount; ++b) total += counts[b] = C::Get(c.latency_buckets[r][b]);
    if (total == 0) continue;
    w.Histogram("mdm_http_request_duration_seconds", {{"route", RouteLabel(static_cast<Route>(r))}}, kLatencyBuckets,
                counts, kBucketCount, static_cast<double>(C::Get(c.latency_sum_us[r])) / 1e6);
  }

  w.Family("mdm_device_auth_verified_total", "counter",
           "Device requests whose identity (Mdm-Signature or client certificate) verified against the device CA.");
  w.Sample("mdm_device_auth_verified_total", {}, static_cast<double>(C::Get(c.auth_verified)));
  w.Family("mdm_device_auth_refused_total", "counter", "Device requests refused (400) for their identity, by reason.");
  for (std::size_t i = 0; i < kAuthRefusalCount; ++i)
    w.Sample("mdm_device_auth_refused_total", {{"reason", AuthRefusalLabel(static_cast<AuthRefusal>(i))}},
             static_cast<double>(C::Get(c.auth_refused[i])));
  w.Family("mdm_device_rate_limited_total", "counter",
           "Device requests refused with 429 by the per-device budget (device_requests_per_minute).");
  w.Sample("mdm_device_rate_limited_total", {}, static_cast<double>(C::Get(c.rate_limited)));

  w.Family("mdm_commands_delivered_total", "counter", "Commands sent to devices in answers on /mdm.");
  w.Sample("mdm_commands_delivered_total", {}, static_cast<double>(C::Get(c.commands_delivered)));
  w.Family("mdm_commands_answered_total", "counter",
           "Device reports recorded for a queued command, by their Status.");
  for (std::size_t i = 0; i < kAnswerCount; ++i)
    w.Sample("mdm_commands_answered_total", {{"status", kAnswerStatuses[i]}},
             static_cast<double>(C::Get(c.commands_answered[i])));

  w.Family("mdm_database_connection_errors_total", "counter",
           "Requests answered 503 because PostgreSQL could not be reached or the connection broke.");
  w.Sample("mdm_database_connection_errors_total", {}, static_cast<double>(C::Get(c.database_connection_errors)));
  w.Family("mdm_database_statement_timeouts_total", "counter",
           "Requests answered 503 because a statement ran past statement_timeout_seconds.");
  w.Sample("mdm_database_statement_timeouts_total", {}, static_cast<double>(C::Get(c.database_timeouts)));
  w.Family("mdm_worker_deaths_total", "counter",
           "mdm-fcgi worker processes that died (a crash, a kill, request_cpu_seconds) and were replaced.");
  w.Sample("mdm_worker_deaths_total", {}, static_cast<double>(C::Get(c.worker_deaths)));
}

}  // namespace mdm::metrics
