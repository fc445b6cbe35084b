#include "cpu_budget.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mdm::fcgi {

CpuBudget::CpuBudget(int seconds) : seconds_(seconds) {
  if (seconds_ <= 0) return;
  sigevent sev{};
  sev.sigev_notify = SIGEV_THREAD_ID;  // the signal goes to the thread over budget
  sev.sigev_signo = SIGXCPU;
  sev._sigev_un._tid = static_cast<pid_t>(::syscall(SYS_gettid));
  armed_ = timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &timer_) == 0;
}

CpuBudget::~CpuBudget() {
  if (armed_) timer_delete(timer_);
}

void CpuBudget::Start() { Arm(seconds_); }
void CpuBudget::Stop() { Arm(0); }

void CpuBudget::Arm(int seconds) {
  if (!armed_) return;
  itimerspec spec{};  // all zero: disarmed
  if (seconds > 0) {
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec.it_value);
    spec.it_value.tv_sec += seconds;
  }
  timer_settime(timer_, TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace mdm::fcgi
