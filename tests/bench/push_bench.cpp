// Benchmark (not a test): pushes to the fake APNs over one HTTP/2 connection, chosen and
// recorded by mdmcron's push step (push::PushDue, run in this process so that its CPU time is
// the pusher's alone). Prints pushes/s, streams in flight and the pusher's CPU per push.
//   push_bench [--pushes 10000,100000]

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "fake_apns.h"
#include "stack.h"
#include "push/pusher.h"
#include "store/database.h"
#include "store/settings.h"

namespace {

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {10000, 100000};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--pushes")) {
      sizes.clear();
      std::stringstream ss(argv[i + 1]);
      for (std::string n; std::getline(ss, n, ',');) sizes.push_back(std::stoi(n));
    }
  }
  mdm::test::Stack stack;
  mdm::test::FakeApns apns(mdm::test::Stack::kTopic);
  std::string ca = stack.root() + "/apns-ca.pem";
  mdm::test::WriteFile(ca, mdm::test::ReadFile(apns.ca_file()));
  stack.SetSetting(mdm::store::setting::kApnsUrl, apns.url());
  stack.SetSetting(mdm::store::setting::kApnsCaFile, ca);
  stack.SetSetting(mdm::store::setting::kPushCert, apns.client_cert_pem());
  stack.SetSetting(mdm::store::setting::kPushKey, apns.client_key_pem());
  int rc = 0;
  for (int n : sizes) {
    // n enrollments, silent for two days: mdmcron's daily wake-up picks every one.
    stack.Query("TRUNCATE devices CASCADE");
    stack.Query("WITH d AS (INSERT INTO devices (id, device_information_at) SELECT 'bench-' || g, now() FROM generate_series(1, " + std::to_string(n) +
                ") g RETURNING id) INSERT INTO enrollments (id, device_id, channel, kind, topic, status, push_token, "
                "push_magic, last_seen_at) SELECT id, id, 'device', 'device', '" + std::string(mdm::test::Stack::kTopic) +
                "', 'enrolled', sha256(convert_to(id, 'UTF8')), 'magic-' || id, now() - interval '2 days' FROM d");
    int sessions = apns.Sessions();
    mdm::store::Database db(stack.pg().conninfo());
    double cpu = CpuSeconds();
    auto start = std::chrono::steady_clock::now();
    auto summary = mdm::push::PushDue(db.connection(), {});
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu = CpuSeconds() - cpu;
    if (!summary.ok() || summary->sent != static_cast<size_t>(n)) {
      std::fprintf(stderr, "push step failed: %s\n", summary.ok() ? summary->first_error.c_str()
                                                                 : summary.status().message().c_str());
      rc = 1;
      continue;
    }
    std::printf("%d pushes: %.2f s, %.0f pushes/s, pusher CPU %.3f ms per push, at most %d in flight, %d connection(s)\n",
                n, wall, n / wall, cpu * 1000 / n, summary->max_in_flight, apns.Sessions() - sessions);
  }
  return rc;
}
