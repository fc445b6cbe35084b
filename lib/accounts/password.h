// Console passwords: scrypt (RFC 7914) from OpenSSL with a random salt per password, stored as
// "scrypt$N$r$p$salt$hash" (base64), so the cost can grow without breaking stored hashes.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mdm::accounts {

// N = 2^15, r = 8, p = 1: about 32 MB and a tenth of a second per check.
std::string HashPassword(std::string_view password);
// Constant time in the hash comparison; false for a malformed stored value.
bool VerifyPassword(std::string_view password, const std::string& stored);
// At least 12 characters, at most 1,024, valid UTF-8.
Status CheckNewPassword(std::string_view password);

}  // namespace mdm::accounts
