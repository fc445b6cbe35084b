#include "soak.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <pqxx/pqxx>

#include "crypto/crypto.h"
#include "fake_apns.h"
#include "plist/property_list.h"
#include "process.h"
#include "sim_device.h"
#include "store/settings.h"

namespace devicesim {
namespace {
namespace fs = std::filesystem;
using mdm::test::HttpResponse;
using mdm::test::SimDevice;

// How the devices answer a command: mostly Acknowledged, sometimes NotNow or Error.
constexpr double kNotNowShare = 0.05, kErrorShare = 0.03;
// A device checks in unprompted every 2 to 6 minutes, and up to half a second after a push to it.
constexpr int kBackgroundMinSeconds = 120, kBackgroundMaxSeconds = 360, kPushDelayMaxMs = 500;

// Tolerances of the verdicts, from the first sample after the warm-up to the last.
constexpr double kRssLimit = 0.10;          // resident memory of each process
constexpr double kFlatTableLimit = 0.20;    // tables whose rows do not grow (row versions until autovacuum)
constexpr double kBytesPerRowLimit = 0.25;  // tables that grow by design: their bytes per row
// Tables that grow by design: a row per command (commands) and per command and enrollment
// (command_queue), kept after the answer; mdmcron deletes finished ones after --keep-days (30).
// audit_log: a row per target of every command sent through the admin API (issue 12), kept whole
// (no retention yet).
const std::set<std::string> kGrowingTables = {"audit_log", "commands", "command_queue"};
// What each simulated device reports (EnrollFleet), and so the most rows the inventory tables may
// hold: a table whose rows stay within its bound may grow as devices report for the first time.
constexpr int kProfilesPerDevice = 4, kAppsPerDevice = 30;
const std::map<std::string, int> kRowsPerDevice = {{"devices", 1},
                                                   {"enrollments", 1},
                                                   {"device_profiles", kProfilesPerDevice},
                                                   {"device_apps", kAppsPerDevice},
                                                   {"device_certificates", 1}};
// The tables the table of sizes shows, in this order; the others are summed as "other".
const std::vector<std::string> kShownTables = {"devices",         "enrollments", "commands",           "command_queue",
                                              "device_profiles", "device_apps", "device_certificates"};

long long NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---------------------------------------------------------------------------------------------
// /proc

std::string ProcFile(int pid, const std::string& name) {
  return mdm::test::ReadFile("/proc/" + std::to_string(pid) + "/" + name);
}

long RssKb(int pid) {
  std::istringstream status(ProcFile(pid, "status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

int FdCount(int pid) {
  std::error_code ec;
  fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
  int n = 0;
  for (; !ec && it != end; it.increment(ec)) ++n;
  return ec ? -1 : n;
}

std::vector<int> Children(int pid) {
  std::istringstream list(ProcFile(pid, "task/" + std::to_string(pid) + "/children"));
  std::vector<int> out;
  for (int child = 0; list >> child;) out.push_back(child);
  return out;
}

// The nginx master of the stack: its command line names the stack's folder (its workers' do not).
int NginxMaster(const std::string& root) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (ProcFile(pid, "comm") != "nginx\n") continue;
    if (ProcFile(pid, "cmdline").find(root) != std::string::npos) return pid;
  }
  throw std::runtime_error("the stack's nginx was not found in /proc");
}

double LoadAverage() {
  std::istringstream in(mdm::test::ReadFile("/proc/loadavg"));
  double one = 0;
  in >> one;
  return one;
}

// ---------------------------------------------------------------------------------------------
// The fleet, the traffic and what it did

struct Fleet {
  std::vector<std::unique_ptr<SimDevice>> sims;
  std::unique_ptr<std::atomic<long long>[]> due;          // steady-clock ns of the next check-in
  std::unordered_map<std::string, std::size_t> by_token;  // hex push token -> device
};

struct Latencies {
  std::mutex m;
  std::vector<double> ms;
};

struct Traffic {
  std::atomic<bool> stop{false};
  std::atomic<unsigned long long> requests{0}, failed{0}, sessions{0}, pushes{0}, stray_pushes{0};
  std::atomic<unsigned long long> acknowledged{0}, not_now{0}, errors{0};
  std::atomic<unsigned long long> batches{0}, queued{0}, cron_runs{0}, operator_failures{0};
  std::atomic<long long> cron_ms_total{0}, cron_ms_max{0};
  std::vector<std::unique_ptr<Latencies>> latencies;  // one per device thread
  std::mutex m;
  std::string first_failure;

  void Failed(std::atomic<unsigned long long>& counter, const std::string& why) {
    ++counter;
    std::lock_guard lock(m);
    if (first_failure.empty()) first_failure = why;
  }
  unsigned long long answers() const { return acknowledged + not_now + errors; }
};

mdm::crypto::Pkey Ref(EVP_PKEY* k) {
  EVP_PKEY_up_ref(k);
  return mdm::crypto::Pkey(k);
}

void Expect200(const HttpResponse& r, const char* what) {
  if (r.status != 200)
    throw std::runtime_error(std::string(what) + " answered " +
                             (r.status ? "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300) : r.error));
}

// Enrolls the fleet like fleet.cpp's Enroll (one RSA key, a certificate each, Authenticate and
// TokenUpdate through nginx), but keeps each device: its push token, its own HTTPS connection and
// the inventory it reports.
Fleet EnrollFleet(const Target& target, const SoakOptions& o) {
  const auto n = static_cast<std::size_t>(o.devices);
  const auto key = mdm::crypto::GenerateRsaKey();
  Fleet f;
  f.sims.resize(n);
  OnThreads(o.threads, [&](int t) {
    const auto [first, last] = SliceOf(n, o.threads, t);
    for (std::size_t i = first; i < last && !Interrupted(); ++i) {
      auto cert = mdm::enroll::IssueDeviceIdentity(target.device_ca, key.get(), "soak " + std::to_string(i));
      auto sim = std::make_unique<SimDevice>(target.base_url, target.ca_file, std::move(cert), Ref(key.get()));
      sim->info["DeviceName"] = "Soak iPhone " + std::to_string(i);
      sim->installed_profiles = {"com.example.wifi", "com.example.restrictions", "com.example.vpn",
                                 "com.example.mail"};
      sim->installed_apps = {"com.apple.Pages", "com.apple.Numbers", "com.apple.Keynote", "com.microsoft.Office.Outlook",
                             "com.microsoft.skype.teams", "com.google.chrome.ios", "com.example.timesheet"};
      for (int a = 1; sim->installed_apps.size() < kAppsPerDevice; ++a)
        sim->installed_apps.push_back("com.example.app" + std::to_string(a));
      if (sim->installed_profiles.size() != kProfilesPerDevice) throw std::logic_error("kProfilesPerDevice");
      Expect200(sim->Authenticate(target.topic), "Authenticate");
      Expect200(sim->TokenUpdate(target.topic), "TokenUpdate");
      f.sims[i] = std::move(sim);
    }
  });
  if (Interrupted()) throw std::runtime_error("interrupted");
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<long long> first_contact(0, kBackgroundMaxSeconds * 1'000'000'000LL);
  f.due = std::make_unique<std::atomic<long long>[]>(n);
  const long long now = NowNs();
  for (std::size_t i = 0; i < n; ++i) {
    f.by_token[mdm::crypto::Hex(f.sims[i]->token())] = i;
    f.due[i] = now + first_contact(rng);
  }
  return f;
}

// One check-in: Idle, then each command the server hands out is answered, until an empty answer.
void Session(SimDevice& d, std::mt19937_64& rng, Traffic& traffic, Latencies& lat) {
  std::uniform_real_distribution<double> share(0, 1);
  auto timed = [&](auto&& send) {
    const auto t0 = Clock::now();
    HttpResponse r = send();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    ++traffic.requests;
    std::lock_guard lock(lat.m);
    lat.ms.push_back(ms);
    return r;
  };
  ++traffic.sessions;
  HttpResponse r = timed([&] { return d.Idle(); });
  for (int answered = 0; answered < 100; ++answered) {
    if (r.status != 200) {
      traffic.Failed(traffic.failed, "device " + d.udid() + ": " +
                                         (r.status ? "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200)
                                                   : r.error));
      return;
    }
    auto cmd = mdm::test::ParseCommand(r);
    if (!cmd) return;
    const double u = share(rng);
    const char* status = u < kNotNowShare ? "NotNow" : u < kNotNowShare + kErrorShare ? "Error" : "Acknowledged";
    ++(u < kNotNowShare ? traffic.not_now : u < kNotNowShare + kErrorShare ? traffic.errors : traffic.acknowledged);
    r = timed([&] { return d.Answer(*cmd, status); });
  }
}

// Device thread t serves its share of the fleet: each device whose time has come checks in.
void Devices(int t, const SoakOptions& o, Fleet& f, Traffic& traffic) {
  std::mt19937_64 rng(std::random_device{}() + static_cast<unsigned>(t));
  std::uniform_int_distribution<long long> background(kBackgroundMinSeconds * 1'000'000'000LL,
                                                      kBackgroundMaxSeconds * 1'000'000'000LL);
  const auto [first, last] = SliceOf(f.sims.size(), o.threads, t);
  Latencies& lat = *traffic.latencies[static_cast<std::size_t>(t)];
  while (!traffic.stop && !Interrupted()) {
    bool served = false;
    for (std::size_t i = first; i < last && !traffic.stop; ++i) {
      long long when = f.due[i].load();
      const long long now = NowNs();
      if (when > now) continue;
      // A push that moves the time meanwhile wins: the device then checks in once more.
      if (!f.due[i].compare_exchange_strong(when, now + background(rng))) continue;
      try {
        Session(*f.sims[i], rng, traffic, lat);
      } catch (const std::exception& e) {
        traffic.Failed(traffic.failed, "device " + f.sims[i]->udid() + ": " + e.what());
      }
      served = true;
    }
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Follows the fake APNs' record of pushes: each push it accepted wakes its device a moment later,
// as APNs would.
void FollowPushes(const std::string& path, Fleet& f, Traffic& traffic) {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<long long> delay(0, kPushDelayMaxMs * 1'000'000LL);
  std::string pending;
  std::streamoff offset = 0;
  while (!traffic.stop && !Interrupted()) {
    std::ifstream in(path, std::ios::binary);
    if (in && in.seekg(offset)) {
      std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      offset += static_cast<std::streamoff>(chunk.size());
      pending += chunk;
    }
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string_view line(pending.data() + start, nl - start);
      static constexpr std::string_view kToken = "\"token\":\"";
      const auto at = line.find(kToken);
      if (line.find("\"status\":200") == std::string_view::npos || at == std::string_view::npos) continue;
      const auto end = line.find('"', at + kToken.size());
      std::string token(line.substr(at + kToken.size(), end - at - kToken.size()));
      std::transform(token.begin(), token.end(), token.begin(), [](unsigned char c) { return std::tolower(c); });
      auto it = f.by_token.find(token);
      if (it == f.by_token.end()) {
        ++traffic.stray_pushes;
        continue;
      }
      ++traffic.pushes;
      const long long wake = NowNs() + delay(rng);
      auto& due = f.due[it->second];
      for (long long cur = due.load(); wake < cur && !due.compare_exchange_weak(cur, wake);) {
      }
    }
    pending.erase(0, start);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// The operator: command batches through the admin API and mdm-console, and mdmcron as crontab
// runs it (more often).
class Operator {
 public:
  Operator(const SoakOptions& o, mdm::test::Stack& stack, const Fleet& f, Traffic& traffic)
      : o_(o), stack_(stack), fleet_(f), traffic_(traffic), api_(stack.tls_cert()), rng_(std::random_device{}()) {
    // A small configuration profile for InstallProfile (the simulated device accepts any).
    mdm::plist::Owned profile(plist_new_dict());
    mdm::plist::SetString(profile.get(), "PayloadType", "Configuration");
    mdm::plist::SetString(profile.get(), "PayloadIdentifier", "com.example.soak");
    mdm::plist::SetString(profile.get(), "PayloadUUID", mdm::crypto::NewUuid());
    mdm::plist::SetString(profile.get(), "PayloadDisplayName", "Soak");
    mdm::plist::SetInt(profile.get(), "PayloadVersion", 1);
    mdm::plist::Set(profile.get(), "PayloadContent", plist_new_array());
    profile_path_ = stack.root() + "/soak.mobileconfig";
    mdm::test::WriteFile(profile_path_, mdm::plist::ToXml(profile.get()));
  }

  void Run() {
    const auto start = Clock::now();
    auto next_cron = start, next_batch = start + std::chrono::seconds(o_.batch_every) / 2;
    for (int k = 0; !traffic_.stop && !Interrupted();) {
      const auto now = Clock::now();
      if (now >= next_cron) {
        Cron();
        next_cron += std::chrono::seconds(o_.cron_every);
      } else if (now >= next_batch) {
        Batch(k++);
        next_batch += std::chrono::seconds(o_.batch_every);
      } else {
        std::this_thread::sleep_for(std::min<Clock::duration>(std::min(next_cron, next_batch) - now,
                                                              std::chrono::milliseconds(100)));
      }
    }
  }

 private:
  // mdm-console with this stack's configuration, its connection named for pg_stat_activity.
  mdm::test::CommandResult Console(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"env", "PGAPPNAME=mdm-console", MDM_CONSOLE_BIN, "--config", stack_.config_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = mdm::test::Run(argv);
    if (r.exit_code != 0)
      traffic_.Failed(traffic_.operator_failures,
                      "mdm-console " + args.front() + " exited " + std::to_string(r.exit_code) + ": " + r.output.substr(0, 300));
    return r;
  }

  void Cron() {
    auto r = Console({"mdmcron"});
    const auto ms = static_cast<long long>(r.wall_seconds * 1000);
    ++traffic_.cron_runs;
    traffic_.cron_ms_total += ms;
    for (long long max = traffic_.cron_ms_max; ms > max && !traffic_.cron_ms_max.compare_exchange_weak(max, ms);) {
    }
  }

  enum How { kApi, kApiThenConsolePush, kConsoleThenCron, kConsole };

  void Batch(int k) {
    struct Kind {
      const char* type;
      How how;
    };
    static const Kind kKinds[] = {{"DeviceInformation", kApi},       {"ProfileList", kApiThenConsolePush},
                                  {"InstallProfile", kConsoleThenCron}, {"SecurityInfo", kApi},
                                  {"InstalledApplicationList", kApiThenConsolePush}, {"CertificateList", kConsole}};
    const Kind& kind = kKinds[static_cast<std::size_t>(k) % std::size(kKinds)];
    const std::string type = kind.type;
    // batch_size different devices, at random.
    std::vector<std::size_t> order(fleet_.sims.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const std::size_t size = std::min(order.size(), static_cast<std::size_t>(o_.batch_size));
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < size; ++i) {
      std::swap(order[i], order[std::uniform_int_distribution<std::size_t>(i, order.size() - 1)(rng_)]);
      ids.push_back(fleet_.sims[order[i]]->udid());
    }
    static const char* kQueries = "DeviceName,OSVersion,BuildVersion,ModelName,Model,ProductName,SerialNumber,"
                                  "DeviceCapacity,AvailableDeviceCapacity,BatteryLevel,IsSupervised";
    if (kind.how == kApi || kind.how == kApiThenConsolePush) {
      std::string body = "{\"enrollment_ids\":[";
      for (std::size_t i = 0; i < ids.size(); ++i) body += (i ? ",\"" : "\"") + ids[i] + "\"";
      body += "],\"request_type\":\"" + type + "\",\"parameters\":{";
      if (type == "DeviceInformation") {
        std::string list = kQueries;
        for (std::size_t p = 0; (p = list.find(',', p)) != std::string::npos; p += 3) list.replace(p, 1, "\",\"");
        body += "\"Queries\":[\"" + list + "\"]";
      }
      body += "}}";
      const std::string url = stack_.base_url() + "/v1/commands" + (kind.how == kApi ? "" : "?nopush=1");
      auto r = api_.Request("POST", url, body,
                            {{"Authorization", "Bearer " + mdm::test::StackOptions{}.admin_api_key},
                             {"Content-Type", "application/json"}});
      if (r.status != 200 || r.body.find("push_error") != std::string::npos) {
        traffic_.Failed(traffic_.operator_failures, "POST /v1/commands (" + type + "): HTTP " +
                                                        std::to_string(r.status) + " " + r.body.substr(0, 300));
        return;
      }
      if (kind.how == kApiThenConsolePush) {
        std::vector<std::string> args = {"push"};
        args.insert(args.end(), ids.begin(), ids.end());
        Console(args);
      }
    } else {
      std::vector<std::string> args = {"command", "send"};
      args.insert(args.end(), ids.begin(), ids.end());
      args.push_back(type);
      if (type == "InstallProfile") args.push_back("Payload=@" + profile_path_);
      if (kind.how == kConsoleThenCron) args.push_back("--no-push");  // mdmcron's next run pushes them
      if (Console(args).exit_code != 0) return;
    }
    ++traffic_.batches;
    traffic_.queued += ids.size();
  }

  const SoakOptions& o_;
  mdm::test::Stack& stack_;
  const Fleet& fleet_;
  Traffic& traffic_;
  mdm::test::HttpClient api_;
  std::mt19937_64 rng_;
  std::string profile_path_;
};

// ---------------------------------------------------------------------------------------------
// Samples

struct Sample {
  double t = 0, load = 0;
  std::vector<int> worker_pids, worker_fds;
  std::vector<long> worker_rss;
  long master_rss = 0, nginx_rss = 0;
  int master_fds = 0, nginx_processes = 0;
  long long pg_server = 0, pg_other = 0;  // the workers' connections; mdm-console's
  std::map<std::string, long long> bytes, rows;
  double pending = 0, not_now = 0, worker_deaths = 0;
  // Since the sample before.
  double requests_per_s = 0, answers_per_s = 0, pushes_per_s = 0, p50 = 0, p99 = 0;
  unsigned long long failed = 0;
};

// `name{labels} value` lines of a Prometheus text page, by `name{labels}`.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    try {
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
    }
  }
  return out;
}

class Sampler {
 public:
  Sampler(mdm::test::Stack& stack, const Target& target, Traffic& traffic)
      : stack_(stack), traffic_(traffic), db_(target.conninfo + " application_name=devicesim-soak"),
        http_(stack.tls_cert()), nginx_(NginxMaster(stack.root())) {
    pqxx::nontransaction tx(db_);
    for (const auto& row : tx.exec("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                   "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"))
      tables_.push_back(row[0].as<std::string>());
    for (const auto& t : tables_) {
      if (!count_sql_.empty()) count_sql_ += " UNION ALL ";
      count_sql_ += "SELECT '" + t + "', pg_total_relation_size('" + t + "'), (SELECT count(*) FROM " + t + ")";
    }
  }

  const std::vector<std::string>& tables() const { return tables_; }

  Sample Take(double t) {
    Sample s;
    s.t = t;
    s.load = LoadAverage();
    const int master = stack_.master_pid();
    s.master_rss = RssKb(master);
    s.master_fds = FdCount(master);
    s.worker_pids = stack_.WorkerPids();
    std::sort(s.worker_pids.begin(), s.worker_pids.end());
    for (int pid : s.worker_pids) {
      s.worker_rss.push_back(RssKb(pid));
      s.worker_fds.push_back(FdCount(pid));
    }
    s.nginx_rss = RssKb(nginx_);
    s.nginx_processes = 1;
    for (int pid : Children(nginx_)) {
      s.nginx_rss += RssKb(pid);
      ++s.nginx_processes;
    }
    {
      pqxx::nontransaction tx(db_);
      auto c = tx.exec1(
          "SELECT count(*) FILTER (WHERE application_name = ''), count(*) FILTER (WHERE application_name <> '') "
          "FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' "
          "AND pid <> pg_backend_pid()");
      s.pg_server = c[0].as<long long>();
      s.pg_other = c[1].as<long long>();
      for (const auto& row : tx.exec(count_sql_)) {
        s.bytes[row[0].as<std::string>()] = row[1].as<long long>();
        s.rows[row[0].as<std::string>()] = row[2].as<long long>();
      }
    }
    auto m = http_.Request("GET", stack_.base_url() + "/metrics",
                           "", {{"Authorization", "Bearer " + mdm::test::StackOptions{}.admin_api_key}});
    if (m.status != 200) {
      traffic_.Failed(traffic_.operator_failures, "GET /metrics: HTTP " + std::to_string(m.status) + " " + m.error);
    } else {
      auto metrics = ParseMetrics(m.body);
      s.pending = metrics["mdm_command_queue_depth{status=\"Pending\"}"];
      s.not_now = metrics["mdm_command_queue_depth{status=\"NotNow\"}"];
      s.worker_deaths = metrics["mdm_worker_deaths_total"];
    }
    // The traffic since the sample before.
    std::vector<double> ms;
    for (auto& l : traffic_.latencies) {
      std::lock_guard lock(l->m);
      ms.insert(ms.end(), l->ms.begin(), l->ms.end());
      l->ms.clear();
    }
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) {
      return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    };
    s.p50 = at(0.5);
    s.p99 = at(0.99);
    const double dt = t - last_t_;
    const unsigned long long requests = traffic_.requests, answers = traffic_.answers(), pushes = traffic_.pushes;
    if (dt > 0) {
      s.requests_per_s = static_cast<double>(requests - last_requests_) / dt;
      s.answers_per_s = static_cast<double>(answers - last_answers_) / dt;
      s.pushes_per_s = static_cast<double>(pushes - last_pushes_) / dt;
    }
    s.failed = traffic_.failed + traffic_.operator_failures;
    last_t_ = t;
    last_requests_ = requests;
    last_answers_ = answers;
    last_pushes_ = pushes;
    return s;
  }

  // Autovacuum's work on the tables shown, for the end of the report.
  pqxx::result VacuumStats() {
    pqxx::nontransaction tx(db_);
    return tx.exec(
        "SELECT relname, n_live_tup, n_dead_tup, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables "
        "WHERE relname IN ('devices', 'enrollments', 'commands', 'command_queue', 'device_profiles', 'device_apps', "
        "'device_certificates') ORDER BY relname");
  }

 private:
  mdm::test::Stack& stack_;
  Traffic& traffic_;
  pqxx::connection db_;
  mdm::test::HttpClient http_;
  int nginx_;
  std::vector<std::string> tables_;
  std::string count_sql_;
  double last_t_ = 0;
  unsigned long long last_requests_ = 0, last_answers_ = 0, last_pushes_ = 0;
};

double Mib(long kb) { return static_cast<double>(kb) / 1024; }

void PrintProcessHeader(int workers) {
  std::printf("\n%7s %5s %7s %6s %6s %8s %7s %6s |", "time", "load", "req/s", "p50ms", "p99ms", "answers/s", "push/s",
              "failed");
  std::string rss = "RSS MiB: workers";
  std::printf(" %-*s %6s %6s |", workers * 6 - 1, rss.c_str(), "master", "nginx");
  std::printf(" %-*s %6s |", workers * 4 - 1, "fds: workers", "master");
  std::printf(" %5s | %7s %6s\n", "pg", "Pending", "NotNow");
}

void PrintProcessRow(const Sample& s, int workers) {
  std::printf("%6.0fs %5.2f %7.1f %6.1f %6.1f %8.1f %7.1f %6llu |", s.t, s.load, s.requests_per_s, s.p50, s.p99,
              s.answers_per_s, s.pushes_per_s, s.failed);
  for (int w = 0; w < workers; ++w) {
    if (static_cast<std::size_t>(w) < s.worker_rss.size()) std::printf(" %5.1f", Mib(s.worker_rss[static_cast<std::size_t>(w)]));
    else std::printf(" %5s", "-");
  }
  std::printf(" %6.1f %6.1f |", Mib(s.master_rss), Mib(s.nginx_rss));
  for (int w = 0; w < workers; ++w) {
    if (static_cast<std::size_t>(w) < s.worker_fds.size()) std::printf(" %3d", s.worker_fds[static_cast<std::size_t>(w)]);
    else std::printf(" %3s", "-");
  }
  std::printf(" %6d | %5lld | %7.0f %6.0f\n", s.master_fds, s.pg_server, s.pending, s.not_now);
}

long long OtherBytes(const Sample& s) {
  long long sum = 0;
  for (const auto& [name, bytes] : s.bytes)
    if (std::find(kShownTables.begin(), kShownTables.end(), name) == kShownTables.end()) sum += bytes;
  return sum;
}

void PrintTableSizes(const std::vector<Sample>& samples, int others) {
  std::printf("\ntable sizes (KiB, pg_total_relation_size: table, indexes, TOAST), and rows of the growing tables:\n");
  std::printf("%7s", "time");
  for (const auto& t : kShownTables) std::printf(" %*s", static_cast<int>(std::max<std::size_t>(t.size(), 8)), t.c_str());
  const std::string other = "other " + std::to_string(others);
  std::printf(" %*s | %9s %13s\n", static_cast<int>(other.size()), other.c_str(), "commands", "command_queue");
  for (const auto& s : samples) {
    std::printf("%6.0fs", s.t);
    for (const auto& t : kShownTables) {
      auto it = s.bytes.find(t);
      std::printf(" %*lld", static_cast<int>(std::max<std::size_t>(t.size(), 8)), it == s.bytes.end() ? 0 : it->second / 1024);
    }
    std::printf(" %*lld | %9lld %13lld\n", static_cast<int>(other.size()), OtherBytes(s) / 1024,
                s.rows.count("commands") ? s.rows.at("commands") : 0,
                s.rows.count("command_queue") ? s.rows.at("command_queue") : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Verdicts

// Least-squares slope of v over t (seconds), per minute.
double SlopePerMinute(const std::vector<double>& t, const std::vector<double>& v) {
  const auto n = static_cast<double>(t.size());
  if (t.size() < 2) return 0;
  double mt = 0, mv = 0;
  for (std::size_t i = 0; i < t.size(); ++i) mt += t[i] / n, mv += v[i] / n;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < t.size(); ++i) num += (t[i] - mt) * (v[i] - mv), den += (t[i] - mt) * (t[i] - mt);
  return den > 0 ? num / den * 60 : 0;
}

struct Judge {
  std::vector<double> t;  // the samples after the warm-up
  int failures = 0, verdicts = 0;

  void Line(const std::string& what, const std::string& first, const std::string& last, double growth,
            const std::string& slope, bool ok, const std::string& rule) {
    ++verdicts;
    if (!ok) ++failures;
    std::printf("verdict %-32s %11s -> %-11s %+7.1f %%  slope %-18s %-4s (%s)\n", what.c_str(), first.c_str(),
                last.c_str(), growth, slope.c_str(), ok ? "ok" : "FAIL", rule.c_str());
  }

  static std::string Fmt(double v, const char* unit, int decimals = 1) {
    char s[64];
    std::snprintf(s, sizeof s, "%.*f%s", decimals, v, unit);
    return s;
  }

  // Memory: the last sample within +limit of the first.
  void Relative(const std::string& what, const std::vector<double>& v, double limit, const char* unit, int decimals) {
    const double growth = v.front() > 0 ? (v.back() - v.front()) / v.front() : 0;
    Line(what, Fmt(v.front(), unit, decimals), Fmt(v.back(), unit, decimals), growth * 100,
         Fmt(SlopePerMinute(t, v), (std::string(unit) + "/min").c_str(), 3), growth <= limit,
         "limit +" + Fmt(limit * 100, " %", 0));
  }

  // Counts that must not grow at all (descriptors, connections). A sample taken while a request is
  // in flight sees one descriptor more, so the floors are compared: the fewest seen in the first
  // and in the last fifth of the samples (at least 3 each).
  void NoGrowth(const std::string& what, const std::vector<double>& v) {
    const std::size_t w = std::min(v.size(), std::max<std::size_t>(3, v.size() / 5));
    const double head = *std::min_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(w));
    const double tail = *std::min_element(v.end() - static_cast<std::ptrdiff_t>(w), v.end());
    const double max = *std::max_element(v.begin(), v.end());
    Line(what, Fmt(v.front(), "", 0), Fmt(v.back(), "", 0), v.front() > 0 ? (v.back() - v.front()) / v.front() * 100 : 0,
         Fmt(SlopePerMinute(t, v), "/min", 3), tail <= head,
         "no growth: floor " + Fmt(head, "", 0) + " -> " + Fmt(tail, "", 0) + ", max " + Fmt(max, "", 0));
  }

  // A depth that comes and goes with the traffic (the queue): the fewest seen in the last fifth of
  // the samples must not be above the most seen in the first fifth; a backlog that builds up is.
  void Bounded(const std::string& what, const std::vector<double>& v) {
    const std::size_t w = std::min(v.size(), std::max<std::size_t>(3, v.size() / 5));
    const double head = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(w));
    const double tail = *std::min_element(v.end() - static_cast<std::ptrdiff_t>(w), v.end());
    Line(what, Fmt(v.front(), "", 0), Fmt(v.back(), "", 0), v.front() > 0 ? (v.back() - v.front()) / v.front() * 100 : 0,
         Fmt(SlopePerMinute(t, v), "/min", 3), tail <= head,
         "no backlog: fewest at the end " + Fmt(tail, "", 0) + " <= most at the start " + Fmt(head, "", 0));
  }
};

template <typename F>
std::vector<double> Series(const std::vector<const Sample*>& after, F f) {
  std::vector<double> v;
  for (const Sample* s : after) v.push_back(static_cast<double>(f(*s)));
  return v;
}

}  // namespace

int RunSoak(const SoakOptions& o, mdm::test::Stack& stack, const Target& target) {
  std::printf("soak: %d devices over %d threads, %d s (the first %d s are the warm-up), a sample every %d s\n",
              o.devices, o.threads, o.seconds, o.warmup, o.sample_every);
  std::printf("  traffic: a batch of commands for %d devices every %d s (admin API, with and without its push, and "
              "mdm-console command send), mdmcron every %d s (its first run queues every device's inventory), pushes to the fake APNs; a pushed "
              "device checks in within %d ms, each device unprompted every %d-%d s; answers %.0f %% NotNow, %.0f %% "
              "Error, the rest Acknowledged\n",
              o.batch_size, o.batch_every, o.cron_every, kPushDelayMaxMs, kBackgroundMinSeconds,
              kBackgroundMaxSeconds, kNotNowShare * 100, kErrorShare * 100);

  // The fake APNs, as push_bench sets it up.
  mdm::test::FakeApns apns(mdm::test::Stack::kTopic);
  const std::string apns_ca = stack.root() + "/apns-ca.pem";
  mdm::test::WriteFile(apns_ca, mdm::test::ReadFile(apns.ca_file()));
  stack.SetSetting(mdm::store::setting::kApnsUrl, apns.url());
  stack.SetSetting(mdm::store::setting::kApnsCaFile, apns_ca);
  stack.SetSetting(mdm::store::setting::kPushCert, apns.client_cert_pem());
  stack.SetSetting(mdm::store::setting::kPushKey, apns.client_key_pem());

  const auto t0 = Clock::now();
  Fleet fleet = EnrollFleet(target, o);
  std::printf("enrolment: %d devices in %.1f s\n", o.devices, Seconds(Clock::now() - t0));

  Traffic traffic;
  for (int t = 0; t < o.threads; ++t) traffic.latencies.push_back(std::make_unique<Latencies>());
  Sampler sampler(stack, target, traffic);
  Operator op(o, stack, fleet, traffic);
  std::vector<Sample> samples;

  PrintProcessHeader(o.workers);
  const auto start = Clock::now();
  // Device threads, then the push follower, then the operator; the sampler on this thread.
  OnThreads(
      o.threads + 2,
      [&](int t) {
        if (t < o.threads) Devices(t, o, fleet, traffic);
        else if (t == o.threads) FollowPushes(apns.pushes_file(), fleet, traffic);
        else op.Run();
      },
      [&] {
        try {
          for (int k = 0; k * o.sample_every <= o.seconds && !Interrupted(); ++k) {
            SleepUntil(start + std::chrono::seconds(k * o.sample_every));
            if (Interrupted()) break;
            samples.push_back(sampler.Take(Seconds(Clock::now() - start)));
            PrintProcessRow(samples.back(), o.workers);
          }
        } catch (...) {
          traffic.stop = true;
          throw;
        }
        traffic.stop = true;
      });
  if (Interrupted()) throw std::runtime_error("interrupted");

  PrintTableSizes(samples, static_cast<int>(sampler.tables().size() - kShownTables.size()));

  const double minutes = Seconds(Clock::now() - start) / 60;
  std::printf("\ntraffic: %llu requests (%.1f/s) in %llu check-ins, %llu failed%s%s; %llu answers (%llu Acknowledged, "
              "%llu NotNow, %llu Error); %llu pushes reached devices (%llu for unknown tokens)\n",
              traffic.requests.load(), static_cast<double>(traffic.requests) / (minutes * 60), traffic.sessions.load(),
              traffic.failed.load(), traffic.first_failure.empty() ? "" : "; first failure: ",
              traffic.first_failure.c_str(), traffic.answers(), traffic.acknowledged.load(), traffic.not_now.load(),
              traffic.errors.load(), traffic.pushes.load(), traffic.stray_pushes.load());
  std::printf("operator: %llu batches (%llu commands), %llu mdmcron runs (%.2f s on average, %.2f s at most), %llu "
              "failures\n",
              traffic.batches.load(), traffic.queued.load(), traffic.cron_runs.load(),
              traffic.cron_runs ? static_cast<double>(traffic.cron_ms_total) / 1000 / static_cast<double>(traffic.cron_runs) : 0.0,
              static_cast<double>(traffic.cron_ms_max) / 1000, traffic.operator_failures.load());
  std::printf("autovacuum at the end:\n");
  for (const auto& row : sampler.VacuumStats())
    std::printf("  %-20s %8lld live rows, %6lld dead, %3lld autovacuums, %3lld autoanalyzes\n", row[0].c_str(),
                row[1].as<long long>(), row[2].as<long long>(), row[3].as<long long>(), row[4].as<long long>());

  // The verdicts, over the samples from the first after the warm-up to the last.
  std::vector<const Sample*> after;
  for (const auto& s : samples)
    if (s.t >= o.warmup) after.push_back(&s);
  if (after.size() < 3) {
    std::printf("soak: FAIL: %zu samples after the warm-up; at least 3 are needed (longer --minutes, or a shorter "
                "--sample-every or --warmup)\n",
                after.size());
    return 1;
  }
  const Sample& first = *after.front();
  const Sample& last = *after.back();
  Judge judge;
  judge.t = Series(after, [](const Sample& s) { return s.t; });
  std::printf("\nverdicts, from the first sample after the warm-up (%.0f s) to the last (%.0f s):\n", first.t, last.t);
  const bool same_workers = std::all_of(after.begin(), after.end(), [&](const Sample* s) {
    return s->worker_pids == first.worker_pids;
  }) && last.worker_deaths == first.worker_deaths;
  judge.Line("mdm-fcgi worker processes", std::to_string(first.worker_pids.size()), std::to_string(last.worker_pids.size()),
             0, "-", same_workers,
             "the same processes throughout; " + Judge::Fmt(last.worker_deaths, "", 0) + " replaced since the start");
  for (std::size_t w = 0; w < first.worker_pids.size(); ++w) {
    const std::string name = "worker " + std::to_string(w + 1) + " (pid " + std::to_string(first.worker_pids[w]) + ")";
    judge.Relative(name + " RSS",
                   Series(after, [w](const Sample& s) { return w < s.worker_rss.size() ? Mib(s.worker_rss[w]) : 0.0; }),
                   kRssLimit, " MiB", 1);
  }
  judge.Relative("master RSS", Series(after, [](const Sample& s) { return Mib(s.master_rss); }), kRssLimit, " MiB", 2);
  judge.Relative("nginx RSS (" + std::to_string(first.nginx_processes) + " processes)",
                 Series(after, [](const Sample& s) { return Mib(s.nginx_rss); }), kRssLimit, " MiB", 1);
  for (std::size_t w = 0; w < first.worker_pids.size(); ++w)
    judge.NoGrowth("worker " + std::to_string(w + 1) + " open fds",
                   Series(after, [w](const Sample& s) { return w < s.worker_fds.size() ? s.worker_fds[w] : 0; }));
  judge.NoGrowth("master open fds", Series(after, [](const Sample& s) { return s.master_fds; }));
  judge.NoGrowth("PostgreSQL connections of mdm-fcgi", Series(after, [](const Sample& s) { return s.pg_server; }));
  judge.Bounded("commands waiting (Pending + NotNow)",
                 Series(after, [](const Sample& s) { return s.pending + s.not_now; }));
  std::vector<std::string> flat_tables;
  for (const auto& name : sampler.tables()) {
    if (kGrowingTables.count(name)) continue;
    auto kib = Series(after, [&](const Sample& s) { return static_cast<double>(s.bytes.at(name)) / 1024; });
    auto rows = Series(after, [&](const Sample& s) { return static_cast<double>(s.rows.at(name)); });
    const bool shown = std::find(kShownTables.begin(), kShownTables.end(), name) != kShownTables.end();
    if (!shown && kib.front() == kib.back() && rows.front() == rows.back()) {
      flat_tables.push_back(name);
      continue;
    }
    if (rows.front() == rows.back() || rows.front() == 0) {
      judge.Relative("table " + name, kib, kFlatTableLimit, " KiB", 0);
    } else {
      // Devices reporting for the first time add rows: their bytes per row must stay flat.
      std::vector<double> per_row;
      for (std::size_t i = 0; i < kib.size(); ++i) per_row.push_back(rows[i] > 0 ? kib[i] * 1024 / rows[i] : 0);
      judge.Relative("table " + name + " bytes/row", per_row, kFlatTableLimit, " B", 0);
    }
    if (rows.back() != rows.front()) {
      auto bound = kRowsPerDevice.find(name);
      const double most = bound == kRowsPerDevice.end() ? rows.front() : static_cast<double>(bound->second) * o.devices;
      judge.Line("table " + name + " rows", Judge::Fmt(rows.front(), "", 0), Judge::Fmt(rows.back(), "", 0),
                 rows.front() > 0 ? (rows.back() - rows.front()) / rows.front() * 100 : 0, "-", rows.back() <= most,
                 bound == kRowsPerDevice.end() ? "its rows must not change"
                                               : "at most " + Judge::Fmt(most, "", 0) + ": what the fleet reports");
    }
  }
  std::string unchanged;
  for (const auto& n : flat_tables) unchanged += (unchanged.empty() ? "" : ", ") + n;
  std::printf("verdict %zu other tables unchanged in size and rows: %s\n", flat_tables.size(), unchanged.c_str());

  std::printf("\nexpected growth (rows kept by design after the answer; mdmcron's housekeeping deletes finished "
              "results older than --keep-days, default 30, and the commands left without any; the audit log is "
              "kept whole):\n");
  const double span_min = (last.t - first.t) / 60;
  std::string growth_summary;
  for (const auto& name : kGrowingTables) {
    const double rows0 = static_cast<double>(first.rows.at(name)), rows1 = static_cast<double>(last.rows.at(name));
    const double bytes0 = static_cast<double>(first.bytes.at(name)), bytes1 = static_cast<double>(last.bytes.at(name));
    const double per_row0 = rows0 > 0 ? bytes0 / rows0 : 0, per_row1 = rows1 > 0 ? bytes1 / rows1 : 0;
    const double rows_per_min = (rows1 - rows0) / span_min;
    const bool ok = per_row0 > 0 && per_row1 <= per_row0 * (1 + kBytesPerRowLimit);
    std::printf("  %-14s %+.0f rows/min (%.0f -> %.0f), %+.1f KiB/min; %.0f -> %.0f bytes per row (limit +%.0f %%): "
                "%s; at this rate --keep-days 30 holds %.1f million rows, ~%.1f GiB\n",
                name.c_str(), rows_per_min, rows0, rows1, (bytes1 - bytes0) / 1024 / span_min, per_row0, per_row1,
                kBytesPerRowLimit * 100, ok ? "ok" : "FAIL", rows_per_min * 60 * 24 * 30 / 1e6,
                rows_per_min * 60 * 24 * 30 * per_row1 / (1024.0 * 1024 * 1024));
    ++judge.verdicts;
    if (!ok) ++judge.failures;
    char part[96];
    std::snprintf(part, sizeof part, "%s%s %+.0f rows/min", growth_summary.empty() ? "" : ", ", name.c_str(), rows_per_min);
    growth_summary += part;
  }

  const unsigned long long failed = traffic.failed + traffic.operator_failures;
  const bool pass = judge.failures == 0 && failed == 0;
  std::printf("\nsoak: %s, %d devices, %.1f min (warm-up %d s): %llu requests (%.1f/s), %llu answers, %llu pushes, %llu "
              "failed; %d of %d verdicts ok; load average %.2f -> %.2f; expected growth: %s\n",
              pass ? "PASS" : "FAIL", o.devices, minutes, o.warmup, traffic.requests.load(),
              static_cast<double>(traffic.requests) / (minutes * 60), traffic.answers(), traffic.pushes.load(), failed,
              judge.verdicts - judge.failures, judge.verdicts, first.load, last.load, growth_summary.c_str());
  return pass ? 0 : 1;
}

}  // namespace devicesim
