#include "store/database.h"

#include "core/log.h"

namespace mdm::store {

Database::Database(std::string conninfo, std::string session_sql)
    : conninfo_(std::move(conninfo)), session_sql_(std::move(session_sql)) {}
Database::~Database() = default;

pqxx::connection& Database::connection() {
  if (conn_ && !conn_->is_open()) conn_.reset();
  if (!conn_) {
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
    // Our statements look rows up by key: a generic plan is right for every parameter, and
    // planning the CTEs of the hot path again on each request would double its database cost.
    pqxx::nontransaction(*conn_).exec("SET plan_cache_mode = force_generic_plan; " + session_sql_);
  }
  return *conn_;
}

void Database::Reset() { conn_.reset(); }

bool Database::Ping() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      pqxx::nontransaction tx(connection());
      tx.exec("SELECT 1");
      return true;
    } catch (const pqxx::broken_connection& e) {
      Reset();
    } catch (const std::exception& e) {
      log::Warn().kv("event", "db_ping").msg(e.what());
      Reset();
      return false;
    }
  }
  return false;
}

}  // namespace mdm::store
