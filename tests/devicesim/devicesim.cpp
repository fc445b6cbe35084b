// devicesim: a fleet of simulated devices against the whole stack, for benchmarks. See Usage().
#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "config/config.h"
#include "fleet.h"
#include "hostile.h"
#include "plist/property_list.h"
#include "probe.h"
#include "soak.h"
#include "service/commands.h"
#include "store/database.h"
#include "stack.h"
#include "store/settings.h"
#include "webhook/webhooks.h"

namespace devicesim {
namespace {

void PrintHelp() {
  std::fputs(
      "usage: devicesim [options]\n"
      "  Enrolls a fleet of simulated devices (each signs its requests with a detached CMS and speaks\n"
      "  through nginx over TLS) and measures the server under their load. By default it starts a\n"
      "  private stack (PostgreSQL, mdm-fcgi, nginx on a free loopback port) and stops it at the end.\n"
      "\n"
      "  --mode idle|cycle|soak\n"
      "                     idle (default): each client thread sends Idle reports for its share of the\n"
      "                     devices over one keep-alive HTTP/1.1 connection, each body signed once up\n"
      "                     front. cycle: for each device, queue a command (EnqueueCommand on the\n"
      "                     thread's own database connection), send Idle (must get it), send\n"
      "                     Acknowledged for it (signed per request; the answer must be empty).\n"
      "                     soak: the fleet lives against the stack for --minutes (commands in batches\n"
      "                     through the admin API and mdm-console, mdmcron, pushes to a fake APNs that\n"
      "                     wake the devices, inventory answers, some NotNow and Error) while the\n"
      "                     server's memory, fds, database connections and table sizes are sampled;\n"
      "                     exits 1 when one grows after the warm-up (see tests/devicesim/soak.h).\n"
      "  --minutes M        soak: how long, warm-up included (default 10)\n"
      "  --sample-every S   soak: seconds between samples (default 10)\n"
      "  --devices N        devices to enroll, each with its own certificate (default 1000)\n"
      "  --threads K        client threads, each with its own connection (default 16; at most N)\n"
      "  --seconds S        seconds measured (default 10)\n"
      "  --warmup S         seconds of load before measuring (default 1; soak: a fifth of it, at most 120)\n"
      "  --workers N        worker processes of the mdm-fcgi it starts (default 4)\n"
      "  --worker-threads T threads in each worker process (default 1)\n"
      "  --hostile K        idle mode: K more client threads send 8 MB hostile bodies in a loop\n"
      "                     meanwhile (unsigned, and signed with an enrolled device's key: nested\n"
      "                     arrays, a NUL in a string, too many elements), each answer must be a 4xx\n"
      "  --webhook-down     a webhook is configured whose receiver is down (a closed port) and\n"
      "                     `webhook deliver --follow` runs: every event is filed, none delivered\n"
      "  --pgbench          afterwards, PostgreSQL's pgbench against the same cluster for scale:\n"
      "                     -i -s 10 into a database \"bench\", then -S -c 16 -j 2 -T 10\n"
      "  --config FILE --url URL --ca FILE\n"
      "                     load a running stack instead: FILE is its mdm.conf (the database, where\n"
      "                     the device CA and the push topic apns.topic are read), URL its\n"
      "                     https://.../api-mdm.php on loopback, and the certificate to trust for it.\n"
      "                     N devices are added to its database. No --workers or --pgbench then.\n"
      "  -h, --help         this text\n"
      "\n"
      "Prints the enrolment time; requests (or cycles) per second; latency p50/p90/p99/max; errors\n"
      "(answers other than expected); the worker's resident memory (VmRSS); CPU per request of\n"
      "devicesim, mdm-fcgi, nginx and PostgreSQL; database transactions per request (pg_stat_database\n"
      "xact_commit); and last one summary line per mode. Later flags override earlier ones.\n",
      stdout);
}

struct Options {
  std::string mode = "idle";
  int devices = 1000, threads = 16, seconds = 10, warmup = -1, workers = 4, worker_threads = 1, hostile = 0;
  int minutes = 10, sample_every = 10;  // soak
  bool pgbench = false, webhook_down = false;
  std::string config, url, ca;
};

int Number(const std::string& flag, const std::string& text, int min) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min)
    throw std::invalid_argument(flag + " needs a whole number of at least " + std::to_string(min) + ", got '" + text + "'");
  return v;
}

bool IsLoopback(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  char* host = nullptr;
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK)
    return false;
  std::string h = host;
  curl_free(host);
  return h == "localhost" || h == "[::1]" || h.rfind("127.", 0) == 0;
}

// nullopt after --help.
std::optional<Options> Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "-h" || a == "--help") {
      PrintHelp();
      return std::nullopt;
    }
    if (a == "--mode") o.mode = value();
    else if (a == "--devices") o.devices = Number(a, value(), 1);
    else if (a == "--threads") o.threads = Number(a, value(), 1);
    else if (a == "--seconds") o.seconds = Number(a, value(), 1);
    else if (a == "--warmup") o.warmup = Number(a, value(), 0);
    else if (a == "--workers") o.workers = Number(a, value(), 1);
    else if (a == "--worker-threads") o.worker_threads = Number(a, value(), 1);
    else if (a == "--hostile") o.hostile = Number(a, value(), 0);
    else if (a == "--minutes") o.minutes = Number(a, value(), 1);
    else if (a == "--sample-every") o.sample_every = Number(a, value(), 1);
    else if (a == "--pgbench") o.pgbench = true;
    else if (a == "--webhook-down") o.webhook_down = true;
    else if (a == "--config") o.config = value();
    else if (a == "--url") o.url = value();
    else if (a == "--ca") o.ca = value();
    else throw std::invalid_argument("unknown argument '" + a + "'");
  }
  if (o.mode != "idle" && o.mode != "cycle" && o.mode != "soak")
    throw std::invalid_argument("--mode is idle, cycle or soak, not '" + o.mode + "'");
  if (o.warmup < 0) o.warmup = o.mode == "soak" ? std::min(120, o.minutes * 60 / 5) : 1;
  if (o.threads > o.devices) throw std::invalid_argument("--threads must not exceed --devices");
  if (o.hostile > 0 && o.mode != "idle") throw std::invalid_argument("--hostile goes with --mode idle");
  bool existing = !o.config.empty(), url = !o.url.empty(), ca = !o.ca.empty();
  if (existing != url || existing != ca) throw std::invalid_argument("--config, --url and --ca go together");
  if (existing && o.pgbench) throw std::invalid_argument("--pgbench needs the stack devicesim starts");
  if (existing && o.webhook_down) throw std::invalid_argument("--webhook-down needs the stack devicesim starts");
  if (o.mode == "soak" && (existing || o.pgbench))
    throw std::invalid_argument("--mode soak samples the stack devicesim starts: no --config or --pgbench");
  if (url && !IsLoopback(o.url)) throw std::invalid_argument("--url must name a loopback host (localhost, 127.x, [::1])");
  return o;
}

Target FromStack(mdm::test::Stack& s) {
  return {s.base_url(), s.tls_cert(), s.pg().conninfo(), mdm::test::Stack::kTopic, s.DeviceCa()};
}

Target FromConfig(const Options& o) {
  auto cfg = mdm::LoadConfig(o.config);
  if (!cfg.ok()) throw std::runtime_error(cfg.status().message());
  pqxx::connection c(cfg->database);
  Target t{o.url, o.ca, cfg->database, "", mdm::enroll::LoadOrCreateDeviceCa(c)};
  pqxx::read_transaction tx(c);
  t.topic = mdm::store::GetSetting(tx, mdm::store::setting::kPushTopic).value_or("");
  if (t.topic.empty()) throw std::runtime_error("the server has no push topic (setting apns.topic)");
  return t;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void CheckInterrupted() {
  if (Interrupted()) throw std::runtime_error("interrupted");
}

// What one client thread saw. A unit is a request (idle) or a cycle.
struct Tally {
  explicit Tally(std::size_t steps) : ms(steps) {}
  std::vector<std::vector<double>> ms;  // latency of each step of the measured units
  unsigned long long sent = 0;          // units, warm-up included
  unsigned long long measured = 0;      // units started after the warm-up
  unsigned long long errors = 0;
  std::string first_error;

  void Error(std::string why) {
    if (errors++ == 0) first_error = std::move(why);
  }
  void Merge(const Tally& o) {
    for (std::size_t s = 0; s < ms.size(); ++s) ms[s].insert(ms[s].end(), o.ms[s].begin(), o.ms[s].end());
    sent += o.sent;
    measured += o.measured;
    if (errors == 0) first_error = o.first_error;
    errors += o.errors;
  }
};

std::string Why(long status, const Connection& c) {
  return status ? "HTTP " + std::to_string(status) + " " + c.answer().substr(0, 200) : std::string(c.error());
}

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

Percentiles Summarize(std::vector<double>& ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))]; };
  return {at(0.50), at(0.90), at(0.99), ms.back()};
}

void PrintLatency(const char* label, const Percentiles& p) {
  std::printf("  %-22s p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n", label, p.p50, p.p90, p.p99, p.max);
}

using Client = std::function<void(int thread, Tally& tally, Clock::time_point warm, Clock::time_point stop)>;

struct Measured {
  Tally all;                    // the client threads' tallies, merged
  Usage start, warm, end;       // when the load starts, after the warm-up, at the end
  long long transactions = 0;   // committed on the server's database, warm-up included
};

// Runs the client threads for the warm-up and the measured seconds, and reads the server side.
// `around`, when given, is called with true as the load starts and with false as it ends (after
// the probe restarted the workers to read their transactions, and before it does again).
Measured Measure(const Options& o, const Probe& probe, std::size_t steps, const Client& client,
                 const std::function<void(bool)>& around = {}) {
  std::vector<Tally> tallies(static_cast<std::size_t>(o.threads), Tally(steps));
  Measured m{Tally(steps), {}, {}, {}, 0};
  const long long before = probe.Transactions();
  if (around) around(true);
  m.start = probe.Read();
  const Clock::time_point warm = m.start.at + std::chrono::seconds(o.warmup);
  const Clock::time_point stop = warm + std::chrono::seconds(o.seconds);
  OnThreads(
      o.threads, [&](int t) { client(t, tallies[static_cast<std::size_t>(t)], warm, stop); },
      [&] {
        SleepUntil(warm);
        m.warm = probe.Read();
      });
  m.end = probe.Read();
  if (around) around(false);
  m.transactions = probe.Transactions() - before;
  CheckInterrupted();
  for (const auto& t : tallies) m.all.Merge(t);
  return m;
}

void PrintErrors(const Tally& t) {
  std::printf("  errors                 %llu%s%s\n", t.errors, t.errors ? "; first: " : "", t.first_error.c_str());
}

// The worker's memory, CPU per unit (a request or a cycle) over the measured seconds, and
// database transactions per unit.
void PrintServerSide(const Measured& m, const char* unit, const Probe& probe) {
  auto mib = [](long kb) {
    char text[32] = "?";
    if (kb >= 0) std::snprintf(text, sizeof text, "%.1f", static_cast<double>(kb) / 1024);
    return std::string(text);
  };
  std::printf("  worker RSS (MiB)       %s at the start, %s after the warm-up, %s at the end\n",
              mib(m.start.worker_rss_kb).c_str(), mib(m.warm.worker_rss_kb).c_str(), mib(m.end.worker_rss_kb).c_str());
  std::printf("  CPU ms per %-11s", unit);
  double busy = 0;
  for (const auto& [name, secs] : m.end.cpu_seconds) {
    auto was = m.warm.cpu_seconds.find(name);
    const double spent = secs - (was == m.warm.cpu_seconds.end() ? 0 : was->second);
    busy += spent;
    std::printf(" %s %.3f ", name.c_str(), m.all.measured ? spent * 1000 / static_cast<double>(m.all.measured) : 0.0);
  }
  const double wall = Seconds(m.end.at - m.warm.at);
  std::printf(" (%.2f of %u cores busy with these, %.2f with the rest of the machine)\n", busy / wall,
              std::thread::hardware_concurrency(), (m.end.machine_cpu_seconds - m.warm.machine_cpu_seconds) / wall);
  std::printf("  db transactions per %s %.2f%s\n", unit,
              m.all.sent ? static_cast<double>(m.transactions) / static_cast<double>(m.all.sent) : 0.0,
              probe.exact() ? "" : " (approximate: PostgreSQL publishes a backend's counters up to 10 s late)");
}

std::string Summary(const Options& o, const char* what, double rate, const char* per, Percentiles p,
                    const Tally& t) {
  char line[256];
  std::snprintf(line, sizeof line, "%s: %.1f %s p50 %.1f ms p99 %.1f ms errors %llu (%d threads, %d devices)", what,
                rate, per, p.p50, p.p99, t.errors, o.threads, o.devices);
  return line;
}

std::string RunIdle(const Options& o, const Target& target, const std::vector<Device>& fleet, EVP_PKEY* key,
                    const Probe& probe) {
  std::printf("idle mode: %d threads, %d devices, %d s after %d s of warm-up\n", o.threads, o.devices, o.seconds, o.warmup);
  std::unique_ptr<HostileLoad> hostile;
  if (o.hostile > 0) {
    hostile = std::make_unique<HostileLoad>(target, fleet.front(), key, std::size_t{8} * 1024 * 1024 - 4096);
    std::printf("hostile load: %d threads sending, in turn:\n", o.hostile);
    for (const auto& line : hostile->Describe()) std::printf("  %s\n", line.c_str());
  }
  HostileTally h;
  auto around = [&](bool starting) {
    if (!hostile) return;
    if (starting) hostile->Start(o.hostile);
    else h = hostile->Stop();
  };
  Measured m = Measure(o, probe, 1, [&](int t, Tally& r, Clock::time_point warm, Clock::time_point stop) {
    Connection c(target.base_url + "/mdm", target.ca_file);
    const auto [first, last] = SliceOf(fleet.size(), o.threads, t);
    for (std::size_t i = first; !Interrupted() && Clock::now() < stop; i = i + 1 == last ? first : i + 1) {
      const Device& d = fleet[i];
      const auto t0 = Clock::now();
      const long status = c.Put(d.idle_body, d.idle_headers.get());
      const auto t1 = Clock::now();
      ++r.sent;
      if (t0 < warm) continue;
      ++r.measured;
      r.ms[0].push_back(Ms(t1 - t0));
      if (status != 200) r.Error("Idle: " + Why(status, c));
    }
  }, around);
  const double rate = static_cast<double>(m.all.measured) / o.seconds;
  const Percentiles p = Summarize(m.all.ms[0]);
  std::printf("  requests               %llu (%.1f/s)\n", m.all.measured, rate);
  PrintLatency("latency", p);
  PrintErrors(m.all);
  PrintServerSide(m, "request", probe);
  if (!hostile) return Summary(o, "idle", rate, "req/s", p, m.all);
  const double secs = o.seconds + o.warmup;
  std::printf("  hostile requests       %llu (%.1f/s, %.0f MB/s), %llu answered 4xx, %llu otherwise%s%s\n", h.sent,
              static_cast<double>(h.sent) / secs, h.megabytes / secs, h.refused, h.other,
              h.other ? "; first: " : "", h.first_other.c_str());
  return Summary(o, "idle under hostile load", rate, "req/s", p, m.all) + ", hostile " + std::to_string(h.sent) +
         " requests (" + std::to_string(h.other) + " not 4xx) from " + std::to_string(o.hostile) + " threads";
}

std::string RunCycle(const Options& o, const Target& target, const std::vector<Device>& fleet, EVP_PKEY* key,
                     const Probe& probe) {
  std::printf("cycle mode: %d threads, %d devices, %d s after %d s of warm-up\n", o.threads, o.devices, o.seconds, o.warmup);
  enum { kEnqueue, kIdle, kAck, kCycle, kSteps };
  Measured m = Measure(o, probe, kSteps, [&](int t, Tally& r, Clock::time_point warm, Clock::time_point stop) {
    Connection c(target.base_url + "/mdm", target.ca_file);
    // Queued the way the admin API and the console do: through lib's Database session.
    mdm::store::Database session(target.conninfo);
    pqxx::connection& db = session.connection();
    mdm::plist::Owned command(plist_new_dict());
    mdm::plist::SetString(command.get(), "RequestType", "SecurityInfo");
    mdm::service::EnqueueOptions opts;
    opts.source = "devicesim";
    const auto [first, last] = SliceOf(fleet.size(), o.threads, t);
    for (std::size_t i = first; !Interrupted() && Clock::now() < stop; i = i + 1 == last ? first : i + 1) {
      const Device& d = fleet[i];
      const auto t0 = Clock::now();
      auto queued = mdm::service::EnqueueCommand(db, command.get(), {d.udid}, opts);
      if (!queued.ok()) throw std::runtime_error("EnqueueCommand: " + queued.status().message());
      const auto t1 = Clock::now();
      const long idle = c.Put(d.idle_body, d.idle_headers.get());
      const auto t2 = Clock::now();
      const bool delivered = idle == 200 && c.answer().find(queued->command_uuid) != std::string::npos;
      const std::string ack = ReportBody(d.udid, "Acknowledged", queued->command_uuid);
      const Slist headers = MdmHeaders(d.cert.get(), key, ack);  // the client's RSA, outside the timed steps
      const auto t3 = Clock::now();
      const long acked = c.Put(ack, headers.get());
      const auto t4 = Clock::now();
      ++r.sent;
      if (t0 < warm) continue;
      ++r.measured;
      r.ms[kEnqueue].push_back(Ms(t1 - t0));
      r.ms[kIdle].push_back(Ms(t2 - t1));
      r.ms[kAck].push_back(Ms(t4 - t3));
      r.ms[kCycle].push_back(Ms((t2 - t0) + (t4 - t3)));
      if (!delivered) r.Error("Idle did not deliver " + queued->command_uuid + ": " + Why(idle, c));
      else if (acked != 200 || !c.answer().empty()) r.Error("Acknowledged: " + Why(acked, c));
    }
  });
  const double rate = static_cast<double>(m.all.measured) / o.seconds;
  std::printf("  cycles                 %llu (%.1f/s)\n", m.all.measured, rate);
  PrintLatency("enqueue", Summarize(m.all.ms[kEnqueue]));
  PrintLatency("Idle (gets it)", Summarize(m.all.ms[kIdle]));
  PrintLatency("Acknowledged", Summarize(m.all.ms[kAck]));
  const Percentiles p = Summarize(m.all.ms[kCycle]);
  PrintLatency("cycle", p);
  PrintErrors(m.all);
  PrintServerSide(m, "cycle", probe);
  return Summary(o, "cycle", rate, "cycles/s", p, m.all);
}

std::string RunPgbench(mdm::test::Stack& stack) {
  {
    auto c = stack.Connect();
    pqxx::nontransaction tx(*c);
    tx.exec0("CREATE DATABASE bench");
  }
  const std::string bin = mdm::test::PostgresBinDir() + "/pgbench";
  const std::string db = stack.pg().conninfo() + " dbname=bench";  // the later dbname wins
  const auto t0 = Clock::now();
  auto init = mdm::test::Run({bin, "-i", "-q", "-s", "10", db});
  if (init.exit_code != 0) throw std::runtime_error("pgbench -i failed:\n" + init.output);
  std::printf("pgbench -i -s 10: %.1f s; then pgbench -S -c 16 -j 2 -T 10:\n", Seconds(Clock::now() - t0));
  auto run = mdm::test::Run({bin, "-S", "-c", "16", "-j", "2", "-T", "10", db});
  if (run.exit_code != 0) throw std::runtime_error("pgbench failed:\n" + run.output);
  std::printf("%s", run.output.c_str());
  auto at = run.output.find("tps = ");
  if (at == std::string::npos) throw std::runtime_error("no tps in pgbench's output");
  char line[160];
  std::snprintf(line, sizeof line, "pgbench: %.1f tps (select-only, 16 clients, 2 threads, scale 10)",
                std::stod(run.output.substr(at + 6)));
  return line;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

int Main(const Options& o) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows through a pipe
  StopOnSignals();
  std::unique_ptr<mdm::test::Stack> stack;
  if (o.url.empty()) {
    mdm::test::StackOptions so;
    so.workers = o.workers;
    so.threads = o.worker_threads;
    so.max_body_bytes = std::size_t{8} * 1024 * 1024;  // the production default
    stack = std::make_unique<mdm::test::Stack>(so);
    std::printf("stack: %s, %d mdm-fcgi workers of %d threads, in %s\n", stack->base_url().c_str(), o.workers,
                o.worker_threads, stack->root().c_str());
  }
  const Target target = stack ? FromStack(*stack) : FromConfig(o);
  if (o.mode == "soak") {
    SoakOptions so{.devices = o.devices, .threads = o.threads, .seconds = o.minutes * 60, .warmup = o.warmup,
                   .sample_every = o.sample_every, .batch_size = std::max(1, o.devices / 10), .workers = o.workers,
                   .worker_threads = o.worker_threads};
    return RunSoak(so, *stack, target);
  }
  const Probe probe(stack ? stack->root() : std::filesystem::canonical(o.config).string(), target.conninfo, stack.get());

  const auto key = mdm::crypto::GenerateRsaKey();
  const auto t0 = Clock::now();
  const auto fleet = Enroll(target, key.get(), static_cast<std::size_t>(o.devices), o.threads);
  CheckInterrupted();
  const double secs = Seconds(Clock::now() - t0);
  std::printf("enrolment: %d devices in %.1f s (%.0f/s over %d threads: certificate, Authenticate, TokenUpdate)\n",
              o.devices, secs, o.devices / secs, o.threads);

  // Events from here on wait for a receiver that never answers; the sender keeps trying.
  std::unique_ptr<mdm::test::Process> follower;
  if (o.webhook_down) {
    mdm::store::Database session(target.conninfo);
    auto id = mdm::webhook::Add(session.connection(), "http://127.0.0.1:9/mdm-webhook",
                                std::string("devicesim-webhook-secret-0123456789"), {});
    if (!id.ok()) throw std::runtime_error("webhook add: " + id.status().message());
    // Named for PostgreSQL, so the probe (which waits for the workers' sessions to end) skips it.
    setenv("PGAPPNAME", "devicesim-webhook-follower", 1);
    follower = std::make_unique<mdm::test::Process>(
        std::vector<std::string>{MDM_CONSOLE_BIN, "--config", stack->config_path(), "webhook", "deliver", "--follow"},
        stack->root() + "/webhook-follower.log");
    unsetenv("PGAPPNAME");
    std::printf("webhook: receiver down (http://127.0.0.1:9), webhook deliver --follow running\n");
  }
  std::vector<std::string> summary;
  summary.push_back(o.mode == "idle" ? RunIdle(o, target, fleet, key.get(), probe) : RunCycle(o, target, fleet, key.get(), probe));
  if (follower) {
    follower.reset();
    summary.push_back("webhook: " + stack->Query("SELECT count(*) FROM webhook_outbox WHERE failed_at IS NULL") +
                      " events waiting for the receiver that is down");
  }
  if (o.pgbench) summary.push_back(RunPgbench(*stack));
  for (const auto& line : summary) std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace
}  // namespace devicesim

int main(int argc, char** argv) {
  devicesim::CurlGlobal curl;
  std::optional<devicesim::Options> o;
  try {
    o = devicesim::Parse(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "devicesim: %s; see devicesim --help\n", e.what());
    return 2;
  }
  if (!o) return 0;
  try {
    return devicesim::Main(*o);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "devicesim: %s\n", e.what());
    return 1;
  }
}
