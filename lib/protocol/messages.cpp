#include "protocol/messages.h"

#include <cctype>

namespace mdm::protocol {
namespace {

// Identifiers end up in log lines and SQL parameters: keep them printable and bounded.
bool SaneIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (unsigned char c : s)
    if (c < 0x21 || c == 0x7f) return false;
  return true;
}

Status CheckIdentifier(const std::optional<std::string>& v, const char* key) {
  if (v && !SaneIdentifier(*v))
    return Status::Invalid(std::string(key) + " must be 1 to 256 printable characters without spaces");
  return Status::Ok();
}

}  // namespace

Result<EnrollmentRef> ResolveEnrollment(plist_t m) {
  auto udid = plist::GetString(m, "UDID");
  auto user_id = plist::GetString(m, "UserID");
  auto short_name = plist::GetString(m, "UserShortName");
  auto long_name = plist::GetString(m, "UserLongName");
  auto enrollment_id = plist::GetString(m, "EnrollmentID");
  auto enrollment_user_id = plist::GetString(m, "EnrollmentUserID");
  for (auto [v, k] : {std::pair{&udid, "UDID"}, {&user_id, "UserID"}, {&enrollment_id, "EnrollmentID"},
                      {&enrollment_user_id, "EnrollmentUserID"}}) {
    if (Status s = CheckIdentifier(*v, k); !s.ok()) return s;
  }
  EnrollmentRef r;
  if (udid) {
    if (enrollment_id) return Status::Invalid("the message carries both UDID and EnrollmentID");
    r.device_id = *udid;
    if (user_id) {
      r.user_channel = true;
      r.user_id = *user_id;
      if (*user_id == kSharedIpadUserId) {
        if (!short_name || !SaneIdentifier(*short_name))
          return Status::Invalid("a Shared iPad user message needs UserShortName");
        r.kind = "shared-ipad";
        r.id = *udid + ":" + *short_name;
      } else {
        r.kind = "user";
        r.id = *udid + ":" + *user_id;
      }
    } else {
      r.kind = "device";
      r.id = *udid;
    }
  } else if (enrollment_id) {
    r.device_id = *enrollment_id;
    if (enrollment_user_id) {
      r.user_channel = true;
      r.kind = "user-enrollment-user";
      r.user_id = *enrollment_user_id;
      r.id = *enrollment_id + ":" + *enrollment_user_id;
    } else {
      r.kind = "user-enrollment";
      r.id = *enrollment_id;
    }
  } else {
    return Status::Invalid("the message has neither UDID nor EnrollmentID");
  }
  if (short_name) r.user_short_name = *short_name;
  if (long_name) r.user_long_name = *long_name;
  return r;
}

Result<CheckinMessage> ParseCheckin(std::string_view bytes) {
  auto body = plist::ParseDict(bytes);
  if (!body.ok()) return body.status();
  auto type = plist::GetString(body->get(), "MessageType");
  if (!type) return Status::Invalid("the check-in message has no MessageType");
  static const std::pair<const char*, MessageType> kTypes[] = {
      {"Authenticate", MessageType::kAuthenticate},
      {"TokenUpdate", MessageType::kTokenUpdate},
      {"CheckOut", MessageType::kCheckOut},
      {"UserAuthenticate", MessageType::kUserAuthenticate},
      {"SetBootstrapToken", MessageType::kSetBootstrapToken},
      {"GetBootstrapToken", MessageType::kGetBootstrapToken},
      {"DeclarativeManagement", MessageType::kDeclarativeManagement},
      {"GetToken", MessageType::kGetToken},
  };
  std::optional<MessageType> t;
  for (const auto& [name, value] : kTypes)
    if (*type == name) t = value;
  if (!t) return Status::Invalid("unknown MessageType '" + type->substr(0, 64) + "'");
  auto who = ResolveEnrollment(body->get());
  if (!who.ok()) return who.status();
  return CheckinMessage{*t, *type, std::move(who).value(), std::move(body).value()};
}

Result<Report> ParseReport(std::string_view bytes) {
  auto body = plist::ParseDict(bytes);
  if (!body.ok()) return body.status();
  auto status = plist::GetString(body->get(), "Status");
  if (!status) return Status::Invalid("the report has no Status");
  static const std::pair<const char*, Report::Status> kStatuses[] = {
      {"Idle", Report::Status::kIdle},
      {"Acknowledged", Report::Status::kAcknowledged},
      {"Error", Report::Status::kError},
      {"CommandFormatError", Report::Status::kCommandFormatError},
      {"NotNow", Report::Status::kNotNow},
  };
  std::optional<Report::Status> s;
  for (const auto& [name, value] : kStatuses)
    if (*status == name) s = value;
  if (!s) return Status::Invalid("unknown Status '" + status->substr(0, 64) + "'");
  auto who = ResolveEnrollment(body->get());
  if (!who.ok()) return who.status();
  Report r{*s, *status, "", std::move(who).value(), std::move(body).value()};
  if (r.status != Report::Status::kIdle) {
    auto uuid = plist::GetString(r.body.get(), "CommandUUID");
    if (!uuid || uuid->empty() || uuid->size() > 128)
      return Status::Invalid("a " + *status + " report needs a CommandUUID");
    r.command_uuid = *uuid;
  }
  // A device lists what it holds; more than any device holds is a client that loops or lies,
  // and each item would become a row.
  for (const char* list : {"InstalledApplicationList", "ProfileList", "CertificateList"}) {
    plist_t items = plist::Get(r.body.get(), list);
    if (items && plist_get_node_type(items) == PLIST_ARRAY && plist_array_get_size(items) > kMaxReportItems)
      return Status::Invalid(std::string("the report's ") + list + " has " + std::to_string(plist_array_get_size(items)) +
                             " items; a device reports at most " + std::to_string(kMaxReportItems));
  }
  return r;
}

std::string ErrorChainJson(const Report& r) {
  plist_t chain = plist::Get(r.body.get(), "ErrorChain");
  return chain ? plist::ToJson(chain) : std::string();
}

bool ContentTypeIs(const std::string& content_type, std::string_view expected) {
  std::string_view ct = content_type;
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (ct.size() != expected.size()) return false;
  for (size_t i = 0; i < ct.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(ct[i])) != expected[i]) return false;
  return true;
}

}  // namespace mdm::protocol

#include <rapidjson/document.h>

#include "json/json.h"

namespace mdm::protocol {

Status CheckStatusReportJson(std::string_view json) {
  rapidjson::Document doc;
  // json::Parse also refuses what jsonb cannot hold: U+0000, invalid UTF-8, a lone surrogate.
  if (Status s = json::Parse(json, &doc); !s.ok()) return Status::Invalid("the status report is refused: " + s.message());
  if (!doc.IsObject()) return Status::Invalid("the status report is not a JSON object");
  return Status::Ok();
}

}  // namespace mdm::protocol
