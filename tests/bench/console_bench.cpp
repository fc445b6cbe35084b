// Benchmark (not a test): the web console's device list with many devices: the server's time
// per request for a page sorted by last seen, a search by serial number, a sort by name and a
// deep page, through nginx and the workers as the browser calls them (a console session).
//   console_bench [--devices 100000] [--requests 50]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "stack.h"
#include "webdriver.h"

namespace {

double Ms(std::chrono::steady_clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  int devices = 100000, requests = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--devices")) devices = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--requests")) requests = std::atoi(argv[i + 1]);
  }
  mdm::test::Stack stack;
  auto t0 = std::chrono::steady_clock::now();
  stack.Query("WITH d AS (INSERT INTO devices (id, udid, serial_number, device_name, model_name, product_name, "
              "  os_version, device_information_at) "
              "SELECT 'UDID-' || lpad(g::text, 36, '0'), 'UDID-' || lpad(g::text, 36, '0'), 'SER' || lpad(g::text, 9, '0'), "
              "  'iPad of pupil ' || g, 'iPad', 'iPad13,' || (g % 20), '17.' || (g % 6), now() "
              "FROM generate_series(1, " + std::to_string(devices) + ") g RETURNING id) "
              "INSERT INTO enrollments (id, device_id, channel, kind, topic, status, push_token, push_magic, last_seen_at) "
              "SELECT id, id, 'device', 'device', 'com.apple.mgmt.x', 'enrolled', '\\x00', 'm', "
              "  now() - (random() * interval '60 days') FROM d");
  // 40 classes of 2,500 devices each (at 100,000): a search by a class's name finds its members.
  stack.Query("INSERT INTO groups (name) SELECT 'Class ' || c FROM generate_series(1, 40) c");
  stack.Query("INSERT INTO group_devices (group_id, device_id) SELECT g.id, d.id FROM devices d "
              "JOIN groups g ON g.name = 'Class ' || (1 + substr(d.id, 6)::bigint % 40)");
  stack.Query("VACUUM ANALYZE group_devices");
  stack.Query("VACUUM ANALYZE devices");  // as autovacuum leaves them in a steady state
  stack.Query("VACUUM ANALYZE enrollments");
  std::printf("%d devices inserted in %.1f s\n", devices, Ms(std::chrono::steady_clock::now() - t0) / 1000);
  stack.AddConsoleUser("bench", "viewer", "bench password 1");
  auto login = stack.Send("POST", "/v1/session", R"({"name":"bench","password":"bench password 1"})",
                          {{"Content-Type", "application/json"}});
  std::string cookie = login.headers["set-cookie"].substr(0, login.headers["set-cookie"].find(';'));
  struct Case {
    const char* what;
    std::string route;
  };
  std::vector<Case> cases = {
      {"first page by last seen", "/v1/devices?limit=50&offset=0&sort=last_seen_at&order=desc"},
      {"search by serial", "/v1/devices?limit=50&search=SER0000" + std::to_string(devices / 2).substr(0, 4)},
      {"search by one exact serial", "/v1/devices?limit=50&search=SER" + std::string(9 - std::to_string(devices / 3).size(), '0') + std::to_string(devices / 3)},
      {"search by group name", "/v1/devices?limit=50&search=Class%2017"},
      {"sort by name", "/v1/devices?limit=50&sort=device_name&order=asc"},
      {"page 1000 by last seen", "/v1/devices?limit=50&offset=" + std::to_string(std::max(0, devices - 100)) + "&sort=last_seen_at"},
  };
  for (const auto& c : cases) {
    std::vector<double> ms;
    long status = 0;
    for (int i = 0; i < requests; ++i) {
      auto start = std::chrono::steady_clock::now();
      auto r = stack.Send("GET", c.route, "", {{"Cookie", cookie}});
      ms.push_back(Ms(std::chrono::steady_clock::now() - start));
      status = r.status;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("console device list: %-28s %d devices: median %.1f ms, p95 %.1f ms (HTTP %ld)\n", c.what, devices,
                ms[ms.size() / 2], ms[ms.size() * 95 / 100], status);
  }
  // The page in Chromium: from asking for the device list to its first row on screen, and a
  // search typed into the box until the matching row shows.
  {
    mdm::test::Browser b;
    std::string base = stack.base_url();
    std::string console = base.substr(0, base.rfind("/api-mdm.php")) + "/console/";
    b.Go(console + "#/login");
    b.Type(b.WaitFor("#login-name"), "bench");
    b.Type(b.Find("#login-password"), "bench password 1");
    b.Click(b.Find("#login-submit"));
    b.WaitFor("#dashboard", 30000);
    std::vector<double> loads, searches;
    for (int i = 0; i < 5; ++i) {
      b.Go(console + "#/dashboard");
      b.WaitFor("#dashboard", 30000);
      auto start = std::chrono::steady_clock::now();
      b.Go(console + "#/devices");
      b.WaitFor("#device-table tr[data-device-id]", 30000);
      loads.push_back(Ms(std::chrono::steady_clock::now() - start));
      std::string serial = "SER" + std::string(9 - std::to_string(1000 + i).size(), '0') + std::to_string(1000 + i);
      start = std::chrono::steady_clock::now();
      b.Type(b.Find("#device-search"), serial);
      b.WaitFor("tr[data-device-id=\"UDID-" + std::string(36 - std::to_string(1000 + i).size(), '0') +
                    std::to_string(1000 + i) + "\"]", 30000);
      searches.push_back(Ms(std::chrono::steady_clock::now() - start));
    }
    std::sort(loads.begin(), loads.end());
    std::sort(searches.begin(), searches.end());
    std::printf("console device list: page load in Chromium, %d devices: median %.0f ms, worst %.0f ms; a serial "
                "typed into the search until its row shows: median %.0f ms (300 ms of it the typing pause)\n",
                devices, loads[loads.size() / 2], loads.back(), searches[searches.size() / 2]);
  }
  if (std::getenv("CONSOLE_BENCH_EXPLAIN")) {
    stack.Query("CREATE FUNCTION bench_explain(q text) RETURNS text LANGUAGE plpgsql AS $$ DECLARE r text; o text := ''; "
                "BEGIN FOR r IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS) ' || q LOOP o := o || r || chr(10); END LOOP; "
                "RETURN o; END $$");
    std::printf("%s\n", stack.Query(std::string("SELECT bench_explain($q$") + std::getenv("CONSOLE_BENCH_EXPLAIN") +
                                    "$q$)").c_str());
  }
  return 0;
}
