#include "store/settings.h"

#include "store/sql_util.h"

namespace mdm::store {

std::optional<std::string> GetSetting(pqxx::transaction_base& tx, const std::string& name) {
  auto r = Exec(tx, "settings_get", "SELECT value FROM settings WHERE name = $1", name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

void SetSetting(pqxx::transaction_base& tx, const std::string& name, const std::string& value) {
  Exec(tx, "settings_set",
       "INSERT INTO settings (name, value) VALUES ($1, $2) "
       "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
       name, value);
}

std::string SetSettingIfAbsent(pqxx::transaction_base& tx, const std::string& name, const std::string& value) {
  Exec(tx, "settings_set_if_absent",
       "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name, value);
  return *GetSetting(tx, name);
}

}  // namespace mdm::store
