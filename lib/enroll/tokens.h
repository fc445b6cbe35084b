// One-time enrollment secrets: SCEP challenges and enrollment links. Only their SHA-256 is
// stored; each can be used once, before it expires.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::enroll {

enum class TokenKind { kScepChallenge, kEnrollLink };

struct TokenSpec {
  TokenKind kind = TokenKind::kScepChallenge;
  std::string label;
  std::string identity = "scep";  // what an enrollment link serves: scep or pkcs12
  std::string serial_number;
  int64_t ttl_seconds = 3600;
};

// Makes a new secret (from the CSPRNG) and returns it; it is not stored in the clear.
std::string CreateToken(pqxx::transaction_base& tx, const TokenSpec& spec);

struct TokenUse {
  std::string label, identity, serial_number;
};
// Uses the secret up: kNotFound (unknown or of another kind), kConflict (already used),
// kUnavailable (expired). Nothing changes on failure.
Result<TokenUse> ConsumeToken(pqxx::transaction_base& tx, TokenKind kind, const std::string& secret);

}  // namespace mdm::enroll
