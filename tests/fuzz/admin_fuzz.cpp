// libFuzzer target: an admin API request as the workers read it before touching the database.
// The input is three lines and a body:
//   METHOD /path-below-v1?query
//   Content-Type value
//   Authorization value
//   body...
// service::ReadAdminRoute reads the route, its IDs and query parameters (limit, offset, status);
// service::ReadAdminCommand reads a POST /commands body (JSON, or a plist with the targets in
// the query); the command then goes through what EnqueueCommand does before its INSERT
// (protocol::ValidateCommand, service::CommandBody); BearerOrApiKeyMatches checks the key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "core/utf8.h"
#include "protocol/command_schema.h"
#include "service/admin_api.h"
#include "service/admin_request.h"
#include "service/commands.h"

namespace {

// The next line of *rest (without its '\n'); all of *rest when there is no '\n'.
std::string_view Line(std::string_view* rest) {
  size_t nl = rest->find('\n');
  std::string_view line = rest->substr(0, nl);
  rest->remove_prefix(nl == std::string_view::npos ? rest->size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mdm::service;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view request_line = Line(&rest);
  std::string_view content_type = Line(&rest);
  std::string_view authorization = Line(&rest);

  mdm::http::Request req;
  size_t space = request_line.find(' ');
  req.method = std::string(request_line.substr(0, space));
  std::string_view target = space == std::string_view::npos ? std::string_view() : request_line.substr(space + 1);
  size_t question = target.find('?');
  std::string path(target.substr(0, question));
  if (question != std::string_view::npos) req.query = std::string(target.substr(question + 1));
  req.headers["content-type"] = std::string(content_type);
  req.headers["authorization"] = std::string(authorization);
  req.body = std::string(rest);

  (void)BearerOrApiKeyMatches(req, "fuzz-admin-key");

  auto route = ReadAdminRoute(req.method, path, req.query);
  if (const auto* refused = std::get_if<AdminRefusal>(&route)) {
    if (refused->status < 400 || refused->status > 499 || refused->message.empty()) std::abort();
  } else {
    const AdminRoute& r = std::get<AdminRoute>(route);
    if (r.kind == AdminRoute::Kind::kDevice && !mdm::IsPrintableUtf8(r.id)) std::abort();
    if (r.kind == AdminRoute::Kind::kCommandHistory) {
      const auto& q = r.history;
      if (!mdm::IsPrintableUtf8(q.enrollment_id) || q.limit < 1 || q.limit > 1000 || q.offset < 0) std::abort();
    }
  }

  auto command = ReadAdminCommand(req);
  if (const auto* refused = std::get_if<AdminRefusal>(&command)) {
    if (refused->status != 400 && refused->status != 415) std::abort();
    return 0;
  }
  AdminCommand& c = std::get<AdminCommand>(command);
  if (!c.command || plist_get_node_type(c.command.get()) != PLIST_DICT) std::abort();
  if (c.options.priority < -100 || c.options.priority > 100) std::abort();
  (void)mdm::protocol::ValidateCommand(c.command.get(), mdm::protocol::Channel::kDevice);
  (void)mdm::protocol::ValidateCommand(c.command.get(), mdm::protocol::Channel::kUser);
  (void)CommandBody("00000000-0000-4000-8000-000000000000", c.command.get());
  return 0;
}
