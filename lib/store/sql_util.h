// Small helpers shared by the store classes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace mdm::store {

// Runs a named prepared statement, defining it on this connection first if needed. (pqxx keeps
// the definition per connection and prepares it on the server on first use.)
template <class... Args>
pqxx::result Exec(pqxx::transaction_base& tx, const char* name, const char* sql, Args&&... args) {
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// A nullable text parameter: nullptr is SQL NULL.
inline const char* Nullable(const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; }

inline const char* NullIfEmpty(const std::string& v) { return v.empty() ? nullptr : v.c_str(); }

// A PostgreSQL array literal of the strings, for one `$n::text[]` parameter.
std::string TextArray(const std::vector<std::string>& items);

// The same with SQL NULL for the absent items.
std::string NullableTextArray(const std::vector<std::optional<std::string>>& items);

// bytea values travel as hex text (decoded in SQL with decode($n, 'hex')), so NULL stays easy.
std::optional<std::string> HexParam(const std::optional<std::string>& bytes);

// The bytes of a bytea field, or nullopt when NULL.
std::optional<std::string> Bytes(const pqxx::field& f);

}  // namespace mdm::store
