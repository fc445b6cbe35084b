#include "abm/responses.h"

#include <algorithm>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "json/json.h"

namespace mdm::abm {
namespace {

std::string Json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// The member `name` of `v`, or null when `v` is not an object or has no such member.
const rapidjson::Value* Member(const rapidjson::Value& v, const char* name) {
  return v.IsObject() && v.HasMember(name) ? &v[name] : nullptr;
}

// The member `name` of an object when it is a string.
std::optional<std::string> StringMember(const rapidjson::Value& v, const char* name) {
  const rapidjson::Value* m = Member(v, name);
  if (!m || !m->IsString()) return std::nullopt;
  return std::string(m->GetString(), m->GetStringLength());
}

}  // namespace

Result<std::string> ReadSessionToken(std::string_view body) {
  rapidjson::Document d;
  if (Status s = json::Parse(body, &d); !s.ok())
    return Status::Unavailable("ABM/ASM answered /session with JSON that is refused: " + s.message());
  auto token = StringMember(d, "auth_session_token");
  if (!token) return Status::Unavailable("ABM/ASM answered /session without auth_session_token");
  return std::move(*token);
}

Result<std::string> ReadOrgName(std::string_view body) {
  rapidjson::Document d;
  if (Status s = json::Parse(body, &d); !s.ok())
    return Status::Unavailable("ABM/ASM answered /account with JSON that is refused: " + s.message());
  return StringMember(d, "org_name").value_or("");
}

std::string ReadServerUuid(std::string_view body) {
  rapidjson::Document d;
  if (!json::Parse(body, &d).ok()) return "";
  return StringMember(d, "server_uuid").value_or("");
}

CursorError ClassifyCursorError(long status, std::string_view body) {
  if (status != 400) return CursorError::kNone;
  if (body.find("EXHAUSTED_CURSOR") != std::string_view::npos) return CursorError::kExhausted;
  if (body.find("EXPIRED_CURSOR") != std::string_view::npos || body.find("INVALID_CURSOR") != std::string_view::npos)
    return CursorError::kRestart;
  return CursorError::kNone;
}

Result<DevicePage> ReadDevicePage(std::string_view body) {
  rapidjson::Document d;
  if (Status s = json::Parse(body, &d); !s.ok())
    return Status::Unavailable("ABM/ASM sent a device page that is refused: " + s.message());
  auto cursor = StringMember(d, "cursor");
  if (!cursor) return Status::Unavailable("ABM/ASM sent a device page without a cursor");
  DevicePage page;
  page.cursor = std::move(*cursor);
  const rapidjson::Value* more = Member(d, "more_to_follow");
  page.more_to_follow = more && more->IsBool() && more->GetBool();
  const rapidjson::Value* devices = Member(d, "devices");
  page.devices_json = devices && devices->IsArray() ? Json(*devices) : "[]";
  return page;
}

Result<std::string> ReadProfileUuid(long status, std::string_view body) {
  rapidjson::Document d;
  Status parsed = json::Parse(body, &d);
  if (status == 200 && !parsed.ok())
    return Status::Unavailable("ABM/ASM answered the activation profile with JSON that is refused: " +
                               parsed.message());
  auto uuid = status == 200 ? StringMember(d, "profile_uuid") : std::nullopt;
  if (!uuid)
    return Status::Invalid("ABM/ASM refused the activation profile (HTTP " + std::to_string(status) + "): " +
                           std::string(body.substr(0, 300)));
  return std::move(*uuid);
}

Result<std::string> ReadAssignResults(long status, std::string_view body) {
  rapidjson::Document d;
  Status parsed = json::Parse(body, &d);
  if (status == 200 && !parsed.ok())
    return Status::Unavailable("ABM/ASM answered the profile assignment with JSON that is refused: " +
                               parsed.message());
  if (const rapidjson::Value* devices = status == 200 ? Member(d, "devices") : nullptr; devices && devices->IsObject())
    return Json(*devices);
  return Status::Unavailable("ABM/ASM answered " + std::to_string(status) + " to the profile assignment");
}

}  // namespace mdm::abm
