// The web console's accounts (mdm-console user ...): a name, a role, a password hash.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::accounts {

// viewer reads; helpdesk also sends device commands; admin also changes catalog, settings and
// certificates. Ordered: a higher role may do all a lower one may.
enum class Role { kViewer = 0, kHelpdesk = 1, kAdmin = 2 };
std::optional<Role> ParseRole(std::string_view name);
const char* RoleName(Role role);

Status AddUser(pqxx::connection& conn, const std::string& name, Role role, const std::string& password);
// The user's sessions end with the account.
Status RemoveUser(pqxx::connection& conn, const std::string& name);
// A new password ends the user's sessions.
Status SetPassword(pqxx::connection& conn, const std::string& name, const std::string& password);
// [{name, role, created_at, password_changed_at, sessions, last_used_at}]
std::string UserListJson(pqxx::transaction_base& tx);

}  // namespace mdm::accounts
