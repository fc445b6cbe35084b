// What each worker thread is doing, in memory shared by the master and the worker processes,
// so that the master can name the request a worker died on. Written only by its own thread;
// read by the master after that worker is gone (or for a log line, racily: a torn route only
// makes a log line less exact).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mdm::fcgi {

struct Slot {
  std::atomic<int64_t> busy_since_ms{0};  // CLOCK_MONOTONIC ms when the request came in; 0: idle
  char method[8] = {};
  char route[56] = {};  // the route only: never the body, never an enrollment-link token
};

class Scoreboard {
 public:
  // Maps `slots` zeroed slots shared with every process forked afterwards.
  explicit Scoreboard(int slots);
  ~Scoreboard();
  Scoreboard(const Scoreboard&) = delete;
  Scoreboard& operator=(const Scoreboard&) = delete;

  Slot& at(int i) { return slots_[i]; }
  int size() const { return n_; }

  // Marks a slot busy with the request's method and route, and idle again.
  static void Begin(Slot& s, const char* method, const char* route);
  static void End(Slot& s) { s.busy_since_ms.store(0, std::memory_order_release); }
  static int64_t NowMs();

 private:
  Slot* slots_;
  int n_;
};

}  // namespace mdm::fcgi
