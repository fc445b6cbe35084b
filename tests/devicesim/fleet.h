// The simulated fleet of devicesim: devices enrolled through nginx like real ones (one shared RSA
// key, a certificate each), their Idle requests signed once up front, and the keep-alive client
// connection each load thread sends them on.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "enroll/device_ca.h"

namespace devicesim {

using Clock = std::chrono::steady_clock;

// After StopOnSignals, SIGINT and SIGTERM only set a flag: loops end early and the stack's
// destructor stops what it started.
void StopOnSignals();
bool Interrupted();
// Sleeps until `t` or an interruption.
void SleepUntil(Clock::time_point t);

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
// Adds a header line ("Name: value") to a list.
void Append(Slist& list, const std::string& line);

// The stack under load.
struct Target {
  std::string base_url;  // https://localhost:PORT/api-mdm.php
  std::string ca_file;   // the TLS certificate nginx presents (or its CA)
  std::string conninfo;  // libpq connection string of the server's database
  std::string topic;     // the push topic devices must name
  mdm::enroll::DeviceCa device_ca;
};

struct Device {
  std::string udid;
  mdm::crypto::Cert cert;
  std::string idle_body;
  Slist idle_headers;  // Content-Type, the Mdm-Signature over idle_body, no Expect
};

// A /mdm report body: Status and UDID (and CommandUUID when given).
std::string ReportBody(const std::string& udid, const std::string& status, const std::string& command_uuid = "");
// The headers of a signed /mdm request: `body` signed with `cert` and `key` (the client's RSA cost).
Slist MdmHeaders(X509* cert, EVP_PKEY* key, const std::string& body);

// Enrolls `count` devices over `threads` threads: a certificate from the device CA for `key`,
// then Authenticate and TokenUpdate through nginx; a failed answer throws.
std::vector<Device> Enroll(const Target& target, EVP_PKEY* key, std::size_t count, int threads);

// Runs fn(t) for t in [0, n) on n threads and `meanwhile` on the calling thread; rethrows the
// first exception any of them threw, after all have finished.
void OnThreads(int n, const std::function<void(int)>& fn, const std::function<void()>& meanwhile = {});

// Thread t's share [first, last) of `count` items over n threads.
struct Slice {
  std::size_t first, last;
};
Slice SliceOf(std::size_t count, int n, int t);

// One keep-alive HTTPS connection (HTTP/1.1) that PUTs to one URL; nothing allocated per request
// beyond what libcurl does.
class Connection {
 public:
  Connection(const std::string& url, const std::string& ca_file);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The HTTP status, or 0 on a transport error (then error() says why); the body in answer().
  long Put(const std::string& body, curl_slist* headers);
  const std::string& answer() const { return answer_; }
  const char* error() const { return error_; }

 private:
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::string answer_;
  char error_[CURL_ERROR_SIZE] = "";
};

}  // namespace devicesim
