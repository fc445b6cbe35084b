#include "accounts/sessions.h"

#include "accounts/password.h"
#include "crypto/crypto.h"
#include "store/sql_util.h"

namespace mdm::accounts {
namespace {

std::string TokenHashHex(const std::string& token) { return crypto::Hex(crypto::Sha256(token)); }

// Checked when the name is unknown, so that costs as much as a wrong password.
const std::string& DummyHash() {
  static const std::string hash = HashPassword(crypto::RandomHex(16));
  return hash;
}

}  // namespace

LoginOutcome Login(pqxx::connection& conn, const std::string& name, const std::string& password,
                   const std::string& address) {
  LoginOutcome out;
  const std::string user_key = "user:" + name.substr(0, 64), addr_key = "addr:" + address;
  {
    pqxx::work tx(conn);
    // Old failures go first: the table holds the last window only.
    store::Exec(tx, "accounts_failures_prune", "DELETE FROM console_login_failures WHERE at < now() - $1 * interval '1 second'",
                kFailureWindowSeconds);
    auto r = store::Exec(tx, "accounts_failures_count",
                         "SELECT count(*) FILTER (WHERE key = $1), count(*) FILTER (WHERE key = $2), "
                         "  coalesce(extract(epoch FROM max(at) + $3 * interval '1 second' - now())::int, 0) "
                         "FROM console_login_failures WHERE key IN ($1, $2)",
                         user_key, addr_key, kFailureWindowSeconds);
    tx.commit();
    if (r[0][0].as<int>() >= kMaxFailuresPerUser || r[0][1].as<int>() >= kMaxFailuresPerAddress) {
      out.kind = LoginOutcome::Kind::kLimited;
      out.retry_after = std::max(1, r[0][2].as<int>());
      return out;
    }
  }
  pqxx::work tx(conn);
  auto u = store::Exec(tx, "accounts_login_user", "SELECT id, role, password_hash FROM console_users WHERE name = $1",
                       name);
  bool ok = VerifyPassword(password, u.empty() ? DummyHash() : u[0][2].as<std::string>()) && !u.empty();
  if (!ok) {
    store::Exec(tx, "accounts_failure_add", "INSERT INTO console_login_failures (key) VALUES ($1), ($2)", user_key,
                addr_key);
    tx.commit();
    return out;
  }
  std::string token = crypto::Base64Encode(crypto::RandomBytes(32));
  for (char& c : token) c = c == '+' ? '-' : c == '/' ? '_' : c;  // cookie-safe
  std::string csrf = crypto::RandomHex(32);
  auto s = store::Exec(tx, "accounts_session_add",
                       "INSERT INTO console_sessions (token_sha256, user_id, csrf_token, address, expires_at) "
                       "VALUES (decode($1, 'hex'), $2, $3, $4, now() + $5 * interval '1 second') "
                       "RETURNING extract(epoch FROM expires_at)::bigint",
                       TokenHashHex(token), u[0][0].as<std::string>(), csrf, address, kAbsoluteSeconds);
  store::Exec(tx, "accounts_failures_clear", "DELETE FROM console_login_failures WHERE key = $1", user_key);
  store::Exec(tx, "accounts_sessions_prune", "DELETE FROM console_sessions WHERE expires_at < now()");
  tx.commit();
  out.kind = LoginOutcome::Kind::kOk;
  out.session.user = name;
  out.session.role = ParseRole(u[0][1].as<std::string>()).value_or(Role::kViewer);
  out.session.csrf_token = csrf;
  out.session.expires_at = s[0][0].as<int64_t>();
  out.session.token = token;
  return out;
}

std::optional<Session> Resume(pqxx::connection& conn, const std::string& token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  pqxx::work tx(conn);
  auto r = store::Exec(tx, "accounts_session_resume",
                       "UPDATE console_sessions s SET last_used_at = now() FROM console_users u "
                       "WHERE s.token_sha256 = decode($1, 'hex') AND u.id = s.user_id AND s.expires_at > now() "
                       "  AND s.last_used_at > now() - $2 * interval '1 second' "
                       "RETURNING u.name, u.role, s.csrf_token, extract(epoch FROM s.expires_at)::bigint",
                       TokenHashHex(token), kIdleSeconds);
  tx.commit();
  if (r.empty()) return std::nullopt;
  Session s;
  s.user = r[0][0].as<std::string>();
  s.role = ParseRole(r[0][1].as<std::string>()).value_or(Role::kViewer);
  s.csrf_token = r[0][2].as<std::string>();
  s.expires_at = r[0][3].as<int64_t>();
  return s;
}

void Logout(pqxx::connection& conn, const std::string& token) {
  pqxx::work tx(conn);
  store::Exec(tx, "accounts_session_end", "DELETE FROM console_sessions WHERE token_sha256 = decode($1, 'hex')",
              TokenHashHex(token));
  tx.commit();
}

}  // namespace mdm::accounts
