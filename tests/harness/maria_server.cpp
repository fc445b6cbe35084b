#include "maria_server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "process.h"

namespace mdm::test {
namespace fs = std::filesystem;

namespace {

const char* kServerBin = "/usr/sbin/mariadbd";
const char* kInstallDbBin = "/usr/bin/mariadb-install-db";
const char* kClientBin = "/usr/bin/mariadb";
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(60);

using Clock = std::chrono::steady_clock;

// Closes every descriptor above stderr in a forked child (async-signal-safe).
void CloseInheritedFds() {
  if (close_range(3, ~0U, 0) == 0) return;
  for (int fd = 3; fd < 4096; ++fd) close(fd);
}

std::vector<char*> Argv(const std::vector<std::string>& argv) {
  std::vector<char*> v;
  for (const auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

struct Captured {
  int exit_code = -1;
  std::string out, err;
};

// Runs argv (an absolute path first) with `input` on its stdin, stdout and stderr kept apart.
// stdin is a socket, so a child that exits before reading everything gives EPIPE, not SIGPIPE.
Captured Capture(const std::vector<std::string>& argv, const std::string& input,
                 std::chrono::seconds timeout = std::chrono::seconds(300)) {
  int in[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) throw std::runtime_error("socketpair failed");
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  auto args = Argv(argv);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in[1], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    CloseInheritedFds();
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[1]);
  close(out[1]);
  close(err[1]);
  int to_child = in[0];
  fcntl(to_child, F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (input.empty()) {
    close(to_child);
    to_child = -1;
  }
  Captured r;
  int from[2] = {out[0], err[0]};
  std::string* sink[2] = {&r.out, &r.err};
  auto deadline = Clock::now() + timeout;
  bool timed_out = false;
  while (from[0] >= 0 || from[1] >= 0) {
    pollfd p[3];
    int n = 0;
    for (int fd : {from[0], from[1], to_child}) {
      if (fd < 0) continue;
      p[n++] = pollfd{fd, static_cast<short>(fd == to_child ? POLLOUT : POLLIN), 0};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    int ready = poll(p, static_cast<nfds_t>(n), static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < n; ++i) {
      if (p[i].revents == 0) continue;
      if (p[i].fd == to_child) {
        ssize_t w = send(to_child, input.data() + written, input.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
          close(to_child);  // all sent, or the child stopped reading
          to_child = -1;
        }
        continue;
      }
      int k = p[i].fd == from[0] ? 0 : 1;
      char buf[8192];
      ssize_t got = read(from[k], buf, sizeof buf);
      if (got > 0) {
        sink[k]->append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(from[k]);
        from[k] = -1;
      }
    }
  }
  for (int fd : {from[0], from[1], to_child})
    if (fd >= 0) close(fd);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) throw std::runtime_error(argv[0] + " timed out; stderr so far:\n" + r.err);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return r;
}

std::string Tail(const std::string& text, int lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  while (pos > 0 && lines > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    --lines;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

void RequireBinary(const char* path) {
  if (access(path, X_OK) != 0)
    throw std::runtime_error(std::string("no ") + path + ": apt-get install -y mariadb-server mariadb-client");
}

}  // namespace

MariaServer::MariaServer(const std::string& root)
    : root_(root + "/maria"),
      data_(root_ + "/data"),
      sock_(root_ + "/mysqld.sock"),
      pid_file_(root_ + "/mariadbd.pid"),
      log_(root_ + "/error.log"),
      console_log_(root_ + "/console.log") {
  for (const char* bin : {kServerBin, kInstallDbBin, kClientBin}) RequireBinary(bin);
  // sun_path holds 108 bytes; stay well below.
  if (sock_.size() >= 100)
    throw std::runtime_error("MariaDB socket path too long (" + std::to_string(sock_.size()) +
                             " chars; point MDM_TEST_TMP at a shorter folder): " + sock_);
  fs::create_directories(root_);
  if (IsRoot()) {
    // mariadbd refuses to run as root: the package's own user, else the one PgCluster uses.
    for (const char* candidate : {"mysql", "postgres"}) {
      if (getpwnam(candidate)) {
        user_ = candidate;
        break;
      }
    }
    if (user_.empty()) throw std::runtime_error("neither a mysql nor a postgres user to run mariadbd as");
    auto c = Run({"chown", "-R", user_ + ":", root_});
    if (c.exit_code != 0) throw std::runtime_error("chown of " + root_ + " failed:\n" + c.output);
  }

  // As the server's user (not as root with --user): run as root, the script would also chown the
  // system's /usr/lib/mysql/plugin/auth_pam_tool_dir to that user.
  std::vector<std::string> install = {kInstallDbBin,
                                      "--no-defaults",
                                      "--auth-root-authentication-method=normal",
                                      "--datadir=" + data_,
                                      "--skip-test-db",
                                      "--skip-name-resolve",
                                      "--innodb-buffer-pool-size=64M"};
  if (!user_.empty()) install.push_back("--user=" + user_);
  auto r = Run(install, user_);
  if (r.exit_code != 0)
    throw std::runtime_error("mariadb-install-db failed (exit " + std::to_string(r.exit_code) + "):\n" +
                             Tail(r.output, 40));

  Start();
  RootClient(std::string("CREATE DATABASE ") + kDatabase + " CHARACTER SET utf8mb4;\n" +
                 "CREATE USER 'oco'@'localhost' IDENTIFIED BY 'oco-pass-1';\n"
                 "CREATE USER 'oco'@'127.0.0.1' IDENTIFIED BY 'oco-pass-1';\n"
                 "GRANT ALL ON oco.* TO 'oco'@'localhost', 'oco'@'127.0.0.1';\n"
                 "CREATE USER 'reader'@'localhost' IDENTIFIED BY 'reader-pass-1';\n"
                 "CREATE USER 'reader'@'127.0.0.1' IDENTIFIED BY 'reader-pass-1';\n"
                 "GRANT SELECT ON oco.* TO 'reader'@'localhost', 'reader'@'127.0.0.1';\n",
             false, false);
}

MariaServer::~MariaServer() {
  try {
    Stop();
  } catch (...) {
  }
}

void MariaServer::Start() {
  if (running()) return;
  // The first start picks a free port; should another process take it between our probe and
  // mariadbd's bind, try another. A restart keeps its port.
  const bool fresh = port_ == 0;
  for (int attempt = 0;; ++attempt) {
    if (fresh) port_ = static_cast<unsigned>(FreeTcpPort());
    if (Launch()) return;
    if (!fresh || attempt >= 4)
      throw std::runtime_error("mariadbd could not bind 127.0.0.1:" + std::to_string(port_) + ":\n" + LogTail());
  }
}

bool MariaServer::Launch() {
  std::error_code ec;
  auto log_offset = fs::exists(log_, ec) ? fs::file_size(log_, ec) : 0;
  std::vector<std::string> argv = {kServerBin,
                                   "--no-defaults",
                                   "--datadir=" + data_,
                                   "--socket=" + sock_,
                                   "--pid-file=" + pid_file_,
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=127.0.0.1",
                                   "--log-error=" + log_,
                                   "--tmpdir=" + root_,
                                   "--innodb-buffer-pool-size=64M",
                                   // Durable against a killed mariadbd, not a crashed machine:
                                   // no fsync per commit (PgCluster's fsync=off, in spirit).
                                   "--innodb-flush-log-at-trx-commit=2",
                                   "--skip-name-resolve",
                                   // What Debian's /etc/mysql would have set.
                                   "--character-set-server=utf8mb4",
                                   "--collation-server=utf8mb4_general_ci"};
  auto args = Argv(argv);

  // Everything the child needs is looked up before fork (no NSS calls after it).
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  if (!user_.empty()) {
    const passwd* pw = getpwnam(user_.c_str());
    if (!pw) throw std::runtime_error("no user " + user_);
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    int n = 64;
    groups.resize(static_cast<std::size_t>(n));
    if (getgrouplist(user_.c_str(), gid, groups.data(), &n) < 0) {
      groups.resize(static_cast<std::size_t>(n));
      getgrouplist(user_.c_str(), gid, groups.data(), &n);
    }
    groups.resize(static_cast<std::size_t>(n));
  }
  int log_fd = open(console_log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + console_log_);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    close(null_fd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    CloseInheritedFds();
    setpgid(0, 0);  // a ^C at the terminal is for the test, which then stops the server itself
    if (!user_.empty() &&
        (setgroups(groups.size(), groups.data()) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
      _exit(126);
    // A test that crashes or is killed leaves no server behind (set after setuid, which clears
    // it). Like the stack's workers, it is tied to the thread that started it. SIGKILL, not
    // SIGTERM: a SIGTERM that comes while mariadbd 10.11 is starting can hang it for good (in
    // init_slave, seen here), and nobody needs its data any more.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  pid_ = pid;

  // Until it answers on its socket as root, or exits, or 60 s have passed.
  auto deadline = Clock::now() + kStartTimeout;
  while (true) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string log = ReadFile(log_);
      log = log.size() > log_offset ? log.substr(static_cast<std::size_t>(log_offset)) : "";
      if (log.find("Address already in use") != std::string::npos) return false;
      throw std::runtime_error("mariadbd exited at start (status " + std::to_string(status) + "):\n" + LogTail());
    }
    auto ping = Capture({kClientBin, "--no-defaults", "--socket=" + sock_, "-uroot", "--connect-timeout=5",
                         "--batch", "--skip-column-names", "-e", "SELECT 1"},
                        "", std::chrono::seconds(30));
    if (ping.exit_code == 0) return true;
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("mariadbd did not answer within 60 s:\n" + ping.err + LogTail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void MariaServer::Stop() {
  if (!running()) return;
  // SIGTERM is mariadbd's normal shutdown (what mariadb-admin shutdown asks for too, but that one
  // then polls the pid file once a second: a second lost per stop).
  kill(pid_, SIGTERM);
  auto deadline = Clock::now() + kStopTimeout;
  int status = 0;
  while (true) {
    pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_ || (w < 0 && errno != EINTR)) break;
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
}

std::string MariaServer::RootClient(const std::string& sql, bool query, bool in_database) {
  if (!running()) throw std::runtime_error("MariaDB is not running");
  std::vector<std::string> argv = {kClientBin, "--no-defaults", "--socket=" + sock_, "-uroot",
                                   // --no-defaults leaves the client at latin1; the SQL is UTF-8.
                                   "--default-character-set=utf8mb4", "--batch"};
  if (query) argv.push_back("--skip-column-names");
  if (in_database) argv.push_back(kDatabase);
  auto r = Capture(argv, sql);
  if (r.exit_code != 0)
    throw std::runtime_error("mariadb failed (exit " + std::to_string(r.exit_code) + "): " + r.err);
  return r.out;
}

void MariaServer::Exec(const std::string& sql) { RootClient(sql, false, true); }

void MariaServer::ExecFile(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw std::runtime_error("no SQL file " + path);
  Exec(ReadFile(path));
}

std::string MariaServer::Query(const std::string& sql) {
  std::string out = RootClient(sql, true, true);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string MariaServer::LogTail() const {
  std::string s = "--- " + log_ + " (tail):\n" + Tail(ReadFile(log_), 40);
  std::string console = ReadFile(console_log_);
  if (!console.empty()) s += "\n--- " + console_log_ + " (tail):\n" + Tail(console, 20);
  return s;
}

std::string MariaServer::Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace mdm::test
