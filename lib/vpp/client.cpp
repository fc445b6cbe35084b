#include "vpp/client.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/log.h"
#include "http/message.h"

namespace mdm::vpp {
namespace {

apple::ServiceConfig ServiceOf(const VppConfig& c) {
  apple::ServiceConfig s;
  s.service = "Apps and Books";
  s.base_url = c.base_url;
  s.ca_file = c.ca_file;
  s.url_setting = "vpp-url";
  s.timeout_setting = "vpp-timeout-seconds";
  s.resume_hint = "the next mdmcron or vpp sync tries again";
  s.timeout_seconds = c.timeout_seconds;
  s.max_waits = c.max_waits;
  s.max_wait_seconds = c.max_wait_seconds;
  return s;
}

std::string ManageBody(const std::string& adam_id, const std::string& pricing_param,
                       const std::vector<std::string>& serials) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("assets");
  w.StartArray();
  w.StartObject();
  w.Key("adamId");
  w.String(adam_id.c_str(), static_cast<rapidjson::SizeType>(adam_id.size()));
  w.Key("pricingParam");
  w.String(pricing_param.c_str(), static_cast<rapidjson::SizeType>(pricing_param.size()));
  w.EndObject();
  w.EndArray();
  w.Key("serialNumbers");
  w.StartArray();
  for (const auto& s : serials) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

Status ErrorStatus(const std::string& location, const std::string& what, long status, const ErrorBody& e) {
  const std::string where = "Apps and Books (location " + location + ")";
  std::string meaning = ErrorMeaning(e.number);
  if (meaning.empty()) meaning = e.message.empty() ? "no explanation given" : e.message;
  const std::string code = e.number ? "error " + std::to_string(e.number) + ", " : "";
  if (IsTokenError(e.number) || status == 401)
    return Status::Unauthorized(where + " refused the content token (" + code + meaning +
                                "): download a new one in ABM/ASM (Apps and Books) and run mdm-console vpp token upload "
                                "FILE.vpptoken");
  if (status == 429 || status == 503)
    return Status::Unavailable(where + " is still busy after waiting (HTTP " + std::to_string(status) + ", " + code +
                               meaning + ") for " + what + ": the next mdmcron or vpp sync tries again");
  return Status::Unavailable(where + " refused " + what + " (HTTP " + std::to_string(status) + ", " + code + meaning +
                             ")");
}

VppClient::VppClient(VppConfig config) : config_(std::move(config)), http_(ServiceOf(config_)) {}

Result<std::string> VppClient::Call(const std::string& method, const std::string& path, const std::string& body) {
  std::vector<std::string> headers;
  if (!config_.stoken.empty()) headers.push_back("Authorization: Bearer " + config_.stoken);
  auto r = http_.Send(method, path, headers, body);
  if (!r.ok()) return r.status();
  if (r->status == 200) return std::move(r->body);
  ErrorBody e = ReadError(r->body);
  Status s = ErrorStatus(config_.location, method + " " + path, r->status, e);
  log::Warn().kv("event", "vpp_error").kv("request", method + " " + path).kv("status", static_cast<long long>(r->status))
      .kv("error_number", static_cast<long long>(e.number)).msg(s.message());
  return s;
}

Result<ServiceLimits> VppClient::GetServiceConfig() {
  std::vector<std::string> none;
  auto r = http_.Send("GET", "/service/config", none);
  if (!r.ok()) return r.status();
  if (r->status != 200) return ErrorStatus(config_.location, "GET /service/config", r->status, ReadError(r->body));
  return ReadServiceLimits(r->body);
}

Result<ClientConfig> VppClient::GetClientConfig() {
  auto body = Call("GET", "/client/config");
  if (!body.ok()) return body.status();
  return ReadClientConfig(*body);
}

Result<ClientConfig> VppClient::SetClientConfig(const MdmInfo& info) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("mdmInfo");
  w.StartObject();
  w.Key("id");
  w.String(info.id.c_str());
  w.Key("metadata");
  w.String(info.metadata.c_str());
  w.Key("name");
  w.String(info.name.c_str());
  w.EndObject();
  w.EndObject();
  auto body = Call("POST", "/client/config", std::string(buf.GetString(), buf.GetSize()));
  if (!body.ok()) return body.status();
  return ReadClientConfig(*body);
}

Result<AssetPage> VppClient::GetAssets(int page_index) {
  auto body = Call("GET", "/assets?pageIndex=" + std::to_string(page_index));
  if (!body.ok()) return body.status();
  return ReadAssetPage(*body);
}

Result<AssignmentPage> VppClient::GetAssignments(int page_index) {
  auto body = Call("GET", "/assignments?pageIndex=" + std::to_string(page_index));
  if (!body.ok()) return body.status();
  return ReadAssignmentPage(*body);
}

Result<std::string> VppClient::Manage(const char* verb, const std::string& adam_id, const std::string& pricing_param,
                                      const std::vector<std::string>& serials) {
  auto body = Call("POST", std::string("/assets/") + verb, ManageBody(adam_id, pricing_param, serials));
  if (!body.ok()) return body.status();
  return ReadEventId(*body);
}

Result<std::string> VppClient::Associate(const std::string& adam_id, const std::string& pricing_param,
                                         const std::vector<std::string>& serials) {
  return Manage("associate", adam_id, pricing_param, serials);
}

Result<std::string> VppClient::Disassociate(const std::string& adam_id, const std::string& pricing_param,
                                            const std::vector<std::string>& serials) {
  return Manage("disassociate", adam_id, pricing_param, serials);
}

Result<EventStatus> VppClient::GetEvent(const std::string& event_id) {
  auto body = Call("GET", "/status?eventId=" + http::UrlEncode(event_id));
  if (!body.ok()) return body.status();
  return ReadEventStatus(*body);
}

}  // namespace mdm::vpp
