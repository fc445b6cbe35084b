// A private MariaDB server for one test run, the sibling of PgCluster: mariadb-install-db into a
// folder of the test's own, then mariadbd listening on a unix socket there and on 127.0.0.1 at a
// free port, run as the mysql user (postgres if there is none) when we are root. Both programs
// get --no-defaults: nothing of the machine's own MariaDB (/etc/mysql, /var/lib/mysql) is read or
// touched.
#pragma once

#include <sys/types.h>

#include <string>

namespace mdm::test {

class MariaServer {
 public:
  // The database and the accounts the constructor creates.
  static constexpr const char* kDatabase = "oco";
  static constexpr const char* kUser = "oco";  // ALL on oco.*, at localhost and 127.0.0.1
  static constexpr const char* kPassword = "oco-pass-1";
  static constexpr const char* kReader = "reader";  // SELECT on oco.*, at localhost and 127.0.0.1
  static constexpr const char* kReaderPassword = "reader-pass-1";

  // Initializes a data folder under `root` (in root + "/maria"), starts the server and creates
  // the database and the accounts above. Throws std::runtime_error (with the error log's tail)
  // when something fails.
  explicit MariaServer(const std::string& root);
  // Stops the server (the data folder is left to whoever owns `root`).
  ~MariaServer();
  MariaServer(const MariaServer&) = delete;
  MariaServer& operator=(const MariaServer&) = delete;

  // Starts mariadbd and waits (up to 60 s) until it answers; a no-op when it runs. A restart
  // keeps the socket and the port. mariadbd gets SIGKILL when the thread that started it ends
  // (PR_SET_PDEATHSIG), so a crashed test leaves no server behind: start it from a thread that
  // outlives its use (the main thread).
  void Start();
  // A clean shutdown (SIGTERM to mariadbd; SIGKILL if it still runs after 60 s); returns once
  // mariadbd has exited. A no-op when it is stopped.
  void Stop();
  bool running() const { return pid_ > 0; }

  // The unix socket's path (under root, shorter than 100 characters) and the TCP port on
  // 127.0.0.1.
  std::string socket() const { return sock_; }
  unsigned port() const { return port_; }
  // The server's error log (--log-error).
  const std::string& log_path() const { return log_; }

  // Runs SQL (one statement or a whole script) as root in database oco with the mariadb client,
  // the SQL piped on its stdin; stops at the first error and throws std::runtime_error with the
  // client's stderr.
  void Exec(const std::string& sql);
  // `text` as a MySQL string literal, quotes included ('It\'s').
  static std::string Literal(const std::string& text);
  // Exec of a file's contents.
  void ExecFile(const std::string& path);
  // Runs SQL like Exec and returns what the client printed in batch mode without column names
  // (-B -N): one line per row, columns separated by tabs, NULL as "NULL", and tabs, newlines and
  // backslashes inside values escaped as \t, \n and \\. The last newline is removed, so a
  // single value comes back as it is ("SELECT 1" gives "1").
  std::string Query(const std::string& sql);

 private:
  // Runs the mariadb client as root over the socket, `sql` on its stdin; in database oco unless
  // !in_database. Returns its stdout; throws with its stderr.
  std::string RootClient(const std::string& sql, bool query, bool in_database);
  // Forks mariadbd (as user_ when we are root) and waits until it answers; false if it exited
  // because its port was taken.
  bool Launch();
  std::string LogTail() const;

  std::string root_, data_, sock_, pid_file_, log_, console_log_, user_;
  unsigned port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace mdm::test
