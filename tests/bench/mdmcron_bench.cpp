// Benchmark (not a test): mdmcron's reconcile over many devices inserted directly: a run with
// nothing to do, then one new profile for all of them. Prints seconds and statements.
//   mdmcron_bench [--devices 100000]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "stack.h"

namespace {

struct Timed {
  double seconds;
  std::string summary;
};

Timed Cron(mdm::test::Stack& s) {
  auto start = std::chrono::steady_clock::now();
  auto r = s.Console({"mdmcron", "--no-push"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.exit_code != 0) std::fprintf(stderr, "mdmcron failed:\n%s\n", r.output.c_str());
  size_t at = r.output.find("mdmcron reconcile:");
  return {secs, at == std::string::npos ? r.output : r.output.substr(at, r.output.find('\n', at) - at)};
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 100000;
  for (int i = 1; i + 1 < argc; i += 2)
    if (!std::strcmp(argv[i], "--devices")) devices = std::atoi(argv[i + 1]);
  mdm::test::Stack stack;
  const std::string n = std::to_string(devices);
  stack.Query("WITH d AS (INSERT INTO devices (id, serial_number, model_name, os_version, device_information_at) "
              "SELECT 'dev-' || g, 'SER' || g, 'iPad', '17.4', now() FROM generate_series(1, " + n + ") g RETURNING id) "
              "INSERT INTO enrollments (id, device_id, channel, kind, topic, status, push_token, push_magic) "
              "SELECT id, id, 'device', 'device', 'topic', 'enrolled', '\\x00', 'm' FROM d");
  stack.Query("INSERT INTO groups (name) VALUES ('all'); INSERT INTO groups (name, parent_id) SELECT 'class', id FROM groups "
              "WHERE name = 'all'");
  stack.Query("INSERT INTO group_devices (group_id, device_id) SELECT g.id, d.id FROM groups g, devices d "
              "WHERE g.name = 'class'");
  stack.Query("VACUUM ANALYZE");

  Timed idle = Cron(stack);
  std::printf("no-op, %d devices: %.2f s; %s\n", devices, idle.seconds, idle.summary.c_str());
  stack.Query("INSERT INTO profiles (identifier, payload_uuid, xml, original, content_hash) VALUES ('com.example.all', "
              "'u', '<plist version=\"1.0\"><dict><key>PayloadType</key><string>Configuration</string></dict></plist>', "
              "'\\x00', 'h1')");
  stack.Query("INSERT INTO group_profiles SELECT g.id, p.id FROM groups g, profiles p WHERE g.name = 'all'");
  Timed install = Cron(stack);
  std::printf("one new profile, %d devices: %.2f s; %s\n", devices, install.seconds, install.summary.c_str());
  Timed after = Cron(stack);
  std::printf("no-op again: %.2f s; %s\n", after.seconds, after.summary.c_str());
  std::printf("mdmcron: no-op %.2f s, %d InstallProfile queued in %.2f s (%d devices)\n", idle.seconds,
              devices, install.seconds, devices);
  return 0;
}
