// Fault injection against the crontab verbs on the real stack: mdmcron and applesync killed
// (SIGKILL) mid-run and run again, two of each at once on two "hosts" (two mdm.conf files, one
// database), and fakes of APNs and ABM that stall, drop or reset. Each test prints what it
// injected and what it counted.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/crypto.h"
#include "fake_abm.h"
#include "fake_apns.h"
#include "stack.h"
#include "store/settings.h"

using mdm::test::FakeAbm;
using mdm::test::FakeApns;
using mdm::test::ReadFile;
using mdm::test::SharedStack;
using mdm::test::Stack;
using mdm::test::WriteFile;
namespace setting = mdm::store::setting;
using Clock = std::chrono::steady_clock;

namespace {

// The advisory locks of cli/verbs_push.cpp (mdmcron) and lib/abm/sync.cpp (applesync).
constexpr long long kCronLock = 0x6d646d2d63726f6eLL;
constexpr long long kSyncLock = 0x6d646d2d61626d73LL;

// Two workers are plenty: these tests talk to the database and the fakes, not to nginx.
const bool kConfigured = [] {
  mdm::test::StackOptions o;
  o.workers = 2;
  mdm::test::ConfigureSharedStack(o);
  return true;
}();

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }
int N(const std::string& sql) { return std::stoi(Q(sql)); }

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Polls `done` every 20 ms for at most `seconds`; fails the test with `what` when it never holds.
void WaitUntil(const std::function<bool()>& done, double seconds, const std::string& what) {
  const auto start = Clock::now();
  while (!done()) {
    if (Since(start) > seconds) FAIL("waited " << seconds << " s in vain for " << what);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Whether some session holds the advisory lock `key` (a bigint key shows as classid, objid).
bool LockHeld(long long key) {
  return Q("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid = " +
           std::to_string(key >> 32) + " AND objid = " + std::to_string(key & 0xffffffffLL)) != "0";
}

// A killed run's database session ends once PostgreSQL notices the client went away, and only
// then is its lock free; a run started before would find it held.
void WaitLockFree(long long key) {
  WaitUntil([&] { return !LockHeld(key); }, 20, "the killed run's lock to be released");
}

// A second "host": its own mdm.conf, naming the same database.
const std::string& HostB() {
  static const std::string path = [] {
    std::string p = SharedStack().root() + "/host-b.conf";
    WriteFile(p, "# host b: another machine of the same installation\n" + ReadFile(SharedStack().config_path()),
              0600);
    return p;
  }();
  return path;
}

// mdm-console started in the background, as cron starts it; stdout and stderr go to a file.
class Background {
 public:
  Background(const std::string& config, const std::vector<std::string>& args) {
    static int runs = 0;
    log_ = SharedStack().root() + "/background-" + std::to_string(++runs) + ".log";
    std::vector<std::string> argv = {MDM_CONSOLE_BIN, "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    start_ = Clock::now();
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      execv(c[0], c.data());
      _exit(127);
    }
    close(fd);
  }
  ~Background() {
    if (pid_ > 0) Kill();
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // Waits for the exit (at most `seconds`, then the test fails); returns the exit status.
  int Wait(double seconds) {
    WaitUntil([&] { return done(); }, seconds, "mdm-console to finish:\n" + output());
    return status_;
  }
  // Whether it has exited (reaped now if it just did: seconds() is then its run time).
  bool done() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    seconds_ = Since(start_);
    return true;
  }
  // SIGKILL: no chance to clean up, as when the machine dies.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    status_ = -SIGKILL;
    seconds_ = Since(start_);
  }
  int status() const { return status_; }
  std::string output() const { return ReadFile(log_); }
  double seconds() const { return seconds_; }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int status_ = -1;
  double seconds_ = 0;
  Clock::time_point start_;
};

// Waits for both at once, so that each one's run time is its own.
void WaitBoth(Background& a, Background& b, double seconds) {
  WaitUntil(
      [&] {
        const bool a_done = a.done(), b_done = b.done();
        return a_done && b_done;
      },
      seconds, "both runs to finish:\n" + a.output() + b.output());
}

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  WriteFile(path, data);
  return path;
}

std::string ConsoleOk(const std::vector<std::string>& args) {
  auto r = SharedStack().Console(args);
  INFO(args[0] << " " << (args.size() > 1 ? args[1] : "") << ":\n" << r.output);
  REQUIRE(r.exit_code == 0);
  return r.output;
}

// --- APNs --------------------------------------------------------------------------------

// Points the push settings at a fake.
void PointApnsAt(const FakeApns& fake) {
  auto& s = SharedStack();
  s.SetSetting(setting::kApnsUrl, fake.url());
  s.SetSetting(setting::kApnsCaFile, File("apns-ca-" + fake.url().substr(fake.url().rfind(':') + 1) + ".pem",
                                          ReadFile(fake.ca_file())));
  s.SetSetting(setting::kPushCert, fake.client_cert_pem());
  s.SetSetting(setting::kPushKey, fake.client_key_pem());
}

// The fake most tests push to: every push 200 unless a test says otherwise.
FakeApns& Apns() {
  static FakeApns fake(Stack::kTopic);
  static bool pointed = false;
  if (!pointed) PointApnsAt(fake);
  pointed = true;
  return fake;
}

// Sets a timeout setting through the console for the test's span; the default again after.
struct TimeoutSetting {
  std::string name;
  TimeoutSetting(std::string n, int seconds) : name(std::move(n)) {
    ConsoleOk({"settings", "set", name, std::to_string(seconds)});
  }
  ~TimeoutSetting() {
    Q(std::string("DELETE FROM settings WHERE name = '") +
      (name == "apns-timeout-seconds" ? setting::kApnsTimeout : setting::kAbmTimeout) + "'");
  }
};

// Enrolled devices (rows as a TokenUpdate leaves them) in a group that carries one profile, so
// mdmcron queues an InstallProfile for each and pushes them. Removed again at the end.
struct Fleet {
  std::string prefix, group;
  std::vector<std::string> ids;
  std::map<std::string, std::string> token;  // id -> hex push token

  Fleet(const std::string& name, int size) : prefix("cf-" + name + "-"), group("cf-" + name) {
    std::string values;
    for (int i = 0; i < size; ++i) {
      char id[64];
      std::snprintf(id, sizeof id, "%s%02d", prefix.c_str(), i);
      ids.push_back(id);
      token[id] = mdm::crypto::RandomHex(32);
      values += std::string(values.empty() ? "" : ",") + "('" + id + "', '" + token[id] + "')";
    }
    Q("WITH v(id, t) AS (VALUES " + values + "), d AS (INSERT INTO devices (id) SELECT id FROM v) "
      "INSERT INTO enrollments (id, device_id, channel, kind, topic, status, push_token, push_magic, last_seen_at) "
      "SELECT id, id, 'device', 'device', '" + std::string(Stack::kTopic) + "', 'enrolled', decode(t, 'hex'), "
      "  'magic-' || id, now() FROM v");
    const std::string identifier = "com.example." + group;
    ConsoleOk({"profile", "add", File(group + ".mobileconfig",
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
               "<key>PayloadType</key><string>Configuration</string>"
               "<key>PayloadIdentifier</key><string>" + identifier + "</string>"
               "<key>PayloadUUID</key><string>" + mdm::crypto::NewUuid() + "</string>"
               "<key>PayloadVersion</key><integer>1</integer>"
               "<key>PayloadDisplayName</key><string>" + group + "</string>"
               "<key>PayloadContent</key><array/></dict></plist>")});
    ConsoleOk({"group", "create", group});
    std::vector<std::string> add = {"group", "add-devices", group};
    add.insert(add.end(), ids.begin(), ids.end());
    ConsoleOk(add);
    ConsoleOk({"profile", "assign", identifier, group});
  }
  ~Fleet() {
    Q("DELETE FROM devices WHERE id LIKE '" + prefix + "%'");
    Q("DELETE FROM groups WHERE name = '" + group + "'");
  }

  // InstallProfile commands queued per device: {devices with exactly one, devices with more}.
  std::pair<int, int> Installs() const {
    std::string counts = Q(
        "SELECT count(*) FILTER (WHERE n = 1) || ' ' || count(*) FILTER (WHERE n > 1) FROM ("
        "  SELECT e.id, count(c.command_uuid) AS n FROM enrollments e "
        "  LEFT JOIN command_queue q ON q.enrollment_id = e.id "
        "  LEFT JOIN commands c ON c.command_uuid = q.command_uuid AND c.request_type = 'InstallProfile' "
        "  WHERE e.id LIKE '" + prefix + "%' GROUP BY e.id) x");
    int once = 0, more = 0;
    std::sscanf(counts.c_str(), "%d %d", &once, &more);
    return {once, more};
  }
  // Commands of one type queued twice or more for one device, of any type.
  int Duplicates() const {
    return N("SELECT count(*) FROM (SELECT q.enrollment_id, c.request_type FROM command_queue q "
             "JOIN commands c USING (command_uuid) WHERE q.enrollment_id LIKE '" + prefix + "%' "
             "GROUP BY 1, 2 HAVING count(*) > 1) d");
  }
  int Queued() const { return N("SELECT count(*) FROM command_queue WHERE enrollment_id LIKE '" + prefix + "%'"); }
  int Recorded() const {
    return N("SELECT count(*) FROM enrollments WHERE id LIKE '" + prefix + "%' AND last_push_at IS NOT NULL");
  }

  // The fake's records for this fleet's tokens, by id: how many were answered 200, how many
  // got no answer at all (status 0).
  std::map<std::string, int> Answered(const FakeApns& apns, int status) const {
    std::map<std::string, std::string> id_of;
    for (auto& [id, t] : token) id_of[t] = id;
    std::map<std::string, int> n;
    for (auto& p : apns.Pushes())
      if (id_of.contains(p.token) && p.status == status) n[id_of[p.token]]++;
    return n;
  }
};

int Sum(const std::map<std::string, int>& m) {
  int s = 0;
  for (auto& [k, v] : m) s += v;
  return s;
}

// The number after `label` in `text` ("profiles +10" with label "profiles +"), or -1.
int NumberAfter(const std::string& text, const std::string& label) {
  auto p = text.find(label);
  return p == std::string::npos ? -1 : std::atoi(text.c_str() + p + label.size());
}

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// Without its last newline, to quote it in a line.
std::string Chomp(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// --- ABM -----------------------------------------------------------------------------------

const char* kApi = "https://mdm.example.com/api-mdm.php";

// Points the server at an ABM fake through the operator's steps (its URL and CA, then the
// server token it issues, uploaded as the .p7m ABM hands out), with its ABM state cleared:
// every fake starts from a first run.
void PointAbmAt(const FakeAbm& abm) {
  static bool once = false;
  if (!once) {
    ConsoleOk({"settings", "set", "api-url", kApi});
    ConsoleOk({"activation-profile", "set",
               File("activation.json", "{\"profile_name\": \"Faults\", \"url\": \"" + std::string(kApi) +
                                           "/profile\", \"is_supervised\": true, \"is_mandatory\": true}")});
    once = true;
  }
  ConsoleOk({"settings", "set", "abm-url", abm.url()});
  ConsoleOk({"settings", "set", "abm-ca-file", File("abm-ca.pem", ReadFile(abm.ca_file()))});
  std::string cert = ConsoleOk({"token", "cert"});
  std::string p7m = SharedStack().root() + "/token.p7m";
  const std::string message = "Content-Type: text/plain;charset=UTF-8\r\n\r\n-----BEGIN MESSAGE-----\n" +
                              abm.token_json() + "\n-----END MESSAGE-----\n";
  auto enc = mdm::test::Run({"openssl", "smime", "-encrypt", "-aes256", "-in", File("token.txt", message), "-out", p7m,
                             File("token-cert.pem", cert)});
  INFO(enc.output);
  REQUIRE(enc.exit_code == 0);
  ConsoleOk({"token", "upload", p7m});
  Q("DELETE FROM dep_devices");
  Q("DELETE FROM settings WHERE name IN ('abm.cursor', 'abm.cursor_mode', 'abm.profile_hash', 'abm.profile_uuid', "
    "'abm.account')");
}

size_t Count(const FakeAbm& abm, const std::string& method, const std::string& path, int status = -1) {
  size_t n = 0;
  for (auto& r : abm.Requests())
    if (r.method == method && r.path == path && (status < 0 || r.status == status)) ++n;
  return n;
}

size_t Faulted(const FakeAbm& abm, const std::string& fault) {
  size_t n = 0;
  for (auto& r : abm.Requests())
    if (r.fault == fault) ++n;
  return n;
}

// What applesync leaves in the database, but for the profile UUIDs each fake makes up.
std::string DepState() {
  return Q("SELECT string_agg(concat_ws('|', serial_number, source, model, description, color, asset_tag, os, "
           "device_family, profile_status, profile_uuid IS NOT NULL, op_type, deleted_at IS NOT NULL, assign_result, "
           "assign_profile_uuid IS NOT NULL), E'\\n' ORDER BY serial_number) FROM dep_devices") +
         "\ncursor mode " + Q("SELECT value FROM settings WHERE name = 'abm.cursor_mode'");
}

std::string Setting(const std::string& name) { return Q("SELECT value FROM settings WHERE name = '" + name + "'"); }

}  // namespace

// --- killed mid-run ------------------------------------------------------------------------

TEST_CASE("mdmcron killed inside its reconcile leaves nothing; the next run queues each command once", "[faults]") {
  FakeApns& apns = Apns();
  Fleet fleet("reconcile", 10);
  // The reconcile is one transaction: hold its first write to the queue, kill it there.
  auto conn = SharedStack().Connect();
  pqxx::work hold(*conn);
  hold.exec("LOCK TABLE command_queue IN SHARE MODE");
  Background cron(SharedStack().config_path(), {"mdmcron"});
  const std::string waiting = "FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE "
                              "'%INSERT INTO command_queue%'";
  WaitUntil([&] { return N("SELECT count(*) " + waiting) > 0; }, 30, "mdmcron's reconcile to wait on the queue");
  // Its transaction has written already (commands, deployments): it has a transaction ID.
  const std::string xid = Q("SELECT backend_xid::text " + waiting);
  cron.Kill();
  hold.commit();
  WaitLockFree(kCronLock);
  const std::string fate = Q("SELECT txid_status(" + xid + ")");
  // Nothing of the killed transaction stays: no command, no deployment marked as sent.
  CHECK(xid != "");
  CHECK(fate == "aborted");
  CHECK(fleet.Queued() == 0);
  CHECK(N("SELECT count(*) FROM device_deployments WHERE device_id LIKE 'cf-reconcile-%'") == 0);
  CHECK(fleet.Recorded() == 0);

  auto again = SharedStack().Console({"mdmcron"});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  auto [once, more] = fleet.Installs();
  auto delivered = fleet.Answered(apns, 200);
  std::printf("cron faults: injected SIGKILL to mdmcron inside its reconcile transaction (xid %s, it had written); "
              "that transaction %s; the next run queued %d, InstallProfile once %d, duplicated %d, other duplicates "
              "%d; pushes delivered %d to %zu devices, lost %zu\n",
              xid.c_str(), fate.c_str(), fleet.Queued(), once, more, fleet.Duplicates(), Sum(delivered),
              delivered.size(), fleet.ids.size() - delivered.size());
  CHECK(NumberAfter(again.output, "profiles +") == 10);
  CHECK(once == 10);
  CHECK(more == 0);
  CHECK(fleet.Duplicates() == 0);
  CHECK(delivered.size() == 10);
  CHECK(Sum(delivered) == 10);
  CHECK(fleet.Recorded() == 10);
  // And once more: nothing new.
  auto third = SharedStack().Console({"mdmcron"});
  CHECK_THAT(third.output, Catch::Contains("mdmcron reconcile: 0 queued") && Catch::Contains("0 selected"));
}

TEST_CASE("mdmcron killed while its pushes wait on APNs: the next run queues nothing twice and loses no push",
          "[faults]") {
  FakeApns& apns = Apns();
  Fleet fleet("pushes", 10);
  // Three devices are answered at once, the other seven never: the run waits on them.
  for (int i = 0; i < 3; ++i) apns.SetBehaviour(fleet.token[fleet.ids[i]], {"200"});
  apns.SetBehaviour("*", {"stall"});
  Background cron(SharedStack().config_path(), {"mdmcron"});
  WaitUntil([&] { return Sum(fleet.Answered(apns, 200)) == 3 && Sum(fleet.Answered(apns, 0)) == 7; }, 30,
            "3 pushes answered and 7 stalled");
  cron.Kill();
  const int queued_first = fleet.Queued();
  auto [once_first, more_first] = fleet.Installs();
  apns.SetBehaviour("*", {});
  for (int i = 0; i < 3; ++i) apns.SetBehaviour(fleet.token[fleet.ids[i]], {});
  WaitLockFree(kCronLock);
  // The reconcile had committed; the pushes' outcome had not been recorded yet.
  CHECK(once_first == 10);
  CHECK(fleet.Recorded() == 0);

  auto again = SharedStack().Console({"mdmcron"});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("mdmcron reconcile: 0 queued"));
  CHECK_THAT(again.output, Catch::Contains("10 selected, 10 sent"));
  auto [once, more] = fleet.Installs();
  auto delivered = fleet.Answered(apns, 200);
  int repeated = 0;
  for (auto& [id, n] : delivered) repeated += n - 1;
  std::printf("cron faults: injected SIGKILL to mdmcron after 3 pushes answered and 7 stalled; queued %d "
              "(InstallProfile once %d, duplicated %d, other duplicates %d), the next run queued %d more; delivered to "
              "%zu of 10 devices, lost %zu, pushed again %d (answered before the kill, not recorded yet)\n",
              queued_first, once, more, fleet.Duplicates(), fleet.Queued() - queued_first, delivered.size(),
              10 - delivered.size(), repeated);
  CHECK(fleet.Queued() == queued_first);
  CHECK(once == 10);
  CHECK(more == 0);
  CHECK(fleet.Duplicates() == 0);
  CHECK(delivered.size() == 10);
  // Only the three answered before the kill went out twice; a wake-up too many is harmless.
  CHECK(repeated == 3);
  CHECK(fleet.Recorded() == 10);
}

TEST_CASE("applesync killed mid-fetch continues from the saved cursor and ends as a clean run does", "[faults]") {
  // The reference: a clean run against an account of 50 devices.
  std::string clean_state;
  {
    FakeAbm clean(50);
    PointAbmAt(clean);
    auto r = SharedStack().Console({"applesync", "--page-size", "10"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("fetch, 5 page(s), 50 device(s) stored"));
    clean_state = DepState();
  }

  FakeAbm abm(50);
  PointAbmAt(abm);
  abm.SetControl("{\"stall\": {\"path\": \"/server/devices\", \"from\": 3, \"times\": 1}}");
  Background sync(SharedStack().config_path(), {"applesync", "--page-size", "10"});
  WaitUntil([&] { return Faulted(abm, "stall") == 1; }, 30, "applesync to wait on its third page");
  sync.Kill();
  const int stored = N("SELECT count(*) FROM dep_devices");
  const std::string cursor = Setting(setting::kAbmCursor);
  const std::string mode = Setting(setting::kAbmCursorMode);
  WaitLockFree(kSyncLock);
  abm.SetControl("{}");
  const size_t before = abm.Requests().size();
  auto again = SharedStack().Console({"applesync", "--page-size", "10"});
  INFO(again.output);
  REQUIRE(again.exit_code == 0);
  // The second run asked for the page after the last one stored, with that page's cursor.
  auto requests = abm.Requests();
  std::string resumed_with;
  for (size_t i = before; i < requests.size(); ++i)
    if (requests[i].path == "/server/devices") {
      resumed_with = requests[i].body;
      break;
    }
  const size_t pages = Count(abm, "POST", "/server/devices", 200);
  const std::string state = DepState();
  std::printf("cron faults: injected SIGKILL to applesync while ABM stalled its page 3 of 5; %d devices and the "
              "%s cursor stored before; the next run fetched %d page(s), pages answered in all %zu, devices %d "
              "(distinct %d), profiles defined %zu, state equal to a clean run's: %s\n",
              stored, mode.c_str(), NumberAfter(again.output, "fetch, "), pages,
              N("SELECT count(*) FROM dep_devices"), N("SELECT count(DISTINCT serial_number) FROM dep_devices"),
              Count(abm, "POST", "/profile"), state == clean_state ? "yes" : "no");
  CHECK(stored == 20);
  CHECK(mode == "fetch");
  CHECK_THAT(resumed_with, Catch::Contains("\"cursor\":\"" + cursor + "\""));
  CHECK_THAT(again.output, Catch::Contains("fetch, 3 page(s), 30 device(s) stored"));
  CHECK(pages == 5);
  CHECK(Count(abm, "POST", "/profile") == 1);
  CHECK(state == clean_state);
}

// --- two hosts at once ---------------------------------------------------------------------

TEST_CASE("two mdmcron on two hosts at once: one does the work, the other exits 0 with one line", "[faults]") {
  FakeApns& apns = Apns();
  Fleet fleet("hosts", 10);
  // The pushes stall: the run that has the lock holds it for the APNs timeout.
  TimeoutSetting timeout("apns-timeout-seconds", 2);
  apns.SetBehaviour("*", {"stall"});
  Background a(SharedStack().config_path(), {"mdmcron"});
  Background b(HostB(), {"mdmcron"});
  WaitBoth(a, b, 60);
  const int status_a = a.status(), status_b = b.status();
  apns.SetBehaviour("*", {});
  const std::string out_a = a.output(), out_b = b.output();
  INFO("host a (" << status_a << ", " << a.seconds() << " s):\n" << out_a << "host b (" << status_b << ", "
                  << b.seconds() << " s):\n" << out_b);
  const std::string quiet = "mdmcron: another run holds the lock; nothing to do\n";
  const bool a_worked = out_b == quiet;
  Background& worker = a_worked ? a : b;
  Background& idle = a_worked ? b : a;
  const std::string& worked = a_worked ? out_a : out_b;
  auto [once, more] = fleet.Installs();
  auto stalled = fleet.Answered(apns, 0);
  std::printf("cron faults: injected a second mdmcron on another host while APNs stalled; the one with the lock "
              "(host %s) exited %d after %.1f s, queued %d; the other exited %d after %.1f s saying '%s'; "
              "InstallProfile once %d, duplicated %d; pushes tried %d for 10 devices\n",
              a_worked ? "a" : "b", a_worked ? status_a : status_b, worker.seconds(),
              NumberAfter(worked, "reconcile: "),
              a_worked ? status_b : status_a, idle.seconds(), Chomp(a_worked ? out_b : out_a).c_str(), once, more,
              Sum(stalled));
  // Exactly one said it found the lock taken, in one line, and exited 0 at once.
  CHECK((out_a == quiet) != (out_b == quiet));
  CHECK((a_worked ? status_b : status_a) == 0);
  CHECK(idle.seconds() < worker.seconds());
  // The other did the whole run: queued, pushed, and failed the pushes (3) for the stall.
  CHECK((a_worked ? status_a : status_b) == 3);
  CHECK_THAT(worked, Catch::Contains("profiles +10"));
  CHECK(once == 10);
  CHECK(more == 0);
  CHECK(fleet.Duplicates() == 0);
  CHECK(Sum(stalled) == 10);
  CHECK(stalled.size() == 10);
}

TEST_CASE("two applesync on two hosts at once: one does the work, the other exits 0 with one line", "[faults]") {
  FakeAbm abm(30);
  PointAbmAt(abm);
  // Every answer 150 ms late: the run that has the lock holds it for a while.
  abm.SetControl("{\"delay_ms\": 150}");
  Background a(SharedStack().config_path(), {"applesync", "--page-size", "10"});
  Background b(HostB(), {"applesync", "--page-size", "10"});
  WaitBoth(a, b, 60);
  const int status_a = a.status(), status_b = b.status();
  const std::string out_a = a.output(), out_b = b.output();
  INFO("host a (" << status_a << ", " << a.seconds() << " s):\n" << out_a << "host b (" << status_b << ", "
                  << b.seconds() << " s):\n" << out_b);
  const std::string quiet = "applesync: another run holds the lock; nothing to do\n";
  const bool a_worked = out_b == quiet;
  std::printf("cron faults: injected a second applesync on another host while ABM answered 150 ms late; the one "
              "with the lock (host %s) exited %d after %.1f s; the other exited %d after %.1f s; ABM saw %zu "
              "session(s), %zu account read(s), %zu page(s); devices %d\n",
              a_worked ? "a" : "b", a_worked ? status_a : status_b, (a_worked ? a : b).seconds(),
              a_worked ? status_b : status_a, (a_worked ? b : a).seconds(), Count(abm, "GET", "/session"),
              Count(abm, "GET", "/account"), Count(abm, "POST", "/server/devices"),
              N("SELECT count(*) FROM dep_devices"));
  CHECK((out_a == quiet) != (out_b == quiet));
  CHECK(status_a == 0);
  CHECK(status_b == 0);
  CHECK((a_worked ? b : a).seconds() < (a_worked ? a : b).seconds());
  CHECK_THAT(a_worked ? out_a : out_b, Catch::Contains("fetch, 3 page(s), 30 device(s) stored"));
  // Only one run talked to ABM.
  CHECK(Count(abm, "GET", "/session") == 1);
  CHECK(Count(abm, "GET", "/account") == 1);
  CHECK(Count(abm, "POST", "/server/devices") == 3);
  CHECK(N("SELECT count(*) FROM dep_devices") == 30);
}

// --- APNs that stalls, resets, drops -------------------------------------------------------

TEST_CASE("a stalled APNs costs mdmcron about one timeout, not one per batch, and exit 3 naming it", "[faults]") {
  // Three streams at a time and 300 pushes: 256 go to libcurl at once (3 on the connection, the
  // others waiting for a stream), 44 more wait for room.
  FakeApns slow(Stack::kTopic, "", 3);
  PointApnsAt(slow);
  struct Restore {
    ~Restore() { PointApnsAt(Apns()); }
  } restore;
  Fleet fleet("stall", 300);
  TimeoutSetting timeout("apns-timeout-seconds", 3);
  slow.SetBehaviour("*", {"stall"});
  const auto start = Clock::now();
  auto r = SharedStack().Console({"mdmcron"});
  const double seconds = Since(start);
  INFO(r.output);
  auto stalled = fleet.Answered(slow, 0);
  std::printf("cron faults: injected APNs stalling every push (3 streams at a time, apns-timeout-seconds 3) for 300 "
              "devices; mdmcron exited %d after %.1f s; pushes that reached APNs %d, answered %d, recorded as pushed "
              "%d\n",
              r.exit_code, seconds, Sum(stalled), Sum(fleet.Answered(slow, 200)), fleet.Recorded());
  CHECK(r.exit_code == 3);
  CHECK(seconds < 5.5);  // the 44 sent after the first 256 timed out would make it 6 s and more
  // The three streams, and at most three more that took their places as libcurl gave up on them.
  CHECK(Sum(stalled) >= 3);
  CHECK(Sum(stalled) <= 6);
  CHECK_THAT(r.output, Catch::Contains("300 selected, 0 sent, 0 token(s) dead, 300 failed"));
  CHECK_THAT(r.output, Catch::Contains("mdm-console: mdmcron: reconcile: done, ") &&
                           Catch::Contains("push: failed: APNs at localhost:") &&
                           Catch::Contains("did not answer within 3 s (apns-timeout-seconds)"));
  CHECK_THAT(r.output, !Catch::Contains("cannot reach") && !Catch::Contains("certificate"));
  CHECK(fleet.Recorded() == 0);
  // The commands stay queued; the next run, APNs answering again, pushes each device once.
  // Three streams at a time, each answered 30 ms late, is slow but not stalled: 300 pushes take
  // some 3 s, and those that waited for a stream longer than the 2 s timeout while the others
  // were answered go out all the same, once.
  ConsoleOk({"settings", "set", "apns-timeout-seconds", "2"});
  slow.SetBehaviour("*", {"delay:30"});
  const auto again_start = Clock::now();
  auto again = SharedStack().Console({"mdmcron"});
  INFO(again.output);
  std::printf("cron faults: then APNs answering 30 ms late, 3 streams at a time, apns-timeout-seconds 2: mdmcron "
              "exited %d after %.1f s, delivered to %zu devices (%d pushes; those that waited past the timeout "
              "for a stream were sent again)\n",
              again.exit_code, Since(again_start), fleet.Answered(slow, 200).size(), Sum(fleet.Answered(slow, 200)));
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("mdmcron reconcile: 0 queued") && Catch::Contains("300 selected, 300 sent"));
  // Every device woken; one whose turn came just before its timeout may be woken twice (sent
  // again with a whole timeout, it was answered late the first time), and on a loaded machine
  // (CI's two cores building beside it) a third time: harmless, never lost, and bounded in sum.
  auto woken = fleet.Answered(slow, 200);
  CHECK(woken.size() == 300);
  CHECK(std::all_of(woken.begin(), woken.end(), [](const auto& w) { return w.second <= 3; }));
  CHECK(Sum(woken) < 300 + 30);
}

TEST_CASE("one push that stalls costs one timeout, is not sent twice, and the others go out", "[faults]") {
  FakeApns& apns = Apns();
  Fleet fleet("one-stall", 6);
  TimeoutSetting timeout("apns-timeout-seconds", 2);
  apns.SetBehaviour(fleet.token[fleet.ids[2]], {"stall"});
  const auto start = Clock::now();
  auto r = SharedStack().Console({"mdmcron"});
  const double seconds = Since(start);
  apns.SetBehaviour(fleet.token[fleet.ids[2]], {});
  INFO(r.output);
  std::printf("cron faults: injected APNs stalling 1 push of 6; mdmcron exited %d after %.1f s; delivered %zu, "
              "unanswered %d\n",
              r.exit_code, seconds, fleet.Answered(apns, 200).size(), Sum(fleet.Answered(apns, 0)));
  CHECK(r.exit_code == 3);
  CHECK(seconds < 3.8);  // sent once more, it would wait as long again
  CHECK(Sum(fleet.Answered(apns, 0)) == 1);
  CHECK_THAT(r.output, Catch::Contains("6 selected, 5 sent, 0 token(s) dead, 1 failed"));
  CHECK_THAT(r.output, Catch::Contains("push: failed: APNs at localhost:") &&
                           Catch::Contains("did not answer within 2 s (apns-timeout-seconds)"));
  CHECK(fleet.Answered(apns, 200).size() == 5);
  CHECK(fleet.Recorded() == 5);
}

TEST_CASE("APNs resetting a stream: sent once more; reset again, it fails alone and is named", "[faults]") {
  FakeApns& apns = Apns();
  Fleet fleet("reset", 8);
  apns.SetBehaviour(fleet.token[fleet.ids[1]], {"reset", "200"});
  apns.SetBehaviour(fleet.token[fleet.ids[6]], {"reset"});
  const int sessions = apns.Sessions();
  auto r = SharedStack().Console({"mdmcron"});
  INFO(r.output);
  for (int i : {1, 6}) apns.SetBehaviour(fleet.token[fleet.ids[i]], {});
  auto delivered = fleet.Answered(apns, 200);
  auto cut = fleet.Answered(apns, 0);
  std::printf("cron faults: injected RST_STREAM on 1 push once and on 1 push every time, of 8; mdmcron exited %d; "
              "delivered to %zu, streams reset %d, connections %d\n",
              r.exit_code, delivered.size(), Sum(cut), apns.Sessions() - sessions);
  CHECK(r.exit_code == 3);
  CHECK(delivered.size() == 7);
  CHECK(Sum(delivered) == 7);
  CHECK(cut[fleet.ids[1]] == 1);
  CHECK(cut[fleet.ids[6]] == 2);  // sent once more, then given up
  CHECK(apns.Sessions() - sessions <= 1);  // a reset stream leaves the connection up
  CHECK_THAT(r.output, Catch::Contains("8 selected, 7 sent, 0 token(s) dead, 1 failed"));
  CHECK_THAT(r.output, Catch::Contains("push: failed: APNs at localhost:") &&
                           Catch::Contains("cut the push off before any answer") && Catch::Contains("INTERNAL_ERROR"));
  CHECK(fleet.Recorded() == 7);
}

TEST_CASE("APNs dropping the connection: the pushes go again on a new one; dropping every time is named", "[faults]") {
  FakeApns& apns = Apns();
  {
    Fleet fleet("redrop", 6);
    apns.SetBehaviour(fleet.token[fleet.ids[2]], {"close", "200"});
    const int sessions = apns.Sessions();
    auto r = SharedStack().Console({"mdmcron"});
    INFO(r.output);
    apns.SetBehaviour(fleet.token[fleet.ids[2]], {});
    auto delivered = fleet.Answered(apns, 200);
    std::printf("cron faults: injected APNs closing the connection at 1 push of 6, once; mdmcron exited %d; "
                "delivered to %zu (%d pushes), connections %d\n",
                r.exit_code, delivered.size(), Sum(delivered), apns.Sessions() - sessions);
    CHECK(r.exit_code == 0);
    CHECK(delivered.size() == 6);
    CHECK(apns.Sessions() - sessions == 2);
    CHECK(fleet.Recorded() == 6);
  }
  Fleet fleet("drop", 5);
  apns.SetBehaviour("*", {"close"});
  const auto start = Clock::now();
  auto r = SharedStack().Console({"mdmcron"});
  const double seconds = Since(start);
  apns.SetBehaviour("*", {});
  INFO(r.output);
  std::printf("cron faults: injected APNs closing the connection at every push (5 devices); mdmcron exited %d "
              "after %.1f s; cut off %d times\n",
              r.exit_code, seconds, Sum(fleet.Answered(apns, 0)));
  CHECK(r.exit_code == 3);
  CHECK(seconds < 10);
  CHECK_THAT(r.output, Catch::Contains("5 selected, 0 sent, 0 token(s) dead, 5 failed"));
  // The server spoke HTTP/2 before it dropped: it took the push certificate, which is not blamed.
  CHECK_THAT(r.output, Catch::Contains("push: failed: APNs at localhost:") &&
                           Catch::Contains("cut the push off before any answer") &&
                           Catch::Contains("also when it was sent again"));
  CHECK_THAT(r.output, !Catch::Contains("certificate"));
  CHECK(fleet.Recorded() == 0);
}

// --- ABM that stalls, drops, resets ---------------------------------------------------------

TEST_CASE("ABM stalling, dropping or resetting: applesync stops within its timeout, names it, exits 1", "[faults]") {
  FakeAbm abm(30);
  PointAbmAt(abm);
  TimeoutSetting timeout("abm-timeout-seconds", 2);
  struct Case {
    const char* fault;
    const char* says;
    const char* detail;  // libcurl's words
  };
  // Each on the second page of a full fetch; the next run (no fault) continues from there.
  for (const Case& c :
       {Case{"stall", "did not answer POST /server/devices within 2 s (abm-timeout-seconds)", "timed out"},
        Case{"drop", "was closed or reset before the answer to POST /server/devices", "Empty reply from server"},
        Case{"reset", "was closed or reset before the answer to POST /server/devices", "Connection reset by peer"}}) {
    Q("DELETE FROM dep_devices");
    Q("DELETE FROM settings WHERE name IN ('abm.cursor', 'abm.cursor_mode')");
    abm.SetControl(std::string("{\"") + c.fault + "\": {\"path\": \"/server/devices\", \"from\": 2}}");
    const auto start = Clock::now();
    auto r = SharedStack().Console({"applesync", "--page-size", "10"});
    const double seconds = Since(start);
    INFO(c.fault << ":\n" << r.output);
    std::printf("cron faults: injected ABM %s on every page from the second; applesync exited %d after %.1f s with "
                "%d device(s) stored: %s",
                c.fault, r.exit_code, seconds, N("SELECT count(*) FROM dep_devices"), r.output.c_str());
    CHECK(r.exit_code == 1);
    CHECK(seconds < 6);
    CHECK(Lines(r.output) == 1);
    CHECK_THAT(r.output, Catch::StartsWith("mdm-console: ") && Catch::Contains(c.says) && Catch::Contains(c.detail) &&
                             Catch::Contains(abm.url()) && Catch::Contains("this run stored 1 page(s), 10 device(s)") &&
                             Catch::Contains("the next applesync continues from the last page stored"));
    CHECK(N("SELECT count(*) FROM dep_devices") == 10);
    abm.SetControl("{}");
    auto again = SharedStack().Console({"applesync", "--page-size", "10"});
    INFO(again.output);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.output, Catch::Contains("fetch, 2 page(s), 20 device(s) stored"));
    CHECK(N("SELECT count(*) FROM dep_devices") == 30);
  }
  // Late answers within the timeout are only late.
  abm.SetControl("{\"delay_ms\": {\"ms\": 500, \"path\": \"/devices/sync\"}, \"changes\": [{\"serial\": "
                 "\"ABM00000031\", \"op_type\": \"added\"}]}");
  auto late = SharedStack().Console({"applesync", "--page-size", "10"});
  INFO(late.output);
  CHECK(late.exit_code == 0);
  CHECK(N("SELECT count(*) FROM dep_devices") == 31);
}

// --- the fakes stay strict -----------------------------------------------------------------

TEST_CASE("the fakes refuse fault options they do not know", "[faults]") {
  CHECK_THROWS_AS(Apns().SetBehaviour("*", {"stalled"}), std::invalid_argument);
  CHECK_THROWS_AS(Apns().SetBehaviour("*", {"RESET"}), std::invalid_argument);
  Apns().SetBehaviour("*", {});
  FakeAbm abm(12);
  PointAbmAt(abm);
  TimeoutSetting timeout("abm-timeout-seconds", 2);
  // Were any of these taken, the run would stall, drop or wait past its timeout; the fake
  // ignores an invalid file whole.
  for (const char* bad :
       {"{\"stall\": {\"from\": 0}}", "{\"stall\": {\"times\": 0}}", "{\"stall\": \"yes\"}",
        "{\"drop\": {\"times\": 1, \"when\": 1}}", "{\"reset\": {\"path\": 7}}", "{\"delay_ms\": 600001}",
        "{\"delay_ms\": true}", "{\"delay_ms\": {\"ms\": 5000, \"from\": -1}}",
        "{\"stall\": true, \"drop_all\": true}"}) {
    abm.SetControl(bad);
    auto r = SharedStack().Console({"applesync", "--page-size", "10"});
    INFO(bad << ": " << r.output);
    CHECK(r.exit_code == 0);
    CHECK(Faulted(abm, "stall") + Faulted(abm, "drop") + Faulted(abm, "reset") == 0);
  }
}

// --- the settings ---------------------------------------------------------------------------

TEST_CASE("the timeout settings take whole seconds from 1 to 600 and are documented", "[faults]") {
  for (const std::string name : {"apns-timeout-seconds", "abm-timeout-seconds"}) {
    for (const std::string bad : {"0", "601", "2.5", "-3", "ten", ""}) {
      auto r = SharedStack().Console({"settings", "set", name, bad});
      INFO(name << " " << bad << ": " << r.output);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.output, Catch::StartsWith("mdm-console: " + name + " takes whole seconds from 1 to 600"));
    }
    TimeoutSetting set(name, 45);
    CHECK(SharedStack().Console({"settings", "get", name}).output == name + " = 45\n");
  }
  auto help = SharedStack().Console({"settings", "--help"});
  CHECK_THAT(help.output, Catch::Contains("apns-timeout-seconds (default 30)") &&
                              Catch::Contains("abm-timeout-seconds (default 120)"));
}
