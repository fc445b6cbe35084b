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
  kSent,                // 200
  kTokenDead,           // 410 Unregistered, 400 BadDeviceToken: push no more until a TokenUpdate
  kFailed,              // anything else after the retries
  kCertificateRefused,  // APNs refused our certificate (403, or at the TLS handshake): stop
};

struct PushResult {
  std::string enrollment_id;
  Outcome outcome = Outcome::kFailed;
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
};

class ApnsClient {
 public:
  explicit ApnsClient(ApnsOptions options);
  ~ApnsClient();
  ApnsClient(const ApnsClient&) = delete;
  ApnsClient& operator=(const ApnsClient&) = delete;

  // Pushes every target and returns one result each, in the same order. One failing token never
  // stops the others; a refused certificate stops the run (the rest: kCertificateRefused).
  std::vector<PushResult> Send(const std::vector<Target>& targets);

  // The most streams that were in flight at once, over this client's life.
  int max_in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdm::push
