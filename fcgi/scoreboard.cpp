#include "scoreboard.h"

#include <sys/mman.h>
#include <time.h>

#include <cstring>
#include <new>
#include <stdexcept>

namespace mdm::fcgi {

Scoreboard::Scoreboard(int slots) : n_(slots) {
  void* p = ::mmap(nullptr, sizeof(Slot) * static_cast<size_t>(slots), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map the workers' scoreboard");
  slots_ = static_cast<Slot*>(p);
  for (int i = 0; i < slots; ++i) new (&slots_[i]) Slot();
}

Scoreboard::~Scoreboard() { ::munmap(slots_, sizeof(Slot) * static_cast<size_t>(n_)); }

int64_t Scoreboard::NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void Scoreboard::Begin(Slot& s, const char* method, const char* route) {
  std::strncpy(s.method, method, sizeof s.method - 1);
  s.method[sizeof s.method - 1] = '\0';
  std::strncpy(s.route, route, sizeof s.route - 1);
  s.route[sizeof s.route - 1] = '\0';
  s.busy_since_ms.store(NowMs(), std::memory_order_release);
}

}  // namespace mdm::fcgi
