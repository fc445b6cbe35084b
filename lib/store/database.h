// A database session that outlives the PostgreSQL server: the connection is made on first use
// and made again after the server went away, so workers survive a database restart.
#pragma once

#include <memory>
#include <string>

#include <pqxx/pqxx>

namespace mdm::store {

class Database {
 public:
  // `session_sql` runs once on each new connection (settings such as statement_timeout).
  explicit Database(std::string conninfo, std::string session_sql = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The live connection, connecting first if needed. Throws pqxx::broken_connection when the
  // server cannot be reached.
  pqxx::connection& connection();

  // Forgets the connection; the next connection() makes a new one. Call after broken_connection.
  void Reset();

  // True when the server answers a trivial query (reconnecting once if the connection broke).
  bool Ping();

  const std::string& conninfo() const { return conninfo_; }

 private:
  std::string conninfo_, session_sql_;
  std::unique_ptr<pqxx::connection> conn_;
};

// Runs fn(connection) and, if the connection turned out to be broken before fn could finish,
// reconnects and runs it once more. Only for work that is safe to repeat (one transaction that
// either committed nothing or is idempotent).
template <class Fn>
auto WithRetry(Database& db, Fn&& fn) -> decltype(fn(db.connection())) {
  try {
    return fn(db.connection());
  } catch (const pqxx::broken_connection&) {
    db.Reset();
  }
  return fn(db.connection());
}

}  // namespace mdm::store
