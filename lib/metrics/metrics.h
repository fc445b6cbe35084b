// Metrics: what the workers count (requests by route and status, latency, device
// authentication, rate limiting, commands delivered and answered, database errors) in one
// fixed-size block of relaxed atomics, and its exposition in Prometheus' text format 0.0.4.
// mdm-fcgi's master maps the block shared before it forks the workers (SharedCounters), so
// every worker adds to the same numbers, a scrape landing on any worker sees them all, and a
// worker that dies and is replaced takes nothing away. No lock, no allocation on the hot path.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mdm::metrics {

// The routes below /api-mdm.php, as App::Route tells them apart; a label value each.
enum class Route : uint8_t { kCheckin, kMdm, kScep, kProfile, kParameters, kEnroll, kAdmin, kHealth, kMetrics, kOther };
constexpr std::size_t kRouteCount = 10;
Route RouteOf(std::string_view path);
const char* RouteLabel(Route route);  // "/checkin", ..., "/enroll/*", "/v1/*", "other"

// The status codes counted one by one; any other is counted as "other".
constexpr int kStatusCodes[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 410, 413, 415, 429, 500, 502, 503};
constexpr std::size_t kStatusCount = sizeof kStatusCodes / sizeof kStatusCodes[0] + 1;
std::size_t StatusIndex(int status);  // kStatusCount - 1 for "other"

// Upper bounds of the latency histogram, in seconds: 1 ms to 10 s.
constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
constexpr std::size_t kBucketCount = sizeof kLatencyBuckets / sizeof kLatencyBuckets[0];

// Why a device request's identity was refused: a fixed set of label values, never free text.
enum class AuthRefusal : uint8_t {
  kNoIdentity,            // no Mdm-Signature and no trusted client certificate
  kMalformed,             // not base64, not a certificate, a malformed header or param
  kBadSignature,          // the CMS signature does not verify over the body or chain to the device CA
  kUntrustedCertificate,  // a client certificate that does not chain to the device CA
};
constexpr std::size_t kAuthRefusalCount = 4;
const char* AuthRefusalLabel(AuthRefusal why);

// A device's answer to a command, as the report's Status says it.
constexpr const char* kAnswerStatuses[] = {"Acknowledged", "Error", "NotNow", "CommandFormatError"};
constexpr std::size_t kAnswerCount = 4;

struct Counters {
  using Counter = std::atomic<uint64_t>;
  static_assert(Counter::is_always_lock_free, "counters shared between processes must be lock-free");

  // One request answered: its route, status and time in the worker.
  void Request(Route route, int status, double seconds);
  void DeviceAuthenticated() { Add(auth_verified); }
  void DeviceRefused(AuthRefusal why) { Add(auth_refused[static_cast<std::size_t>(why)]); }
  void DeviceRateLimited() { Add(rate_limited); }
  void CommandDelivered() { Add(commands_delivered); }
  // A report for a queued command, by its Status; any other name is ignored.
  void CommandAnswered(std::string_view status);
  void DatabaseConnectionError() { Add(database_connection_errors); }
  void DatabaseTimeout() { Add(database_timeouts); }
  void WorkerDied() { Add(worker_deaths); }

  static void Add(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
  static uint64_t Get(const Counter& c) { return c.load(std::memory_order_relaxed); }

  Counter requests[kRouteCount][kStatusCount]{};
  Counter latency_buckets[kRouteCount][kBucketCount + 1]{};  // not cumulative; the last is above 10 s
  Counter latency_sum_us[kRouteCount]{};
  Counter auth_verified{0};
  Counter auth_refused[kAuthRefusalCount]{};
  Counter rate_limited{0};
  Counter commands_delivered{0};
  Counter commands_answered[kAnswerCount]{};
  Counter database_connection_errors{0};
  Counter database_timeouts{0};
  Counter worker_deaths{0};
};

// Counters in memory shared (MAP_SHARED | MAP_ANONYMOUS) with every process forked after this
// was made; zero at first.
class SharedCounters {
 public:
  SharedCounters();
  ~SharedCounters();
  SharedCounters(const SharedCounters&) = delete;
  SharedCounters& operator=(const SharedCounters&) = delete;
  Counters& get() { return *counters_; }

 private:
  Counters* counters_;
};

// Prometheus' text exposition format 0.0.4: each family's HELP and TYPE lines, then its samples.
using Labels = std::vector<std::pair<std::string, std::string>>;
class TextWriter {
 public:
  // Starts a family: type is "counter", "gauge" or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  // A histogram's samples from per-bucket (not cumulative) counts: one _bucket line per bound
  // (cumulative, then le="+Inf" with the total), _sum and _count. `counts` has one more
  // element than `bounds` (above the last bound).
  void Histogram(std::string_view name, const Labels& labels, const double* bounds, const uint64_t* counts,
                 std::size_t bound_count, double sum);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value with \, " and newline escaped; HELP text with \ and newline escaped.
std::string EscapeLabelValue(std::string_view v);
std::string EscapeHelp(std::string_view v);
// A sample value: integers without a fraction, +Inf, -Inf, NaN; otherwise shortest round trip.
std::string FormatValue(double v);

// Writes the counters' families (every route and status with a count, the histograms of the
// routes that served a request, every refusal reason and answer status).
void WriteCounters(TextWriter& w, const Counters& c);

}  // namespace mdm::metrics
