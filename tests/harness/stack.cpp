#include "stack.h"

#include "store/settings.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace mdm::test {
namespace fs = std::filesystem;

namespace {

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

Stack::Stack(StackOptions opts) : opts_(std::move(opts)) {
  const std::string root = dir_.path();
  pg_ = std::make_unique<PgCluster>(root);

  fs::create_directories(root + "/run");
  socket_ = root + "/run/mdm-fcgi.sock";
  config_path_ = root + "/mdm.conf";
  WriteFile(config_path_,
            "# written by the test harness\n"
            "database = " + pg_->conninfo() + "\n" +
                "socket = " + socket_ + "\n" +
                "socket_mode = 0666\n"
                "workers = " + std::to_string(opts_.workers) + "\n" +
                "threads = " + std::to_string(opts_.threads) + "\n" +
                "log_level = info\n"
                "admin_api_key = " + opts_.admin_api_key + "\n" +
                "max_body_bytes = " + std::to_string(opts_.max_body_bytes) + "\n" + opts_.extra_config,
            0600);

  auto m = Console({"migrate"});
  if (m.exit_code != 0) throw std::runtime_error("mdm-console migrate failed:\n" + m.output);
  SetSetting(store::setting::kPushTopic, kTopic);

  // TLS certificate for nginx (localhost), made with the openssl tool.
  std::string ng = root + "/nginx";
  fs::create_directories(ng + "/tmp");
  cert_ = ng + "/tls.crt";
  key_ = ng + "/tls.key";
  auto c = Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key_, "-out", cert_});
  if (c.exit_code != 0) throw std::runtime_error("openssl req failed:\n" + c.output);
  client_.set_ca_file(cert_);

  int port = FreeTcpPort();
  std::string src = MDM_SOURCE_DIR;
  // The console's files from the source tree, not from where the package installs them.
  WriteFile(ng + "/mdm-locations.conf",
            Replace(ReadFile(src + "/nginx/mdm-locations.conf"), "/usr/share/mdm/web/", src + "/web/"));
  fs::copy_file(src + "/nginx/mdm-fastcgi.conf", ng + "/mdm-fastcgi.conf");
  std::string conf = ReadFile(src + "/nginx/local.conf.in");
  conf = Replace(conf, "@PREFIX@", ng);
  conf = Replace(conf, "@PORT@", std::to_string(port));
  conf = Replace(conf, "@SOCKET@", socket_);
  conf = Replace(conf, "@CERT@", cert_);
  conf = Replace(conf, "@KEY@", key_);
  // Twice the worker's limit, so the worker's own 413 is what tests see.
  conf = Replace(conf, "@MAX_BODY@", std::to_string(opts_.max_body_bytes * 2));
  WriteFile(ng + "/nginx.conf", conf);
  base_url_ = "https://localhost:" + std::to_string(port) + "/api-mdm.php";

  StartWorkers();
  nginx_ = Process({"nginx", "-p", ng, "-e", ng + "/error.log", "-c", ng + "/nginx.conf"}, ng + "/stdout.log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    auto r = Get("/health");
    if (r.status != 0) break;
    if (std::chrono::steady_clock::now() > deadline || !nginx_.running())
      throw std::runtime_error("nginx did not come up:\n" + ReadFile(ng + "/error.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Stack::~Stack() {
  nginx_.Stop();
  StopWorkers();
  pg_.reset();
}

void Stack::StartWorkers() {
  // A master killed with -9 leaves its socket file behind; the new one would replace it, but
  // the wait below must not take the old file for the new socket.
  std::error_code ec;
  fs::remove(socket_, ec);
  workers_ = Process({MDM_FCGI_BIN, "--config", config_path_}, dir_.path() + "/mdm-fcgi.log");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!fs::exists(socket_)) {
    if (std::chrono::steady_clock::now() > deadline || !workers_.running())
      throw std::runtime_error("mdm-fcgi did not start:\n" + ReadFile(dir_.path() + "/mdm-fcgi.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Stack::StopWorkers() { workers_.Stop(); }

void Stack::KillWorkers() {
  std::vector<pid_t> children = WorkerPids();
  workers_.Kill(SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (pid_t p : children) {
    // Gone, or a zombie waiting for whoever inherited it: either way it serves nothing.
    while (true) {
      std::string stat = ReadFile("/proc/" + std::to_string(p) + "/stat");
      auto close = stat.rfind(')');
      if (stat.empty() || close == std::string::npos || stat.compare(close + 2, 1, "Z") == 0) break;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("mdm-fcgi worker " + std::to_string(p) + " outlived its master");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

std::vector<pid_t> Stack::WorkerPids() const {
  std::vector<pid_t> out;
  pid_t master = workers_.pid();
  if (master <= 0) return out;
  std::string children = ReadFile("/proc/" + std::to_string(master) + "/task/" + std::to_string(master) + "/children");
  size_t pos = 0;
  while (pos < children.size()) {
    size_t end = children.find(' ', pos);
    if (end == std::string::npos) end = children.size();
    if (end > pos) out.push_back(static_cast<pid_t>(std::stol(children.substr(pos, end - pos))));
    pos = end + 1;
  }
  return out;
}

std::string Stack::WorkerLog() const { return ReadFile(dir_.path() + "/mdm-fcgi.log"); }

std::unique_ptr<pqxx::connection> Stack::Connect() const { return std::make_unique<pqxx::connection>(pg_->conninfo()); }

enroll::DeviceCa Stack::DeviceCa() const { return enroll::LoadOrCreateDeviceCa(*Connect()); }

void Stack::SetSetting(const std::string& name, const std::string& value) const {
  auto c = Connect();
  pqxx::work tx(*c);
  store::SetSetting(tx, name, value);
  tx.commit();
}

std::string Stack::Query(const std::string& sql) const {
  auto c = Connect();
  pqxx::nontransaction tx(*c);
  auto r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

HttpResponse Stack::Get(const std::string& route, const Headers& headers) {
  return client_.Request("GET", base_url_ + route, "", headers);
}

HttpResponse Stack::Send(const std::string& method, const std::string& route, const std::string& body,
                         const Headers& headers) {
  return client_.Request(method, base_url_ + route, body, headers);
}

CommandResult Stack::Console(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MDM_CONSOLE_BIN, "--config", config_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

void Stack::AddConsoleUser(const std::string& name, const std::string& role, const std::string& password) {
  // Through a pipe, as a script would: the password never appears in a command line.
  std::string pw = config_path_ + ".pw";
  WriteFile(pw, password + "\n", 0600);
  auto r = Run({"/bin/sh", "-c", std::string(MDM_CONSOLE_BIN) + " --config '" + config_path_ + "' user add '" + name +
                                     "' --role '" + role + "' --password-stdin < '" + pw + "'"});
  std::remove(pw.c_str());
  if (r.exit_code != 0) throw std::runtime_error("user add " + name + " failed: " + r.output);
}

std::string Stack::Shutdown() {
  nginx_.Stop();
  StopWorkers();
  std::string log = ReadFile(dir_.path() + "/mdm-fcgi.log");
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    auto p = log.find(marker);
    if (p != std::string::npos) return log.substr(p > 2000 ? p - 2000 : 0, 8000);
  }
  return "";
}

namespace {
std::unique_ptr<Stack> g_shared;
// A function's static: test binaries configure the stack from their own static initialisers.
StackOptions& SharedOptions() {
  static StackOptions options;
  return options;
}
}  // namespace

void ConfigureSharedStack(StackOptions opts) { SharedOptions() = std::move(opts); }

Stack& SharedStack() {
  if (!g_shared) g_shared = std::make_unique<Stack>(SharedOptions());
  return *g_shared;
}

int ShutdownSharedStack() {
  if (!g_shared) return 0;
  std::string reports = g_shared->Shutdown();
  g_shared.reset();
  if (reports.empty()) return 0;
  std::fprintf(stderr, "mdm-fcgi reported a sanitizer finding:\n%s\n", reports.c_str());
  return 1;
}

}  // namespace mdm::test
