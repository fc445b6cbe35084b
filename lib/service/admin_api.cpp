#include "service/admin_api.h"

#include <cctype>
#include <optional>
#include <string_view>
#include <variant>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.h"
#include "deploy/catalog.h"
#include "vpp/tokens.h"
#include "push/pusher.h"
#include "service/admin_request.h"
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
  auto read = ReadAdminRoute(req.method, path, req.query);
  if (const auto* refused = std::get_if<AdminRefusal>(&read)) return JsonError(refused->status, refused->message);
  const AdminRoute& route = std::get<AdminRoute>(read);
  using Kind = AdminRoute::Kind;
  if (route.kind == Kind::kPostCommand) return PostCommand(req, conn);
  pqxx::read_transaction tx(conn);
  switch (route.kind) {
    case Kind::kPostCommand:
      break;  // above
    case Kind::kCommand: {
      auto doc = store::CommandJson(tx, route.id);
      if (!doc) return JsonError(404, "no command " + route.id);
      return JsonResponse(200, *doc);
    }
    case Kind::kGroups: return JsonResponse(200, deploy::GroupListJson(tx));
    case Kind::kProfiles: return JsonResponse(200, deploy::ProfileListJson(tx));
    case Kind::kApps: return JsonResponse(200, deploy::AppListJson(tx));
    case Kind::kDeclarations: return JsonResponse(200, deploy::DeclarationListJson(tx));
    case Kind::kDevices: return JsonResponse(200, store::DeviceListJson(tx));
    case Kind::kVppAssets: return JsonResponse(200, vpp::AssetListJson(tx));
    case Kind::kCommandHistory: {
      // That enrollment's commands, newest first, one page.
      auto doc = store::CommandHistoryJson(tx, route.history);
      if (!doc) return JsonError(404, "no enrollment " + route.history.enrollment_id);
      return JsonResponse(200, *doc);
    }
    case Kind::kDevice: {
      auto doc = store::DeviceJson(tx, route.id);
      if (!doc) return JsonError(404, "no device " + route.id);
      return JsonResponse(200, *doc);
    }
  }
  return JsonError(404, "unknown admin route /v1" + path);
}

// The command as ReadAdminCommand reads it, queued for its targets and pushed unless ?nopush.
http::Response AdminApi::PostCommand(const http::Request& req, pqxx::connection& conn) {
  auto read = ReadAdminCommand(req);
  if (const auto* refused = std::get_if<AdminRefusal>(&read)) return JsonError(refused->status, refused->message);
  AdminCommand& asked = std::get<AdminCommand>(read);
  const std::vector<std::string>& targets = asked.targets;
  const bool push = asked.push;
  auto queued = EnqueueCommand(conn, asked.command.get(), targets, asked.options);
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
