// Benchmark (not a test): applesync of a large ABM account from the fake, cold and then
// incremental. Prints seconds, rows written and the console's peak memory.
//   applesync_bench [--devices 100000] [--changes 1000]
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fake_abm.h"
#include "stack.h"
#include "store/settings.h"

namespace {

long long RowsWritten(const mdm::test::Stack& s) {
  return std::stoll(s.Query("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables "
                            "WHERE relname = 'dep_devices'"));
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 100000, changes = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--devices")) devices = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--changes")) changes = std::atoi(argv[i + 1]);
  }
  mdm::test::Stack stack;
  mdm::test::FakeAbm abm(devices, 1000);
  std::string ca = stack.root() + "/abm-ca.pem";
  mdm::test::WriteFile(ca, mdm::test::ReadFile(abm.ca_file()));
  stack.SetSetting(mdm::store::setting::kAbmUrl, abm.url());
  stack.SetSetting(mdm::store::setting::kAbmCaFile, ca);
  stack.SetSetting(mdm::store::setting::kAbmToken, abm.token_json());
  stack.SetSetting(mdm::store::setting::kApiUrl, "https://mdm.example.com/api-mdm.php");
  stack.SetSetting(mdm::store::setting::kActivationProfile,
                   "{\"profile_name\": \"Bench\", \"url\": \"https://mdm.example.com/api-mdm.php/profile\"}");

  // Statistics are flushed by PostgreSQL with a delay; wait for them between phases.
  auto settle = [&] { stack.Query("SELECT pg_stat_force_next_flush()"); usleep(1200 * 1000); };
  long long rows0 = RowsWritten(stack);
  auto cold = stack.Console({"applesync"});
  settle();
  long long rows1 = RowsWritten(stack);
  std::printf("cold: %d devices in %.2f s (exit %d), %lld rows written to dep_devices, peak RSS %.1f MiB\n", devices,
              cold.wall_seconds, cold.exit_code, rows1 - rows0, cold.max_rss_kb / 1024.0);

  std::string control = "{\"changes\": [";
  for (int i = 0; i < changes; ++i) {
    char serial[16];
    std::snprintf(serial, sizeof serial, "ABM%08d", i * 7 % devices + 1);
    const char* op = i % 10 == 0 ? "deleted" : i % 3 == 0 ? "added" : "modified";
    control += std::string(i ? "," : "") + "{\"serial\": \"" + (std::strcmp(op, "added") ? serial : "NEW" + std::string(serial + 3)) +
               "\", \"op_type\": \"" + op + "\", \"model\": \"iPad (changed)\"}";
  }
  control += "]}";
  abm.SetControl(control);
  auto inc = stack.Console({"applesync"});
  settle();
  long long rows2 = RowsWritten(stack);
  std::printf("incremental: %d changes in %.2f s (exit %d), %lld rows written, peak RSS %.1f MiB\n", changes,
              inc.wall_seconds, inc.exit_code, rows2 - rows1, inc.max_rss_kb / 1024.0);
  std::printf("applesync: cold %.2f s for %d devices, incremental %.2f s for %d changes\n", cold.wall_seconds, devices,
              inc.wall_seconds, changes);
  return cold.exit_code == 0 && inc.exit_code == 0 ? 0 : 1;
}
