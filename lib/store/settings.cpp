#include "store/settings.h"

#include "core/log.h"
#include "store/sql_util.h"

namespace mdm::store {

std::optional<int> ParseSeconds(const std::string& text, int min, int max) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < min || value > max) return std::nullopt;
  return value;
}

int GetTimeoutSeconds(pqxx::transaction_base& tx, const std::string& name, int fallback) {
  auto text = GetSetting(tx, name);
  if (!text) return fallback;
  if (auto seconds = ParseSeconds(*text, kMinTimeoutSeconds, kMaxTimeoutSeconds)) return *seconds;
  log::Warn().kv("event", "setting_ignored").kv("setting", name).kv("default", static_cast<long long>(fallback))
      .msg("not whole seconds within the bounds: the default holds");
  return fallback;
}

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
