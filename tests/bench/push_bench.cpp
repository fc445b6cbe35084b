// Benchmark (not a test): pushes to the fake APNs over one HTTP/2 connection, chosen and
// recorded by mdmcron. Prints pushes/s, streams in flight and the pusher's CPU per push.
//   push_bench [--pushes 10000,100000]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "fake_apns.h"
#include "stack.h"
#include "store/settings.h"

namespace {

struct Measured {
  double wall = 0, cpu = 0;
  std::string output;
};

Measured Console(const mdm::test::Stack& s, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MDM_CONSOLE_BIN, "--config", s.config_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  int fds[2];
  if (pipe(fds) != 0) return {};
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    std::vector<char*> a;
    for (auto& x : argv) a.push_back(x.data());
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  close(fds[1]);
  Measured m;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) m.output.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  m.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  return m;
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
    Measured m = Console(stack, {"mdmcron"});
    std::string line = m.output.substr(0, m.output.find('\n'));
    std::printf("%d pushes: %.2f s, %.0f pushes/s, pusher CPU %.3f ms per push, %d connection(s); %s\n", n, m.wall,
                n / m.wall, m.cpu * 1000 / n, apns.Sessions() - sessions, line.c_str());
    if (m.output.find(std::to_string(n) + " sent") == std::string::npos) rc = 1;
  }
  return rc;
}
