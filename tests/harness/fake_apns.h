// A fake of Apple's push service for tests and benchmarks: tests/fakes/apns.js (HTTP/2 over TLS,
// client certificate required) on a free localhost port, with a stand-in Apple CA for the client
// certificates it accepts and a TLS CA of its own for its server certificate. See apns.js for the
// checks it makes, the answers it gives and the behaviours a test can ask for.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "process.h"

namespace mdm::test {

class FakeApns {
 public:
  // One line of the fake's record: a request it answered, or a push it cut off.
  struct Push {
    std::string token, topic, mdm, apns_id;  // "" where the request had no valid value
    long expiration;                         // -1: no apns-expiration header
    int priority;                            // 0: not a valid apns-priority
    std::string push_type;
    int status;                              // 0: no answer ("close", "goaway", "stall", "reset")
    std::string reason;                      // the error answer's reason, that action's name, or ""
  };

  // Makes a test "Apple" CA, a server certificate for localhost, and starts node tests/fakes/apns.js.
  // tls_max "1.2" caps the fake's TLS version (a refused client certificate is then an alert in
  // the handshake); "" leaves TLS 1.3 (the client's handshake completes, then the reset).
  // max_streams > 0 is the SETTINGS_MAX_CONCURRENT_STREAMS the fake announces (else its default).
  explicit FakeApns(std::string topic = "com.apple.mgmt.External.11111111-2222-3333-4444-555555555555",
                    std::string tls_max = "", int max_streams = 0);
  ~FakeApns();  // stops it
  FakeApns(const FakeApns&) = delete;
  FakeApns& operator=(const FakeApns&) = delete;

  std::string url() const;                          // https://localhost:PORT
  const std::string& ca_file() const { return ca_file_; }  // PEM of the server's TLS CA (for apns-ca-file)
  // A client certificate + key issued by the fake's "Apple" CA, subject UID = topic (what Apple's portal returns).
  std::string client_cert_pem() const { return client_cert_pem_; }
  std::string client_key_pem() const { return client_key_pem_; }
  // Another (same subject), issued by a different CA: the fake must refuse it. Made on each call.
  std::pair<std::string, std::string> foreign_client_identity() const;

  // Rewrites behaviour.json with `actions` for the token ("*": tokens not named otherwise); an
  // empty list removes the token's entry. Actions: "200", "400", "403", "410", "429", "500",
  // "503", "close", "goaway", "stall" (never answered), "reset" (RST_STREAM, no answer),
  // "delay:MS" (200, MS milliseconds late, at most 60000), or "STATUS:Reason" (e.g.
  // "403:BadCertificateEnvironment": that status, 400 to 599, with that reason, letters only);
  // anything else throws std::invalid_argument.
  void SetBehaviour(const std::string& hex_token, const std::vector<std::string>& actions);
  std::vector<Push> Pushes() const;  // parses pushes.jsonl
  int Sessions() const;              // HTTP/2 connections accepted so far
  // The file behind Pushes(), for a reader that follows it as it grows (devicesim --mode soak).
  std::string pushes_file() const { return StatePath("pushes.jsonl"); }

 private:
  std::string StatePath(const std::string& name) const;

  TempDir dir_;
  std::string topic_;
  std::string ca_file_, client_cert_pem_, client_key_pem_;
  std::map<std::string, std::vector<std::string>> behaviour_;
  int port_ = 0;
  Process node_;
};

}  // namespace mdm::test
