#include "accounts/users.h"

#include "accounts/password.h"
#include "plist/property_list.h"
#include "store/sql_util.h"

namespace mdm::accounts {

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "helpdesk") return Role::kHelpdesk;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kHelpdesk: return "helpdesk";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

namespace {
Status CheckName(const std::string& name) {
  if (name.empty() || name.size() > 64) return Status::Invalid("a user name has 1 to 64 characters");
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@'))
      return Status::Invalid("a user name is made of letters, digits and . _ - @");
  return Status::Ok();
}
}  // namespace

Status AddUser(pqxx::connection& conn, const std::string& name, Role role, const std::string& password) {
  if (Status s = CheckName(name); !s.ok()) return s;
  if (Status s = CheckNewPassword(password); !s.ok()) return s;
  std::string hash = HashPassword(password);
  pqxx::work tx(conn);
  auto r = store::Exec(tx, "accounts_user_add",
                       "INSERT INTO console_users (name, role, password_hash) VALUES ($1, $2, $3) "
                       "ON CONFLICT (name) DO NOTHING RETURNING id",
                       name, RoleName(role), hash);
  if (r.empty()) return Status::Conflict("a user named " + name + " exists: mdm-console user passwd " + name +
                                         " sets a new password");
  tx.commit();
  return Status::Ok();
}

Status RemoveUser(pqxx::connection& conn, const std::string& name) {
  pqxx::work tx(conn);
  auto r = store::Exec(tx, "accounts_user_remove", "DELETE FROM console_users WHERE name = $1 RETURNING id", name);
  if (r.empty()) return Status::NotFound("no user named " + name + " (mdm-console user list)");
  tx.commit();
  return Status::Ok();
}

Status SetPassword(pqxx::connection& conn, const std::string& name, const std::string& password) {
  if (Status s = CheckNewPassword(password); !s.ok()) return s;
  std::string hash = HashPassword(password);
  pqxx::work tx(conn);
  auto r = store::Exec(tx, "accounts_user_passwd",
                       "UPDATE console_users SET password_hash = $2, password_changed_at = now() WHERE name = $1 "
                       "RETURNING id",
                       name, hash);
  if (r.empty()) return Status::NotFound("no user named " + name + " (mdm-console user list)");
  store::Exec(tx, "accounts_user_end_sessions", "DELETE FROM console_sessions WHERE user_id = $1",
              r[0][0].as<std::string>());
  tx.commit();
  return Status::Ok();
}

std::string UserListJson(pqxx::transaction_base& tx) {
  return store::Exec(tx, "accounts_user_list",
                     "SELECT coalesce(jsonb_agg(jsonb_build_object('name', u.name, 'role', u.role, "
                     "  'created_at', u.created_at, 'password_changed_at', u.password_changed_at, "
                     "  'sessions', (SELECT count(*) FROM console_sessions s WHERE s.user_id = u.id "
                     "    AND s.expires_at > now()), "
                     "  'last_used_at', (SELECT max(last_used_at) FROM console_sessions s WHERE s.user_id = u.id)) "
                     "  ORDER BY u.name), '[]'::jsonb)::text FROM console_users u")[0][0]
      .as<std::string>();
}

}  // namespace mdm::accounts
