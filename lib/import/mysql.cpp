#include "import/mysql.h"

#include <mysql.h>

#include <cctype>

namespace mdm::import {

Result<MysqlParams> ParseMysqlParams(const std::string& text) {
  MysqlParams p;
  size_t i = 0, n = text.size();
  while (true) {
    while (i < n && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= n) break;
    size_t eq = text.find('=', i);
    if (eq == std::string::npos)
      return Status::Invalid("the MySQL connection string needs key=value pairs, got '" +
                             text.substr(i, std::min<size_t>(40, n - i)) + "'");
    std::string key = text.substr(i, eq - i);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    i = eq + 1;
    std::string value;
    if (i < n && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < n) {
        char c = text[i++];
        if (c == '\\' && i < n) { value += text[i++]; continue; }
        if (c == '\'') { closed = true; break; }
        value += c;
      }
      if (!closed) return Status::Invalid("the value of " + key + " opens a quote it does not close");
    } else {
      while (i < n && !std::isspace(static_cast<unsigned char>(text[i]))) value += text[i++];
    }
    if (key == "host") p.host = value;
    else if (key == "user") p.user = value;
    else if (key == "password") { p.password = value; p.password_given = true; }
    else if (key == "dbname" || key == "database") p.dbname = value;
    else if (key == "socket") p.socket = value;
    else if (key == "port") {
      if (value.empty() || value.size() > 5 || value.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(value) == 0 || std::stoul(value) > 65535)
        return Status::Invalid("port must be a number from 1 to 65535, got '" + value.substr(0, 20) + "'");
      p.port = static_cast<unsigned>(std::stoul(value));
    } else {
      return Status::Invalid("unknown key '" + key.substr(0, 40) +
                             "' in the MySQL connection string (host, port, socket, user, password, dbname)");
    }
  }
  if (p.dbname.empty()) return Status::Invalid("the MySQL connection string needs dbname=OCO's database");
  return p;
}

struct MysqlSession::Impl {
  struct Closer {
    void operator()(MYSQL* m) const { mysql_close(m); }
  };
  std::unique_ptr<MYSQL, Closer> db;
};

namespace {
struct ResultFree {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
using ResultPtr = std::unique_ptr<MYSQL_RES, ResultFree>;
}  // namespace

MysqlSession::MysqlSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MysqlSession::~MysqlSession() = default;

Result<std::unique_ptr<MysqlSession>> MysqlSession::Open(const MysqlParams& p) {
  auto impl = std::make_unique<Impl>();
  impl->db.reset(mysql_init(nullptr));
  if (!impl->db) return Status::Internal("cannot set up a MySQL client (out of memory)");
  MYSQL* m = impl->db.get();
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  unsigned timeout = 15;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  const char* host = p.host.empty() ? nullptr : p.host.c_str();
  const char* sock = p.socket.empty() ? nullptr : p.socket.c_str();
  if (!mysql_real_connect(m, host, p.user.empty() ? nullptr : p.user.c_str(),
                          p.password_given ? p.password.c_str() : nullptr, p.dbname.c_str(), p.port, sock, 0))
    return Status::Unavailable(std::string("cannot connect to OCO's database: ") + mysql_error(m) +
                               " (check --mysql: host, port or socket, user, dbname, and the password)");
  // One snapshot for the whole read: devices, groups and settings agree with each other even if
  // OCO is still running.
  for (const char* sql : {"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                          "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"}) {
    if (mysql_query(m, sql) != 0)
      return Status::Unavailable(std::string("cannot open a read-only snapshot of OCO's database: ") + mysql_error(m));
  }
  return std::unique_ptr<MysqlSession>(new MysqlSession(std::move(impl)));
}

Result<std::vector<MysqlRow>> MysqlSession::Query(const std::string& sql) {
  MYSQL* m = impl_->db.get();
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return Status::Invalid(mysql_error(m));
  ResultPtr res(mysql_use_result(m));
  std::vector<MysqlRow> rows;
  if (!res) {
    if (mysql_field_count(m) == 0) return rows;
    return Status::Invalid(mysql_error(m));
  }
  unsigned cols = mysql_num_fields(res.get());
  while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
    unsigned long* len = mysql_fetch_lengths(res.get());
    MysqlRow r(cols);
    for (unsigned c = 0; c < cols; ++c)
      if (row[c]) r[c] = std::string(row[c], len[c]);
    rows.push_back(std::move(r));
  }
  if (mysql_errno(m) != 0) return Status::Unavailable(std::string("reading OCO's database: ") + mysql_error(m));
  return rows;
}

Result<std::vector<std::string>> MysqlSession::Tables() {
  auto rows = Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (auto& r : *rows)
    if (r[0]) out.push_back(*r[0]);
  return out;
}

Result<std::vector<std::string>> MysqlSession::Columns(const std::string& table) {
  std::string escaped(table.size() * 2 + 1, '\0');
  escaped.resize(mysql_real_escape_string(impl_->db.get(), escaped.data(), table.data(), table.size()));
  auto rows = Query("SELECT lower(column_name) FROM information_schema.columns WHERE table_schema = DATABASE() "
                    "AND table_name = '" + escaped + "' ORDER BY ordinal_position");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (auto& r : *rows)
    if (r[0]) out.push_back(*r[0]);
  return out;
}

}  // namespace mdm::import
