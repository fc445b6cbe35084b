// The worker's per-request CPU budget (fcgi/cpu_budget.h): a thread that spins past it is
// killed by SIGXCPU; time spent waiting does not count, and Stop disarms it.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <functional>

#include "cpu_budget.h"

namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void Spin(double seconds) {
  volatile unsigned long sink = 0;
  const double until = ThreadCpuSeconds() + seconds;
  while (ThreadCpuSeconds() < until) sink = sink + 1;
}

// Runs `body` in a child process; returns its wait status.
int InChild(const std::function<void()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXCPU, SIG_DFL);
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

}  // namespace

TEST_CASE("cpu budget: a request that spins past it is killed by SIGXCPU", "[cpu_budget]") {
  int status = InChild([] {
    mdm::fcgi::CpuBudget budget(1);
    budget.Start();
    Spin(5);
  });
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGXCPU);
}

TEST_CASE("cpu budget: waiting does not count, and Stop disarms it", "[cpu_budget]") {
  int status = InChild([] {
    mdm::fcgi::CpuBudget budget(1);
    budget.Start();
    usleep(1500 * 1000);  // 1.5 s of wall time, almost no CPU
    Spin(0.3);
    budget.Stop();
    Spin(1.2);  // past the budget, but no request is being timed
    budget.Start();  // each request counts from its own start
    Spin(0.5);
    budget.Stop();
  });
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("cpu budget: 0 means no limit", "[cpu_budget]") {
  int status = InChild([] {
    mdm::fcgi::CpuBudget budget(0);
    budget.Start();
    Spin(1.2);
  });
  CHECK(WIFEXITED(status));
}
