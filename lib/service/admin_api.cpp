#include "service/admin_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/utf8.h"
#include "crypto/crypto.h"
#include "deploy/catalog.h"
#include "json/json.h"
#include "protocol/command_schema.h"
#include "protocol/messages.h"
#include "push/pusher.h"
#include "service/commands.h"
#include "store/device_reads.h"

namespace mdm::service {
namespace {

http::Response JsonResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

http::Response JsonError(int status, const std::string& message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error");
  w.String(message.c_str(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  auto r = JsonResponse(status, std::string(buf.GetString(), buf.GetSize()));
  r.reason = message;
  return r;
}

bool Truthy(const std::string& query, const char* key) {
  std::string v;
  return http::QueryParam(query, key, &v) && (v.empty() || v == "1" || v == "true");
}

// The credentials of "Bearer KEY": the scheme is case-insensitive and may be followed by more
// than one space or tab; nullopt when the header uses another scheme (or none).
std::optional<std::string_view> BearerCredentials(std::string_view auth) {
  constexpr std::string_view kScheme = "bearer";
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (auth.size() <= kScheme.size() || !blank(auth[kScheme.size()])) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(auth[i])) != kScheme[i]) return std::nullopt;
  auth.remove_prefix(kScheme.size());
  while (!auth.empty() && blank(auth.front())) auth.remove_prefix(1);
  while (!auth.empty() && blank(auth.back())) auth.remove_suffix(1);
  return auth;
}

// GET /v1/devices/<enrollment-id>/commands?status=&limit=&offset=: that enrollment's commands,
// newest first, one page (store::CommandHistoryJson).
http::Response CommandHistory(const http::Request& req, const std::string& raw_id, pqxx::connection& conn) {
  store::CommandHistoryQuery q;
  if (!http::UrlDecode(raw_id, &q.enrollment_id, false) || !IsPrintableUtf8(q.enrollment_id))
    return JsonError(400, "malformed enrollment ID: escape it as UTF-8 (%XX)");
  // A parameter that is there must be readable: QueryParam says false for absent and malformed.
  auto given = [&](std::string_view key) {
    for (size_t pos = 0; pos <= req.query.size();) {
      size_t amp = std::min(req.query.find('&', pos), req.query.size());
      std::string_view part = std::string_view(req.query).substr(pos, amp - pos);
      if (part.substr(0, part.find('=')) == key) return true;
      pos = amp + 1;
    }
    return false;
  };
  auto number = [&](const char* key, long long min, long long max, long long* out) {
    if (!given(key)) return true;
    std::string v;
    if (!http::QueryParam(req.query, key, &v)) return false;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && p == v.data() + v.size() && *out >= min && *out <= max;
  };
  if (given("status")) {
    std::string v;
    if (!http::QueryParam(req.query, "status", &v)) return JsonError(400, "malformed status in the query");
    if (!v.empty()) {
      for (const char* s : store::kQueueStatuses)
        if (v == s) q.status = v;
      if (!q.status)
        return JsonError(400, "status must be one of Pending, NotNow, Acknowledged, Error, CommandFormatError, "
                              "Expired, Canceled");
    }
  }
  if (!number("limit", 1, 1000, &q.limit)) return JsonError(400, "limit must be a number from 1 to 1000");
  if (!number("offset", 0, 1'000'000'000, &q.offset)) return JsonError(400, "offset must be a number, 0 or more");
  pqxx::read_transaction tx(conn);
  auto doc = store::CommandHistoryJson(tx, q);
  if (!doc) return JsonError(404, "no enrollment " + q.enrollment_id);
  return JsonResponse(200, *doc);
}

}  // namespace

bool BearerOrApiKeyMatches(const http::Request& req, const std::string& key) {
  if (key.empty()) return false;
  std::string_view presented;
  const std::string* auth = req.header("authorization");
  if (auto bearer = auth ? BearerCredentials(*auth) : std::nullopt)
    presented = *bearer;
  else if (const std::string* k = req.header("x-api-key"))
    presented = *k;
  return !presented.empty() && crypto::ConstantTimeEquals(presented, key);
}

bool AdminApi::Authorized(const http::Request& req) const { return BearerOrApiKeyMatches(req, key_); }

http::Response AdminApi::Handle(const http::Request& req, const std::string& path, pqxx::connection& conn) {
  if (!Authorized(req)) {
    auto r = JsonError(401, "the admin API needs the admin_api_key (Authorization: Bearer KEY)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (path == "/commands") {
    if (req.method != "POST") return JsonError(405, "POST a command here");
    return PostCommand(req, conn);
  }
  if (path.rfind("/commands/", 0) == 0 && req.method == "GET") {
    pqxx::read_transaction tx(conn);
    auto doc = store::CommandJson(tx, path.substr(10));
    if (!doc) return JsonError(404, "no command " + path.substr(10));
    return JsonResponse(200, *doc);
  }
  if (req.method == "GET" && (path == "/groups" || path == "/profiles" || path == "/apps" || path == "/declarations")) {
    pqxx::read_transaction tx(conn);
    if (path == "/groups") return JsonResponse(200, deploy::GroupListJson(tx));
    if (path == "/profiles") return JsonResponse(200, deploy::ProfileListJson(tx));
    if (path == "/apps") return JsonResponse(200, deploy::AppListJson(tx));
    return JsonResponse(200, deploy::DeclarationListJson(tx));
  }
  if (path == "/devices" && req.method == "GET") {
    pqxx::read_transaction tx(conn);
    return JsonResponse(200, store::DeviceListJson(tx));
  }
  if (path.rfind("/devices/", 0) == 0 && path.ends_with("/commands") && path.size() > 18 && req.method == "GET")
    return CommandHistory(req, path.substr(9, path.size() - 18), conn);
  if (path.rfind("/devices/", 0) == 0 && req.method == "GET") {
    std::string id;
    if (!http::UrlDecode(path.substr(9), &id, false) || !IsPrintableUtf8(id))
      return JsonError(400, "malformed device ID: escape it as UTF-8 (%XX)");
    pqxx::read_transaction tx(conn);
    auto doc = store::DeviceJson(tx, id);
    if (!doc) return JsonError(404, "no device " + id);
    return JsonResponse(200, *doc);
  }
  return JsonError(404, "unknown admin route /v1" + path);
}

// JSON: {"enrollment_ids": [...], "request_type": "DeviceLock", "parameters": {...},
//        "priority": 0, "force": false}
// or a plist Command dictionary (Content-Type application/x-plist or application/xml) with the
// targets in the query: ?enrollment_id=A&enrollment_id=B (or a comma list).
http::Response AdminApi::PostCommand(const http::Request& req, pqxx::connection& conn) {
  std::vector<std::string> targets;
  EnqueueOptions opts;
  opts.source = "api";
  plist::Owned command;
  std::string ct = req.content_type();
  if (protocol::ContentTypeIs(ct, "application/json")) {
    rapidjson::Document doc;
    if (Status s = json::Parse(req.body, &doc); !s.ok()) return JsonError(400, "the body is refused: " + s.message());
    if (!doc.IsObject()) return JsonError(400, "the body must be a JSON object");
    auto ids = doc.FindMember("enrollment_ids");
    if (ids == doc.MemberEnd() || !ids->value.IsArray())
      return JsonError(400, "enrollment_ids must be an array of enrollment IDs");
    for (const auto& v : ids->value.GetArray()) {
      if (!v.IsString()) return JsonError(400, "enrollment_ids must hold strings");
      targets.emplace_back(v.GetString(), v.GetStringLength());
    }
    auto rt = doc.FindMember("request_type");
    if (rt == doc.MemberEnd() || !rt->value.IsString()) return JsonError(400, "request_type must be a string");
    rapidjson::Value empty(rapidjson::kObjectType);
    auto params = doc.FindMember("parameters");
    auto built = protocol::CommandFromJson(std::string_view(rt->value.GetString(), rt->value.GetStringLength()),
                                           params == doc.MemberEnd() ? empty : params->value);
    if (!built.ok()) return JsonError(400, built.status().message());
    command = std::move(built).value();
    if (auto p = doc.FindMember("priority"); p != doc.MemberEnd()) {
      if (!p->value.IsInt() || p->value.GetInt() < -100 || p->value.GetInt() > 100)
        return JsonError(400, "priority must be an integer from -100 to 100");
      opts.priority = p->value.GetInt();
    }
    if (auto f = doc.FindMember("force"); f != doc.MemberEnd()) {
      if (!f->value.IsBool()) return JsonError(400, "force must be true or false");
      opts.force = f->value.GetBool();
    }
  } else if (protocol::ContentTypeIs(ct, "application/x-plist") || protocol::ContentTypeIs(ct, "application/xml") ||
             protocol::ContentTypeIs(ct, "text/xml")) {
    auto parsed = plist::ParseDict(req.body);
    if (!parsed.ok()) return JsonError(400, parsed.status().message());
    command = std::move(parsed).value();
    size_t pos = 0;
    const std::string& q = req.query;
    while (pos <= q.size()) {
      size_t amp = q.find('&', pos);
      if (amp == std::string::npos) amp = q.size();
      std::string part = q.substr(pos, amp - pos), value;
      if (part.rfind("enrollment_id=", 0) == 0) {
        if (!http::UrlDecode(part.substr(14), &value, true) || !IsPrintableUtf8(value))
          return JsonError(400, "malformed enrollment_id in the query: escape it as UTF-8 (%XX)");
        for (size_t b = 0; b <= value.size();) {
          size_t c = value.find(',', b);
          if (c == std::string::npos) c = value.size();
          if (c > b) targets.push_back(value.substr(b, c - b));
          b = c + 1;
        }
      }
      pos = amp + 1;
    }
    opts.force = Truthy(q, "force");
  } else {
    return JsonError(415, "send application/json, or a plist Command with application/x-plist");
  }
  bool push = !Truthy(req.query, "nopush");
  auto queued = EnqueueCommand(conn, command.get(), targets, opts);
  if (!queued.ok()) {
    int status = queued.status().code() == Status::Code::kNotFound ? 404
                 : queued.status().code() == Status::Code::kConflict ? 409 : 400;
    return JsonError(status, queued.status().message());
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("command_uuid");
  w.String(queued->command_uuid.c_str());
  w.Key("request_type");
  w.String(queued->request_type.c_str());
  w.Key("enrollments");
  w.Uint64(queued->enrollments);
  if (push) {
    // Queued either way: a push that cannot go out now only delays the devices' next check-in.
    auto pushed = push::PushEnrollments(conn, targets);
    w.Key("pushed");
    w.Uint64(pushed.ok() ? pushed->sent : 0);
    if (!pushed.ok() || !pushed->message.empty()) {
      w.Key("push_error");
      w.String(pushed.ok() ? pushed->message.c_str() : pushed.status().message().c_str());
    }
  }
  w.EndObject();
  auto r = JsonResponse(200, std::string(buf.GetString(), buf.GetSize()));
  r.reason = "queued " + queued->request_type + " " + queued->command_uuid + " for " +
             std::to_string(queued->enrollments);
  return r;
}

}  // namespace mdm::service
