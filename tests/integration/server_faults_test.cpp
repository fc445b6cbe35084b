// Faults under load (issue 15): mdm-fcgi killed with -9 and PostgreSQL restarted while simulated
// devices work through their command queues. From the server's view every command is delivered
// and answered exactly once, none stays half-sent, and a device never gets an answer that would
// make it unenroll (401/403) or give up (a 4xx). Each test prints what it injected and counted.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "console_checks.h"
#include "sim_device.h"
#include "stack.h"

using mdm::test::ReceivedCommand;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;
using Clock = std::chrono::steady_clock;

namespace {

// What the devices saw, and what that means for the commands.
struct Tally {
  std::mutex mu;
  // Keyed by "UDID CommandUUID": every device gets the same commands.
  std::map<std::string, int> received;  // times the device got the command
  std::map<std::string, int> answered;  // its answers the server took with a 200
  long duplicated = 0;                  // a command received again after its answer got a 200
  std::map<long, long> failures;        // status (0: no answer at all) -> requests
  std::atomic<long> steps{0};

  long Answered() {
    std::lock_guard<std::mutex> l(mu);
    return static_cast<long>(answered.size());
  }
  long Refusals() {
    std::lock_guard<std::mutex> l(mu);
    long n = 0;
    for (auto [status, count] : failures)
      if (status >= 400 && status < 500) n += count;
    return n;
  }
  std::string Failures() {
    std::lock_guard<std::mutex> l(mu);
    std::string s;
    for (auto [status, count] : failures) s += (s.empty() ? "" : ", ") + std::to_string(count) + " x " + std::to_string(status);
    return s.empty() ? "none" : s;
  }
};

// A device as the protocol has it: it answers what it holds (the same answer again until the
// server took it), else it asks for the next command.
struct Driver {
  SimDevice device;
  std::optional<ReceivedCommand> holding;
  bool drained = false;  // the last Idle found nothing

  void Step(Tally& t) {
    auto r = holding ? device.Answer(*holding) : device.Idle();
    t.steps++;
    if (r.status != 200) {
      std::lock_guard<std::mutex> l(t.mu);
      t.failures[r.status]++;
      drained = false;
      return;
    }
    std::lock_guard<std::mutex> l(t.mu);
    const std::string& udid = device.udid();
    if (holding) t.answered[udid + " " + holding->command_uuid]++;
    bool was_holding = holding.has_value();
    holding.reset();
    auto next = mdm::test::ParseCommand(r);
    if (next) {
      std::string key = udid + " " + next->command_uuid;
      if (t.answered.count(key)) t.duplicated++;
      t.received[key]++;
      holding = std::move(next);
    }
    drained = !holding && !was_holding;
  }
};

std::vector<std::unique_ptr<Driver>> EnrollDevices(Stack& s, int n) {
  std::vector<std::unique_ptr<Driver>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<Driver>(Driver{mdm::test::EnrolledDevice(s), {}, false}));
  return out;
}

// `rounds` DeviceInformation commands for every device, one console run per round.
std::set<std::string> QueueRounds(Stack& s, const std::vector<std::unique_ptr<Driver>>& drivers, int rounds) {
  std::set<std::string> uuids;
  std::vector<std::string> args;
  for (const auto& d : drivers) args.push_back(d->device.udid());
  args.insert(args.end(), {"DeviceInformation", "Queries=DeviceName,OSVersion,SerialNumber", "--no-push"});
  for (int i = 0; i < rounds; ++i) uuids.insert(mdm::test::QueueCommand(s, args));
  return uuids;
}

// Runs the devices on `threads` threads until each has drained its queue (or `limit` passes),
// with `pause` between one device's steps; `during` runs meanwhile on the calling thread.
void RunDevices(std::vector<std::unique_ptr<Driver>>& drivers, Tally& t, int threads, std::chrono::milliseconds pause,
                std::chrono::seconds limit, const std::function<void()>& during) {
  auto deadline = Clock::now() + limit;
  std::atomic<bool> script_done{false};
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k)
    pool.emplace_back([&, k] {
      while (Clock::now() < deadline) {
        bool all_drained = true;
        for (size_t i = k; i < drivers.size(); i += threads) {
          if (drivers[i]->drained && script_done) continue;
          drivers[i]->Step(t);
          all_drained = all_drained && drivers[i]->drained;
          std::this_thread::sleep_for(pause);
        }
        // A device that failed waits a little, as a real one waits for its next push.
        if (all_drained && script_done) break;
      }
    });
  during();
  script_done = true;
  for (auto& th : pool) th.join();
}

// Waits until `done()` or `limit`; returns the seconds it took (or a large number).
double WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit, std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  auto start = Clock::now();
  while (Clock::now() - start < limit) {
    if (done()) return std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(poll);
  }
  return 1e9;
}

// The server's view of a set of commands: per status, and rows sent but still unanswered.
struct QueueView {
  long acknowledged = 0, open = 0, sent_open = 0, multi_sent = 0, rows = 0;
};

QueueView ServerView(Stack& s, const std::set<std::string>& uuids) {
  std::string list;
  for (const auto& u : uuids) list += (list.empty() ? "'" : ",'") + u + "'";
  auto c = s.Connect();
  pqxx::nontransaction tx(*c);
  auto r = tx.exec(
      "SELECT count(*) FILTER (WHERE status = 'Acknowledged'), "
      "       count(*) FILTER (WHERE status IN ('Pending', 'NotNow')), "
      "       count(*) FILTER (WHERE status IN ('Pending', 'NotNow') AND sent_count > 0), "
      "       count(*) FILTER (WHERE sent_count > 1), count(*) "
      "FROM command_queue WHERE command_uuid IN (" + list + ")");
  return {r[0][0].as<long>(), r[0][1].as<long>(), r[0][2].as<long>(), r[0][3].as<long>(), r[0][4].as<long>()};
}

// Every queued command answered once, by the right device, and nothing handed out after that.
void CheckExactlyOnce(Stack& s, Tally& t, const std::vector<std::unique_ptr<Driver>>& drivers,
                      const std::set<std::string>& uuids, const char* what) {
  auto view = ServerView(s, uuids);
  long queued = static_cast<long>(uuids.size() * drivers.size());
  long answered_once = 0, answered_more = 0, redelivered = 0, received_distinct = 0;
  {
    std::lock_guard<std::mutex> l(t.mu);
    for (const auto& d : drivers)
      for (const auto& u : uuids) {
        std::string key = d->device.udid() + " " + u;
        auto a = t.answered.find(key);
        if (a != t.answered.end()) (a->second == 1 ? answered_once : answered_more) += 1;
        auto r = t.received.find(key);
        if (r != t.received.end()) {
          received_distinct++;
          redelivered += r->second - 1;
        }
      }
  }
  long lost = queued - view.acknowledged;
  std::printf(
      "server faults (%s): queued %ld, acknowledged on the server %ld, still open %ld (sent but "
      "unanswered %ld), sent more than once %ld, delivered again before an answer got through %ld, "
      "duplicated after an answer %ld, lost %ld; failed device requests: %s\n",
      what, queued, view.acknowledged, view.open, view.sent_open, view.multi_sent, redelivered, t.duplicated, lost,
      t.Failures().c_str());
  std::fflush(stdout);
  CHECK(view.rows == queued);
  CHECK(view.acknowledged == queued);
  CHECK(view.open == 0);
  CHECK(view.sent_open == 0);
  CHECK(lost == 0);
  CHECK(t.duplicated == 0);
  CHECK(answered_once == queued);
  CHECK(answered_more == 0);
  CHECK(received_distinct == queued);
  // A device that is told 4xx may drop its enrollment or the command: never during a fault.
  CHECK(t.Refusals() == 0);
}

}  // namespace

TEST_CASE("kill -9 of mdm-fcgi twice while devices work through their queues: every command answered once", "[faults]") {
  auto& s = SharedStack();
  auto drivers = EnrollDevices(s, 12);
  auto uuids = QueueRounds(s, drivers, 20);
  Tally t;
  const long total = static_cast<long>(uuids.size() * drivers.size());
  int kills = 0;
  double down_ms = 0;
  RunDevices(drivers, t, 4, std::chrono::milliseconds(2), std::chrono::seconds(120), [&] {
    for (double share : {0.25, 0.6}) {
      WaitFor([&] { return t.Answered() >= share * static_cast<double>(total); },
              std::chrono::seconds(60), std::chrono::milliseconds(5));
      auto before = Clock::now();
      s.KillWorkers();
      kills++;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      s.StartWorkers();
      WaitFor([&] { return s.Get("/health").status == 200; }, std::chrono::seconds(20));
      down_ms += std::chrono::duration<double, std::milli>(Clock::now() - before).count();
    }
  });
  std::printf("server faults: injected kill -9 of the mdm-fcgi master (and so its workers) %d times, %.0f ms down in all\n",
              kills, down_ms);
  CHECK(kills == 2);
  CheckExactlyOnce(s, t, drivers, uuids, "kill -9 of mdm-fcgi");
  // The outage was seen (else the test proved nothing), as 502s from nginx, never as a refusal.
  CHECK(t.Failures() != "none");
  CHECK(s.Get("/health").status == 200);
}

TEST_CASE("PostgreSQL restarted (fast, then immediate) under load: 503s, reconnects, nothing lost", "[faults]") {
  auto& s = SharedStack();
  auto drivers = EnrollDevices(s, 12);
  auto uuids = QueueRounds(s, drivers, 20);
  auto workers = s.WorkerPids();
  REQUIRE(workers.size() == 4);
  Tally t;
  std::vector<std::string> report;
  std::map<long, int> health_while_down;
  RunDevices(drivers, t, 4, std::chrono::milliseconds(10), std::chrono::seconds(150), [&] {
    for (auto [share, mode] : {std::pair{0.2, "fast"}, std::pair{0.55, "immediate"}}) {
      WaitFor([&] { return t.Answered() >= share * static_cast<double>(uuids.size() * drivers.size()); }, std::chrono::seconds(60),
              std::chrono::milliseconds(5));
      long answered_before = t.Answered();
      s.pg().Stop(mode);
      // While it is down the devices keep trying; /health says so.
      for (int i = 0; i < 10; ++i) {
        health_while_down[s.Get("/health").status]++;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      s.pg().Start();
      double back = WaitFor([&] { return s.Get("/health").status == 200; }, std::chrono::seconds(30));
      report.push_back(std::string("pg_ctl stop -m ") + mode + " after " + std::to_string(answered_before) +
                       " commands answered, down 1 s, /health 200 again " + std::to_string(static_cast<int>(back * 1000)) +
                       " ms after the start");
      CHECK(back < 10);
    }
  });
  for (const auto& line : report) std::printf("server faults: injected %s\n", line.c_str());
  CheckExactlyOnce(s, t, drivers, uuids, "PostgreSQL restarts");
  // Only 503s while the database was away: a 500 would mean an error we did not understand.
  {
    std::lock_guard<std::mutex> l(t.mu);
    for (auto [status, count] : t.failures) {
      INFO(count << " device requests answered " << status);
      CHECK(status == 503);
    }
    CHECK(t.failures.count(503) == 1);
  }
  CHECK(health_while_down.size() == 1);
  CHECK(health_while_down.count(503) == 1);
  // The same worker processes reconnected: none was restarted.
  CHECK(s.WorkerPids() == workers);
  CHECK(s.Get("/health").status == 200);
}
