// A per-request CPU budget for worker threads: a request that spins past it gets SIGXCPU, whose
// default action ends the worker process; the master logs it and starts another.
#pragma once

#include <time.h>

namespace mdm::fcgi {

// A timer on the calling thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID), so time spent
// waiting (for PostgreSQL, for the client) does not count. Made, armed and disarmed by the
// thread it watches.
class CpuBudget {
 public:
  explicit CpuBudget(int seconds);  // 0 or less: no budget
  ~CpuBudget();
  CpuBudget(const CpuBudget&) = delete;
  CpuBudget& operator=(const CpuBudget&) = delete;

  void Start();  // the budget counts from now
  void Stop();

 private:
  void Arm(int seconds);

  int seconds_;
  bool armed_ = false;
  timer_t timer_{};
};

}  // namespace mdm::fcgi
