// Benchmark (not a test): mdmcron's Apps and Books licence step for many devices in one group
// with one VPP app, against the fake Apps and Books service (tests/fakes/vpp.js): seconds and
// HTTP requests, by endpoint. Devices are inserted directly; the token, the sync and the catalog
// go through the console.
//   vpp_bench [--devices 10000] [--licences N (default: as many as devices)] [--event-delay-ms 200]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "fake_vpp.h"
#include "bench_console.h"
#include "stack.h"

namespace {

using mdm::bench::Timed;

std::map<std::string, int> ByPath(const mdm::test::FakeVpp& vpp, size_t from) {
  std::map<std::string, int> n;
  auto all = vpp.Requests();
  for (size_t i = from; i < all.size(); ++i) n[all[i].method + " " + all[i].path]++;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 10000, delay = 200, licences = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--devices")) devices = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--licences")) licences = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--event-delay-ms")) delay = std::atoi(argv[i + 1]);
  }
  if (licences < 0) licences = devices;
  mdm::test::Stack stack;
  mdm::test::FakeVpp::Options o;
  o.locations = {mdm::test::FakeVpp::Location{"Bench School"}};
  o.assets = {mdm::test::FakeVpp::Asset{"361309726", licences}};
  o.event_delay_ms = delay;
  mdm::test::FakeVpp vpp(o);
  const std::string n = std::to_string(devices);
  stack.Query("WITH d AS (INSERT INTO devices (id, serial_number, model_name, os_version, device_information_at) "
              "SELECT 'dev-' || g, 'SER' || lpad(g::text, 8, '0'), 'iPad', '17.4', now() FROM generate_series(1, " +
              n + ") g RETURNING id) "
              "INSERT INTO enrollments (id, device_id, channel, kind, topic, status, push_token, push_magic) "
              "SELECT id, id, 'device', 'device', 'topic', 'enrolled', '\\x00', 'm' FROM d");
  stack.Query("INSERT INTO groups (name) VALUES ('class')");
  stack.Query("INSERT INTO group_devices (group_id, device_id) SELECT g.id, d.id FROM groups g, devices d");
  stack.Query("VACUUM ANALYZE");
  std::string ca = stack.root() + "/vpp-ca.pem";
  mdm::test::WriteFile(ca, mdm::test::ReadFile(vpp.ca_file()));
  std::string token = stack.root() + "/bench.vpptoken";
  mdm::test::WriteFile(token, vpp.token_file());
  mdm::bench::TimedConsole(stack, {"settings", "set", "vpp-url", vpp.url()});
  mdm::bench::TimedConsole(stack, {"settings", "set", "vpp-ca-file", ca});
  mdm::bench::TimedConsole(stack, {"vpp", "token", "upload", token});
  Timed sync = mdm::bench::TimedConsole(stack, {"vpp", "sync"});
  mdm::bench::TimedConsole(stack, {"app", "add", "com.example.bench", "--vpp", "361309726"});
  mdm::bench::TimedConsole(stack, {"app", "assign", "com.example.bench", "class"});

  size_t before = vpp.Requests().size();
  Timed cron = mdm::bench::TimedConsole(stack, {"mdmcron", "--no-push"});
  auto paths = ByPath(vpp, before);
  std::printf("vpp: %d devices, one VPP app (%d licences), Apple's batch limit 1000 serial numbers, events settle "
              "%d ms after they are filed\n", devices, licences, delay);
  std::printf("  vpp sync before: %.2f s; %s\n", sync.seconds, mdm::bench::LineOf(sync.output, "vpp sync:").c_str());
  std::printf("  mdmcron: %.2f s in all; %s\n", cron.seconds, mdm::bench::LineOf(cron.output, "mdmcron licences:").c_str());
  if (licences < devices) std::printf("  %s\n", mdm::bench::LineOf(cron.output, "short of licences:").c_str());
  std::printf("  %s\n", mdm::bench::LineOf(cron.output, "mdmcron reconcile:").c_str());
  int total = 0;
  for (const auto& [path, count] : paths) {
    std::printf("  %-32s %d\n", path.c_str(), count);
    total += count;
  }
  const int floor = (devices + 999) / 1000;
  std::printf("  requests %d: associate %d (devices / batch limit = %d), the rest polling and counts\n", total,
              paths["POST /mdm/v2/assets/associate"], floor);
  std::printf("  fake: %d of %d licences assigned\n", vpp.AssetOf("361309726").assigned, licences);
  before = vpp.Requests().size();
  Timed again = mdm::bench::TimedConsole(stack, {"mdmcron", "--no-push"});
  std::printf("  mdmcron again (nothing to do): %.2f s, %zu request(s) to Apple; %s\n", again.seconds,
              vpp.Requests().size() - before, mdm::bench::LineOf(again.output, "mdmcron licences:").c_str());
  return 0;
}
