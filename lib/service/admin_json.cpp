#include "service/admin_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "accounts/audit.h"
#include "json/json.h"

namespace mdm::service::admin {

http::Response JsonResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

http::Response JsonError(int status, const std::string& message) {
  auto r = JsonResponse(status, "{\"error\": " + json::Quote(message) + "}");
  r.reason = message;
  return r;
}

http::Response StatusError(const Status& s) {
  int code = s.code() == Status::Code::kNotFound ? 404 : s.code() == Status::Code::kConflict ? 409 : 400;
  return JsonError(code, s.message());
}

http::Response Download(std::string body, const char* content_type, const char* filename) {
  http::Response r;
  r.status = 200;
  r.content_type = content_type;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Disposition", std::string("attachment; filename=\"") + filename + "\"");
  // Keys and one-time secrets may be inside: no cache keeps them.
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

void AuditNow(pqxx::connection& conn, const std::string& actor, const std::string& action, const std::string& detail) {
  pqxx::work tx(conn);
  accounts::Audit(tx, actor, action, {}, detail);
  tx.commit();
}

std::string JsonStrings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + json::Quote(items[i]);
  return out + "]";
}

std::optional<std::vector<std::string>> Strings(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject() || !obj.HasMember(key) || !obj[key].IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : obj[key].GetArray()) {
    if (!v.IsString()) return std::nullopt;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::optional<std::string> StringMember(const rapidjson::Value& obj, const char* key, const std::string& fallback) {
  if (!obj.IsObject()) return std::nullopt;
  auto m = obj.FindMember(key);
  if (m == obj.MemberEnd() || m->value.IsNull()) return fallback;
  if (!m->value.IsString()) return std::nullopt;
  return std::string(m->value.GetString(), m->value.GetStringLength());
}

}  // namespace mdm::service::admin
