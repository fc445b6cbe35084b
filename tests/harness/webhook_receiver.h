// A webhook receiver for tests (tests/fakes/webhook_receiver.js) on a localhost port: it checks
// the X-Hmac-Signature and records every event it is posted. Stop() and Start() play an outage:
// while it is stopped the port refuses connections; it comes back on the same port.
#pragma once

#include <string>
#include <vector>

#include "process.h"

namespace mdm::test {

class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::string secret);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  void Start();
  void Stop();
  std::string url() const;  // http://127.0.0.1:PORT/hook
  // Answer every POST with `status` from now on (0: back to normal).
  void ForceAnswer(int status);

  struct Received {
    int status = 0;     // what it answered
    std::string hmac;   // "ok", "missing" or "bad"
    std::string event;  // the event as JSON text ("" when the body was not a JSON object)
  };
  std::vector<Received> Events() const;

 private:
  TempDir dir_;
  std::string secret_;
  int port_ = 0;
  Process node_;
};

}  // namespace mdm::test
