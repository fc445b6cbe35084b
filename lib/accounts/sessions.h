// Server-side sessions of the web console: a random token in an HttpOnly cookie (only its
// SHA-256 in the database), a CSRF token per session, an idle and an absolute timeout, and
// failed logins limited per account and per address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "accounts/users.h"

namespace mdm::accounts {

inline constexpr int kIdleSeconds = 30 * 60;          // unused this long, a session ends
inline constexpr int kAbsoluteSeconds = 12 * 3600;    // and after this long in any case
inline constexpr int kFailureWindowSeconds = 15 * 60;
inline constexpr int kMaxFailuresPerUser = 5;         // within the window
inline constexpr int kMaxFailuresPerAddress = 20;

struct Session {
  std::string user;
  Role role = Role::kViewer;
  std::string csrf_token;
  int64_t expires_at = 0;  // the absolute end, unix seconds
  std::string token;       // the cookie's value: only from Login
};

struct LoginOutcome {
  enum class Kind { kOk, kWrong, kLimited } kind = Kind::kWrong;
  Session session;      // kOk
  int retry_after = 0;  // kLimited: seconds
};

// Checks the password (a missing user costs the same time as a wrong password), counts
// failures, refuses while the account or the address has too many recent ones.
LoginOutcome Login(pqxx::connection& conn, const std::string& name, const std::string& password,
                   const std::string& address);
// The live session of a cookie token (its last use moved to now), or nullopt when unknown, idle
// too long, past its absolute end, or its user is gone.
std::optional<Session> Resume(pqxx::connection& conn, const std::string& token);
void Logout(pqxx::connection& conn, const std::string& token);

}  // namespace mdm::accounts
