// The Apps and Books content token: the .vpptoken file that ABM/ASM's "Apps and Books" page
// gives, base64 of a JSON object {"token", "expDate", "orgName"}. The file's text as a whole is
// the sToken that every request carries (Authorization: Bearer). Pure: no network, no database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mdm::vpp {

struct ContentToken {
  std::string stoken;    // the file's text, trimmed: what goes after "Bearer "
  std::string org_name;  // orgName
  std::string exp_date;  // expDate as written
  int64_t expires_at = 0;
};

// Reads a .vpptoken file. Refused with one sentence when it is not base64, not such a JSON
// object, lacks a field or has a date that is not one. An expired token is read all the same
// (`expires_at` says so); the caller decides.
Result<ContentToken> ReadTokenFile(std::string_view bytes);

// "2027-05-06T07:08:09+0000", "...-0700", "...Z" or with a colon in the offset, as unix seconds;
// -1 when it is not such a date. Apple writes dates in these forms (expDate, tokenExpirationDate).
int64_t ParseAppleDate(std::string_view text);

}  // namespace mdm::vpp
