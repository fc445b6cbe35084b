// A fake of Apple's device enrollment API (tests/fakes/abm.js) on localhost, for tests and
// benchmarks: its own TLS certificate for localhost, random OAuth credentials, a private folder.
// What the fake checks and how control.json steers it: see the head of tests/fakes/abm.js.
#pragma once

#include <string>
#include <vector>

#include "process.h"

namespace mdm::test {

class FakeAbm {
 public:
  // An account of `devices` devices (ABM00000001, ...); pages of at most `page_limit_max`.
  explicit FakeAbm(int devices = 25, int page_limit_max = 1000);
  ~FakeAbm();
  FakeAbm(const FakeAbm&) = delete;
  FakeAbm& operator=(const FakeAbm&) = delete;

  // https://localhost:PORT
  std::string url() const;
  // The PEM certificate to trust for it.
  const std::string& ca_file() const { return ca_file_; }
  // The server token as ABM puts it inside the .p7m: consumer_key, consumer_secret, access_token,
  // access_secret and access_token_expiry (a year ahead, "YYYY-MM-DDTHH:MM:SSZ").
  std::string token_json() const;
  // Replaces <state>/control.json (atomically); the fake takes it on its next request.
  void SetControl(const std::string& json);

  struct Request {
    std::string method, path;  // path without the query
    int status = 0;            // 0: left unanswered by a fault
    std::string body;          // the request body, "" when it had none
    std::string fault;         // "stall", "drop" or "reset" (control.json) when unanswered, else ""
  };
  // Every request answered so far, oldest first.
  std::vector<Request> Requests() const;

 private:
  TempDir dir_;
  std::string state_, ca_file_;
  std::string consumer_key_, consumer_secret_, access_token_, access_secret_;
  int port_ = 0;
  Process server_;
};

}  // namespace mdm::test
