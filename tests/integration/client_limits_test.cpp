// Limits on hostile clients (issue 15), each a clear 4xx and a log line, never a worker held or
// lost: a device that loops (device_requests_per_minute), slow clients (nginx's timeouts),
// oversized headers, and reports that list more items than a device holds.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "console_checks.h"
#include "sim_device.h"
#include "stack.h"

using mdm::test::SharedStack;
using mdm::test::SimDevice;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPerMinute = 120;

const bool kConfigured = [] {
  mdm::test::StackOptions o;
  o.max_body_bytes = 16 * 1024 * 1024;
  o.extra_config = "device_requests_per_minute = " + std::to_string(kPerMinute) + "\n";
  mdm::test::ConfigureSharedStack(o);
  return true;
}();

int StackPort() {
  const std::string& url = SharedStack().base_url();  // https://localhost:PORT/api-mdm.php
  auto colon = url.find(':', 8);
  return std::stoi(url.substr(colon + 1));
}

// A TLS connection to nginx that a test writes byte by byte, as a slow client would.
class SlowClient {
 public:
  SlowClient() : ctx_(SSL_CTX_new(TLS_client_method())) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(StackPort()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect failed");
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    SSL_set_tlsext_host_name(ssl_.get(), "localhost");
    // HTTP/1.1: each byte we hold back is a byte nginx waits for.
    static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(ssl_.get(), kAlpn, sizeof kAlpn);
    if (SSL_connect(ssl_.get()) != 1) throw std::runtime_error("TLS handshake with nginx failed");
  }
  ~SlowClient() {
    ssl_.reset();
    if (fd_ >= 0) close(fd_);
  }
  void Send(const std::string& bytes) {
    if (SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size())) <= 0) closed_ = true;
  }
  // True once nginx has closed the connection (what it sent before, if anything, is kept).
  bool Closed() {
    if (closed_) return true;
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, 0) > 0) {
      char buf[4096];
      int n = SSL_read(ssl_.get(), buf, sizeof buf);
      if (n <= 0) {
        int err = SSL_get_error(ssl_.get(), n);
        if (err == SSL_ERROR_WANT_READ) return false;
        closed_ = true;
        return true;
      }
      answer_.append(buf, static_cast<size_t>(n));
    }
    return false;
  }
  const std::string& answer() const { return answer_; }

 private:
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
  int fd_ = -1;
  bool closed_ = false;
  std::string answer_;
};

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a device that loops gets 429 with Retry-After past its budget, over all workers; others are served", "[limits]") {
  auto& s = SharedStack();
  auto looping = mdm::test::EnrolledDevice(s);  // Authenticate and TokenUpdate took two requests
  auto other = mdm::test::EnrolledDevice(s);
  auto workers = s.WorkerPids();
  REQUIRE(workers.size() == 4);
  auto start = Clock::now();
  int ok = 2, limited = 0;
  mdm::test::HttpResponse first_refusal;
  for (int i = 0; i < kPerMinute + 40; ++i) {
    auto r = looping.Idle();
    if (r.status == 200) {
      ++ok;
    } else {
      REQUIRE(r.status == 429);
      if (limited++ == 0) first_refusal = r;
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // The budget refills at kPerMinute / 60 a second while the loop runs.
  INFO("allowed " << ok << " of " << kPerMinute + 42 << " in " << seconds << " s");
  CHECK(ok >= kPerMinute);
  // Enrolment came before `start`: the budget refilled during it too.
  CHECK(ok <= kPerMinute + 3 + static_cast<int>(seconds * kPerMinute / 60));
  CHECK(limited > 0);
  CHECK(first_refusal.headers.count("retry-after") == 1);
  CHECK(std::stoi(first_refusal.headers["retry-after"]) >= 1);
  CHECK_THAT(first_refusal.body, Catch::Contains("too many requests"));
  CHECK_THAT(s.WorkerLog(), Catch::Contains("device_requests_per_minute") && Catch::Contains("status=429"));
  // Every worker took part (nginx spreads the requests), and one budget held over all of them.
  CHECK(s.WorkerPids() == workers);
  CHECK(other.Idle().status == 200);
  // A check-in of the looping device is refused the same way; nothing about it is recorded.
  CHECK(looping.TokenUpdate(mdm::test::Stack::kTopic).status == 429);
}

TEST_CASE("slow clients hold nginx connections, not workers, and nginx drops them after its timeouts", "[limits]") {
  auto& s = SharedStack();
  auto device = mdm::test::EnrolledDevice(s);
  std::string log_before = s.WorkerLog();
  // 16 clients that never finish their headers and 16 that never finish their body: four times
  // as many as there are workers.
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(std::make_unique<SlowClient>());
    slow.back()->Send("PUT /api-mdm.php/mdm HTTP/1.1\r\nHost: localhost\r\nContent-Type: applica");
  }
  for (int i = 0; i < 16; ++i) {
    slow.push_back(std::make_unique<SlowClient>());
    slow.back()->Send("PUT /api-mdm.php/mdm HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n<?xml version=");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = Clock::now();
  auto r = device.Idle();
  double idle_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  CHECK(r.status == 200);
  CHECK(idle_ms < 1000);
  // nginx gives up on them: headers after client_header_timeout (10 s), bodies after
  // client_body_timeout (20 s); a worker never saw a request from them.
  auto start = Clock::now();
  size_t closed = 0;
  while (closed < slow.size() && Clock::now() - start < std::chrono::seconds(30)) {
    closed = 0;
    for (auto& c : slow) closed += c->Closed() ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  double waited = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("client limits: 32 slow clients; Idle answered in %.0f ms meanwhile; nginx closed %zu of them within %.1f s\n",
              idle_ms, closed, waited);
  CHECK(closed == slow.size());
  CHECK(waited < 25);
  // Closed, not answered: nginx logs a 408 and sends nothing.
  for (auto& c : slow) CHECK(c->answer().find("HTTP/1.1 200") == std::string::npos);
  std::string log_after = s.WorkerLog();
  CHECK(Count(log_after, "route=/mdm ") - Count(log_before, "route=/mdm ") == 1);
}

TEST_CASE("a request header over nginx's 32 KiB buffers is a 4xx from nginx, and no worker sees it", "[limits]") {
  auto& s = SharedStack();
  // Varied bytes, so that HTTP/2's header compression cannot shrink them below the limit.
  std::string padding;
  for (int i = 0; i < 48 * 1024; ++i) padding.push_back("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/"[(i * 7919 + i / 64) % 64]);
  // HTTP/1.1: nginx's 400 "Request Header Or Cookie Too Large".
  SlowClient h1;
  h1.Send("GET /api-mdm.php/health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + padding + "\r\n\r\n");
  auto start = Clock::now();
  while (!h1.Closed() && h1.answer().find("\r\n\r\n") == std::string::npos && Clock::now() - start < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_THAT(h1.answer(), Catch::StartsWith("HTTP/1.1 400") && Catch::Contains("Too Large"));
  // HTTP/2: nginx refuses the stream; either way nothing reaches a worker.
  auto r = s.Get("/health", {{"X-Padding", padding}});
  INFO(r.status << " " << r.error);
  CHECK(r.status != 200);
  CHECK((r.status == 0 || (r.status >= 400 && r.status < 500)));
  CHECK(s.Get("/health").status == 200);
}

TEST_CASE("a report listing more than 20,000 apps is a 400 naming the limit; the command stays open", "[limits]") {
  auto& s = SharedStack();
  auto device = mdm::test::EnrolledDevice(s);
  std::string uuid = mdm::test::QueueCommand(s, {device.udid(), "InstalledApplicationList", "--no-push"});
  auto cmd = mdm::test::ParseCommand(device.Idle());
  REQUIRE(cmd);
  REQUIRE(cmd->command_uuid == uuid);
  device.installed_apps.clear();
  for (int i = 0; i <= 20000; ++i) device.installed_apps.push_back("com.example.app" + std::to_string(i));
  auto r = device.Answer(*cmd);
  CHECK(r.status == 400);
  CHECK_THAT(s.WorkerLog(), Catch::Contains("InstalledApplicationList has 20001 items"));
  CHECK(s.Query("SELECT status FROM command_queue WHERE command_uuid = '" + uuid + "'") == "Pending");
  CHECK(s.Query("SELECT count(*) FROM device_apps WHERE enrollment_id = '" + device.udid() + "'") == "0");
  // 20,000 are taken.
  device.installed_apps.pop_back();
  CHECK(device.Answer(*cmd).status == 200);
  CHECK(s.Query("SELECT count(*) FROM device_apps WHERE enrollment_id = '" + device.udid() + "'") == "20000");
}
