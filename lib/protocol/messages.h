// Typed views of what devices send: check-in messages and command reports, and the rules that
// turn their identifiers into enrollment IDs. Pure functions: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "plist/property_list.h"

namespace mdm::protocol {

// Who a message speaks for. The device ID is the device channel's enrollment ID.
struct EnrollmentRef {
  std::string id;         // the queue's key: UDID, UDID:UserID, EnrollmentID:EnrollmentUserID, ...
  std::string device_id;  // UDID or EnrollmentID
  bool user_channel = false;
  // device, user-enrollment (device channel); user, shared-ipad, user-enrollment-user (user channel)
  std::string kind;
  std::string user_id, user_short_name, user_long_name;
};

// The Shared iPad's placeholder UserID: the short name identifies the user instead.
constexpr const char* kSharedIpadUserId = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF";

// Reads UDID / UserID / UserShortName / EnrollmentID / EnrollmentUserID from a message.
Result<EnrollmentRef> ResolveEnrollment(plist_t message);

enum class MessageType {
  kAuthenticate,
  kTokenUpdate,
  kCheckOut,
  kUserAuthenticate,
  kSetBootstrapToken,
  kGetBootstrapToken,
  kDeclarativeManagement,
  kGetToken,
};

// A parsed check-in message. The plist stays owned here so handlers can read optional keys.
struct CheckinMessage {
  MessageType type;
  std::string type_name;
  EnrollmentRef enrollment;
  plist::Owned body;
};

Result<CheckinMessage> ParseCheckin(std::string_view bytes);

// A command-channel report: Idle, or the result of one command.
struct Report {
  enum class Status { kIdle, kAcknowledged, kError, kCommandFormatError, kNotNow };
  Status status;
  std::string status_name;
  std::string command_uuid;  // empty for Idle
  EnrollmentRef enrollment;
  plist::Owned body;
};

// Items a report's InstalledApplicationList, ProfileList or CertificateList may hold; a report
// with more is refused (a 400).
constexpr uint32_t kMaxReportItems = 20000;

Result<Report> ParseReport(std::string_view bytes);

// The JSON text of the report's ErrorChain, or "" when there is none.
std::string ErrorChainJson(const Report& r);

// True when the Content-Type (any parameters after ';' ignored) is `expected`.
bool ContentTypeIs(const std::string& content_type, std::string_view expected);

}  // namespace mdm::protocol

namespace mdm::protocol {
// A declarative status report must be a JSON object in valid UTF-8 that PostgreSQL can store.
Status CheckStatusReportJson(std::string_view json);
}  // namespace mdm::protocol
