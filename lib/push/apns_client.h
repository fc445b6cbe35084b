// An APNs client: HTTP/2 over TLS with the push certificate (given to libcurl from memory), all
// pushes multiplexed on one connection with a bound on streams in flight, retries with backoff.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mdm::push {

struct Target {
  std::string enrollment_id;
  std::string token;  // raw bytes (sent hex-encoded in the path)
  std::string push_magic;
};

enum class Outcome {
  kSent,       // 200
  kTokenDead,  // 410 Unregistered, 400 BadDeviceToken: push no more until a TokenUpdate
  kFailed,     // anything else after the retries, or not tried because the run stopped: see kind
};

// Why a push failed, from what its transfer saw: libcurl's error code and text, how far the TLS
// handshake got, APNs' status and reason. Each kind has its own sentence and next step
// (push::DescribeFailure). Declared from the most fundamental to the least: when pushes of one
// run fail for several reasons, the summary names the first kind in this order.
enum class FailureKind {
  kNone,                 // sent, or the token is dead: nothing for the operator to do
  kCaFileUnreadable,     // apns-ca-file cannot be read (CURLE_SSL_CACERT_BADFILE)
  kCertificateUnusable,  // the stored push certificate or key cannot be loaded (CURLE_SSL_CERTPROBLEM)
  kDns,                  // the host of apns-url does not resolve (CURLE_COULDNT_RESOLVE_HOST)
  kUnreachable,          // no TCP connection: refused, timed out, unreachable, a proxy in the way
  kServerUntrusted,      // the server's TLS certificate is not trusted (CURLE_PEER_FAILED_VERIFICATION)
  kTlsFailed,            // the TLS handshake failed, with an alert that names no certificate
  kCertificateRefused,   // APNs refused the push certificate: a TLS alert naming it, the handshake ended
                         // once the server had it, 403 BadCertificate, or (TLS 1.3) the connection closed
                         // (or silent) right after a handshake that took it, with nothing answered
  kWrongEnvironment,     // 403 BadCertificateEnvironment: apns-url is the other environment
  kForbidden,            // another 403
  kTopic,                // 400 TopicDisallowed, DeviceTokenNotForTopic, BadTopic, MissingTopic
  kNotApns,              // an HTTP answer without APNs' JSON reason: apns-url is some other server
  kRejected,             // another 4xx with APNs' reason: APNs found the request itself wrong
  kThrottled,            // 429 TooManyRequests, still after the last attempt
  kUnavailable,          // 5xx, still after the last attempt
  kConnectionLost,       // the connection dropped (or the stream was reset) before the answer, also when
                         // sent again
  kNoAnswer,             // no answer before the timeout, with the TLS connection up (the push's, or the
                         // run's when it waited for a stream on it); a stalled server stops the run
  kOther,                // any other libcurl error
};

// A short stable name for a kind ("dns", "unreachable", "certificate-refused", ...), for logs.
const char* FailureKindName(FailureKind kind);

struct PushResult {
  std::string enrollment_id;
  Outcome outcome = Outcome::kFailed;
  FailureKind kind = FailureKind::kNone;  // why, when outcome is kFailed
  long status = 0;       // the last HTTP status (0: no answer)
  std::string apns_id;
  std::string reason;    // APNs' reason, or the transport error
  int attempts = 0;
};

struct ApnsOptions {
  std::string base_url = "https://api.push.apple.com";
  std::string ca_file;                 // extra CA bundle to trust; empty: the system's
  std::string cert_pem, key_pem;       // the push certificate and its key
  std::string topic;                   // the certificate's UID
  int max_streams = 256;               // pushes in flight at once on the connection
  int max_attempts = 5;                // for 429 and 5xx answers
  int backoff_initial_ms = 200;
  int backoff_max_ms = 10000;
  int64_t expiration = 0;              // apns-expiration (unix seconds); 0: now + 24 h
  int timeout_ms = 30000;              // one push's whole exchange (apns-timeout-seconds)
  int connect_timeout_ms = 10000;      // its TCP and TLS connect, within timeout_ms
};

class ApnsClient {
 public:
  explicit ApnsClient(ApnsOptions options);
  ~ApnsClient();
  ApnsClient(const ApnsClient&) = delete;
  ApnsClient& operator=(const ApnsClient&) = delete;

  // Pushes every target and returns one result each, in the same order. One failing token never
  // stops the others; a failure of the connection itself (DNS, TCP, TLS, the certificate refused,
  // a 403) stops the run: what was not answered gets kFailed with that kind and reason.
  std::vector<PushResult> Send(const std::vector<Target>& targets);

  // The most streams that were in flight at once, over this client's life.
  int max_in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdm::push
