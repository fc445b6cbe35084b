#include "deploy/parameters.h"

#include <map>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "json/json.h"
#include "service/device_responses.h"
#include "store/sql_util.h"

namespace mdm::deploy {
namespace {

// The JSON string literal of `s` without its quotes.
std::string JsonEscaped(const std::string& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  std::string out(buf.GetString(), buf.GetSize());
  return out.substr(1, out.size() - 2);
}

}  // namespace

http::Response ParametersService::Handle(const http::Request& req, pqxx::connection& conn) {
  if (req.method != "GET") return http::Response::Text(405, "parameters answer GET");
  std::string format;
  if (!http::QueryParam(req.query, "format", &format) || format.empty())
    return service::BadRequest("", "parameters without format=<JSON template>");
  auto cert = auth_.Authenticate(req, conn);
  if (!cert.ok()) return service::BadRequest("", cert.status().message());
  if (auto limited = auth_.Throttle(*cert)) return *limited;
  pqxx::read_transaction tx(conn);
  // The device this identity is bound to, and its parameters.
  auto rows = store::Exec(tx, "parameters_device",
                          "SELECT e.id, dp.name, dp.value FROM enrollments e "
                          "LEFT JOIN device_params dp ON dp.device_id = e.device_id "
                          "WHERE e.channel = 'device' AND e.status = 'enrolled' AND e.cert_sha256 = decode($1, 'hex')",
                          *store::HexParam(*cert));
  if (rows.empty()) return service::UnrecognizedDevice("", "parameters for an identity bound to no enrolled device");
  std::string device = rows[0][0].as<std::string>();
  std::map<std::string, std::string> params;
  for (const auto& row : rows)
    if (!row[1].is_null()) params[row[1].as<std::string>()] = row[2].as<std::string>();
  std::string out;
  for (size_t pos = 0;;) {
    size_t open = format.find("$$", pos);
    if (open == std::string::npos) {
      out.append(format, pos);
      break;
    }
    size_t close = format.find("$$", open + 2);
    if (close == std::string::npos) return service::BadRequest(device, "unterminated $$placeholder in format");
    std::string name = format.substr(open + 2, close - open - 2);
    auto it = params.find(name);
    // Never half-filled: a missing value refuses the whole document.
    if (it == params.end()) return service::BadRequest(device, "no value for $$" + name.substr(0, 64) + "$$ on this device");
    out.append(format, pos, open - pos);
    out += JsonEscaped(it->second);
    pos = close + 2;
  }
  rapidjson::Document check;
  if (Status s = json::Parse(out, &check); !s.ok())
    return service::BadRequest(device, "format is not a JSON template: once filled in, " + s.message());
  http::Response r;
  r.content_type = "application/json";
  r.body = std::move(out);
  r.enrollment_id = device;
  r.reason = "parameters served";
  return r;
}

}  // namespace mdm::deploy
