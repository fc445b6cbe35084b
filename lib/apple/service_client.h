// The HTTP layer under Apple's business services (ABM/ASM device enrollment, Apps and Books):
// one libcurl handle kept across requests, bounded timeouts, and Apple's shared habit of
// answering 429 or 503 with Retry-After, waited out with bounded backoff. What a request means
// (OAuth sessions, Bearer tokens, error bodies) stays in abm/ and vpp/.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mdm::apple {

struct ServiceConfig {
  std::string service;          // as sentences name it: "ABM/ASM", "Apps and Books"
  std::string base_url;         // no trailing slash
  std::string ca_file;          // extra CA bundle to trust; empty: the system's
  std::string url_setting;      // the setting that points at it ("abm-url"), for the sentences
  std::string timeout_setting;  // the one for timeout_seconds ("abm-timeout-seconds")
  std::string resume_hint;      // what happens next, e.g. "the next applesync continues ..."
  int max_waits = 5;            // 429 / 503 answers waited out per request
  int max_wait_seconds = 60;    // the longest single wait
  int timeout_seconds = 120;    // one request's whole exchange
  int connect_timeout_seconds = 15;
};

struct Response {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case, in order
  // The last value of header `name` (lower case), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

// Seconds from a Retry-After value: delta-seconds, or an HTTP-date (seconds from `now`, 0 if
// past); capped at `max_seconds`. nullopt for anything else.
std::optional<int> ReadRetryAfter(std::string_view value, int max_seconds, long long now = -1);

class ServiceClient {
 public:
  explicit ServiceClient(ServiceConfig config);
  ~ServiceClient();
  ServiceClient(const ServiceClient&) = delete;
  ServiceClient& operator=(const ServiceClient&) = delete;

  // One exchange, no retry. `path` is appended to base_url; `headers` are "Name: value" lines; a
  // body (or POST/PUT) is sent with `content_type`. A request without an HTTP answer is
  // kUnavailable with a sentence naming the service, the request and what to check.
  Result<Response> Perform(const std::string& method, const std::string& path, const std::vector<std::string>& headers,
                           const std::string& body = "",
                           const std::string& content_type = "application/json");

  // After an answer: when it is a 429 or 503 and this request still has waits left (`*waits`
  // counts them), sleeps as Retry-After says (else 1, 2, 4 ... s), within max_wait_seconds, and
  // returns true: send it again. Otherwise false.
  bool WaitIfAsked(const Response& r, const std::string& what, int* waits);

  // Perform, waiting out 429 / 503 as WaitIfAsked says.
  Result<Response> Send(const std::string& method, const std::string& path, const std::vector<std::string>& headers,
                        const std::string& body = "", const std::string& content_type = "application/json");

  const ServiceConfig& config() const { return config_; }
  int requests() const { return requests_; }
  int waited_seconds() const { return waited_seconds_; }
  // Tests and benchmarks replace the sleep (seconds).
  void set_sleep(std::function<void(int)> sleep) { sleep_ = std::move(sleep); }

 private:
  Status TransportFailure(const std::string& method, const std::string& path, int code) const;

  ServiceConfig config_;
  struct Curl;
  std::unique_ptr<Curl> curl_;
  std::function<void(int)> sleep_;
  int requests_ = 0;
  int waited_seconds_ = 0;
};

}  // namespace mdm::apple
