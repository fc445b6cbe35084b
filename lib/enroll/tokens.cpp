#include "enroll/tokens.h"

#include "crypto/crypto.h"
#include "store/sql_util.h"

namespace mdm::enroll {
namespace {

const char* KindName(TokenKind k) { return k == TokenKind::kScepChallenge ? "scep-challenge" : "enroll-link"; }

}  // namespace

std::string CreateToken(pqxx::transaction_base& tx, const TokenSpec& spec) {
  std::string secret = crypto::RandomHex(20);
  store::Exec(tx, "token_create",
              "INSERT INTO enrollment_tokens (token_sha256, kind, label, identity, serial_number, expires_at) "
              "VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, $4, $5, now() + make_interval(secs => $6))",
              secret, KindName(spec.kind), store::NullIfEmpty(spec.label), spec.identity,
              store::NullIfEmpty(spec.serial_number), static_cast<double>(spec.ttl_seconds));
  return secret;
}

Result<TokenUse> ConsumeToken(pqxx::transaction_base& tx, TokenKind kind, const std::string& secret) {
  // One statement decides, so two requests racing with the same secret cannot both win.
  auto r = store::Exec(tx, "token_consume",
                       "WITH t AS (SELECT token_sha256, used_at, expires_at FROM enrollment_tokens "
                       "  WHERE token_sha256 = sha256(convert_to($1, 'UTF8')) AND kind = $2 FOR UPDATE), "
                       "u AS (UPDATE enrollment_tokens e SET used_at = now() FROM t "
                       "  WHERE e.token_sha256 = t.token_sha256 AND t.used_at IS NULL AND t.expires_at > now() "
                       "  RETURNING e.label, e.identity, e.serial_number) "
                       "SELECT t.used_at IS NOT NULL, t.expires_at <= now(), u.label, u.identity, u.serial_number "
                       "FROM t LEFT JOIN u ON true",
                       secret, KindName(kind));
  if (r.empty()) return Status::NotFound("unknown");
  if (r[0][0].as<bool>()) return Status::Conflict("already used");
  if (r[0][1].as<bool>()) return Status::Unavailable("expired");
  TokenUse use;
  use.label = r[0][2].is_null() ? "" : r[0][2].as<std::string>();
  use.identity = r[0][3].as<std::string>();
  use.serial_number = r[0][4].is_null() ? "" : r[0][4].as<std::string>();
  return use;
}

}  // namespace mdm::enroll
