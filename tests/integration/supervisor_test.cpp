// The mdm-fcgi master replaces a worker process that dies (issue 18): kill -9 under load costs
// only the requests in flight on that process, a new worker serves within a second, and the
// master's log names the signal and the route the worker was serving.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "sim_device.h"
#include "stack.h"

using mdm::test::ReadFile;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;
using Clock = std::chrono::steady_clock;

namespace {

// A short statement timeout, so a test can see it fire.
const bool kConfigured = [] {
  mdm::test::StackOptions o;
  o.extra_config = "statement_timeout_seconds = 5\n";
  mdm::test::ConfigureSharedStack(o);
  return true;
}();

SimDevice EnrolledDevice() { return mdm::test::EnrolledDevice(SharedStack()); }

std::set<pid_t> Workers() {
  auto v = SharedStack().WorkerPids();
  return {v.begin(), v.end()};
}

// Waits until the master has `count` workers again, none of them in `gone`; returns how long.
double SecondsUntilReplaced(const std::set<pid_t>& gone, size_t count) {
  auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(10)) {
    auto now = Workers();
    bool fresh = now.size() == count &&
                 std::none_of(now.begin(), now.end(), [&](pid_t p) { return gone.count(p) > 0; });
    if (fresh) return std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return 999;
}

// A worker waiting for PostgreSQL inside a request (libpq polls its socket) rather than for the
// next request: /proc/PID/task/TID/syscall names the system call each thread is blocked in
// (x86-64: 7 poll, 271 ppoll).
pid_t WorkerWaitingForDatabase() {
  namespace fs = std::filesystem;
  for (pid_t p : Workers()) {
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(p) + "/task", ec)) {
      std::string call = ReadFile(task.path().string() + "/syscall");
      if (call.empty() || call.rfind("running", 0) == 0) continue;
      long nr = std::strtol(call.c_str(), nullptr, 10);
      if (nr == 7 || nr == 271) return p;
    }
  }
  return 0;
}

// Holds an exclusive lock on the groups table, so a catalog read waits inside its worker.
class GroupsLock {
 public:
  GroupsLock() : conn_(SharedStack().Connect()), tx_(*conn_) { tx_.exec("LOCK TABLE groups IN ACCESS EXCLUSIVE MODE"); }
  void Release() { tx_.abort(); }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  pqxx::work tx_;
};

// The number of `worker_died` lines in the workers' log.
size_t Deaths() {
  std::string log = SharedStack().WorkerLog();
  size_t n = 0;
  for (size_t p = log.find("event=worker_died"); p != std::string::npos; p = log.find("event=worker_died", p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("kill -9 of a worker under load: only its request fails, a new worker serves within 1 s", "[supervisor]") {
  auto& s = SharedStack();
  auto before = Workers();
  REQUIRE(before.size() == 4);
  REQUIRE(s.Get("/health").status == 200);

  // Four devices send Idle without pause while one worker is killed.
  std::vector<SimDevice> devices;
  for (int i = 0; i < 4; ++i) devices.push_back(EnrolledDevice());
  std::atomic<bool> stop{false};
  std::atomic<long> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (auto& d : devices)
    clients.emplace_back([&, dev = &d] {
      while (!stop) (dev->Idle().status == 200 ? ok : failed)++;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  pid_t victim = *before.begin();
  size_t deaths = Deaths();
  REQUIRE(kill(victim, SIGKILL) == 0);
  double replaced = SecondsUntilReplaced({victim}, 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& t : clients) t.join();

  WARN("kill -9 under load: a new worker after " << replaced * 1000 << " ms; Idle answered 200: " << ok
                                                  << ", otherwise: " << failed);
  CHECK(replaced < 1.0);
  CHECK(ok > 100);
  // One thread per worker: at most the one request that was on the killed process.
  CHECK(failed <= 1);
  CHECK(Deaths() == deaths + 1);
  CHECK_THAT(s.WorkerLog(), Catch::Contains("pid=" + std::to_string(victim)) && Catch::Contains("signal=SIGKILL"));
  CHECK(s.Get("/health").status == 200);
}

TEST_CASE("the master's log names the route a dying worker was serving, never its body", "[supervisor]") {
  auto& s = SharedStack();
  auto before = Workers();
  // Hold a lock that the catalog read waits for, so one worker stays inside GET /v1/groups.
  GroupsLock lock;
  mdm::test::HttpResponse answer;
  std::thread admin([&] {
    mdm::test::HttpClient client(s.tls_cert());
    answer = client.Request("GET", s.base_url() + "/v1/groups", "",
                            {{"Authorization", "Bearer test-admin-key-0123456789"}});
  });
  pid_t busy = 0;
  for (int i = 0; i < 400 && busy == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    busy = WorkerWaitingForDatabase();
  }
  REQUIRE(busy != 0);
  // The other workers still answer while that one waits.
  CHECK(s.Get("/health").status == 200);
  REQUIRE(kill(busy, SIGKILL) == 0);
  admin.join();
  lock.Release();
  CHECK(answer.status == 502);
  CHECK(SecondsUntilReplaced({busy}, before.size()) < 1.0);
  CHECK_THAT(s.WorkerLog(), Catch::Contains("pid=" + std::to_string(busy)) && Catch::Contains("GET /v1/groups"));
  CHECK(s.Get("/v1/groups", {{"Authorization", "Bearer test-admin-key-0123456789"}}).status == 200);
}

TEST_CASE("a worker that keeps dying young is started again after a growing delay", "[supervisor]") {
  auto& s = SharedStack();
  auto current = Workers();
  REQUIRE(current.size() == 4);
  // The same slot's worker killed four times in a row, each time soon after it started: the
  // first replacements start at once, then after 100 ms, then 200 ms.
  for (int round = 0; round < 4; ++round) {
    auto fresh = Workers();
    std::set<pid_t> added;
    std::set_difference(fresh.begin(), fresh.end(), current.begin(), current.end(), std::inserter(added, added.end()));
    pid_t victim = round == 0 ? *fresh.begin() : *added.begin();
    current = fresh;
    REQUIRE(kill(victim, SIGKILL) == 0);
    REQUIRE(SecondsUntilReplaced({victim}, 4) < 2.0);
  }
  std::string log = s.WorkerLog();
  CHECK_THAT(log, Catch::Contains("restart_in_ms=0") && Catch::Contains("restart_in_ms=100") &&
                      Catch::Contains("restart_in_ms=200"));
  CHECK(s.Get("/health").status == 200);
}

TEST_CASE("a statement that waits past statement_timeout_seconds is a 503, and the worker lives on", "[supervisor]") {
  auto& s = SharedStack();
  auto before = Workers();
  GroupsLock lock;
  auto start = Clock::now();
  auto r = s.Get("/v1/groups", {{"Authorization", "Bearer test-admin-key-0123456789"}});
  double waited = std::chrono::duration<double>(Clock::now() - start).count();
  lock.Release();
  INFO(r.body);
  CHECK(r.status == 503);
  CHECK_THAT(r.body, Catch::Contains("did not answer in time"));
  CHECK(waited > 4.5);
  CHECK(waited < 15);
  CHECK(Workers() == before);
  CHECK(s.Get("/v1/groups", {{"Authorization", "Bearer test-admin-key-0123456789"}}).status == 200);
}
