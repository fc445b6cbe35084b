// A read-only session on a MariaDB/MySQL database (libmariadb), for importers: connect from a
// libpq-like "key=value ..." string, read in one consistent snapshot, fetch rows as text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace mdm::import {

struct MysqlParams {
  std::string host, user, password, dbname, socket;
  unsigned port = 0;
  bool password_given = false;
};

// Parses "host=db.example user=oco password=... dbname=oco port=3306 socket=/run/mysqld.sock"
// (values may be single-quoted, with \' and \\ inside). Unknown keys are refused.
Result<MysqlParams> ParseMysqlParams(const std::string& text);

// A row: one optional text per column (nullopt for SQL NULL); binary columns come as raw bytes.
using MysqlRow = std::vector<std::optional<std::string>>;

class MysqlSession {
 public:
  ~MysqlSession();
  MysqlSession(const MysqlSession&) = delete;
  MysqlSession& operator=(const MysqlSession&) = delete;

  // Connects (utf8mb4) and opens a read-only transaction with a consistent snapshot: every
  // later query sees the database as it was at this moment.
  static Result<std::unique_ptr<MysqlSession>> Open(const MysqlParams& params);

  // All rows of a SELECT. kInvalid with the server's message (a missing table or column).
  Result<std::vector<MysqlRow>> Query(const std::string& sql);
  // The names of the tables of the current database.
  Result<std::vector<std::string>> Tables();
  // The columns of a table, lower case.
  Result<std::vector<std::string>> Columns(const std::string& table);

 private:
  struct Impl;
  explicit MysqlSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdm::import
