// Apple's answers read into plain values: what the bodies (JSON) and headers of ABM/ASM's
// responses say, without the network or the database. AbmClient and AppleSync call these; kept
// apart so they are tested and fuzzed on their own (tests/fuzz/abm_fuzz.cpp). A body that does
// not parse, or lacks what is needed, is a Status with the sentence the operator sees.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mdm::abm {

// GET /session, answered 200: {"auth_session_token": "..."}.
Result<std::string> ReadSessionToken(std::string_view body);

// GET /account, answered 200: the org_name, "" when absent. Refused when the body is not JSON
// that json::Parse takes (the body is stored as text: nothing unparseable reaches PostgreSQL).
Result<std::string> ReadOrgName(std::string_view body);
// The server_uuid of an /account answer; "" when absent or unreadable.
std::string ReadServerUuid(std::string_view body);

// A 400 to POST /server/devices or /devices/sync that is about the cursor.
enum class CursorError {
  kNone,       // not a cursor error
  kExhausted,  // EXHAUSTED_CURSOR: the full fetch is done, continue with changes
  kRestart,    // EXPIRED_CURSOR, INVALID_CURSOR: start a full fetch again
};
CursorError ClassifyCursorError(long status, std::string_view body);

// One page of POST /server/devices or /devices/sync, answered 200:
// {"cursor": "...", "more_to_follow": true, "devices": [{"serial_number": ..., "op_type": ...}]}.
struct DevicePage {
  std::string cursor;
  bool more_to_follow = false;
  std::string devices_json;  // the devices array as JSON text ("[]" when absent), for jsonb
};
Result<DevicePage> ReadDevicePage(std::string_view body);

// POST /profile (the activation profile defined): its profile_uuid. kUnavailable for a 200
// with a body that is refused, kInvalid for another status or no profile_uuid.
Result<std::string> ReadProfileUuid(long status, std::string_view body);

// PUT /profile/devices: the devices object {"SERIAL": "SUCCESS" | "NOT_ACCESSIBLE" | "FAILED"}
// as JSON text, for jsonb. kUnavailable for anything else.
Result<std::string> ReadAssignResults(long status, std::string_view body);

}  // namespace mdm::abm
