#include "service/checkin_service.h"

#include "protocol/messages.h"
#include "service/device_responses.h"
#include "store/declaration_store.h"
#include "store/enrollment_store.h"
#include "store/event_store.h"
#include "store/settings.h"

namespace mdm::service {
namespace {

using protocol::CheckinMessage;
using protocol::MessageType;

http::Response Ok(const std::string& enrollment_id, const std::string& note = {}) {
  auto r = http::Response::Empty(200);
  r.enrollment_id = enrollment_id;
  r.reason = note;
  return r;
}

http::Response Json(const std::string& enrollment_id, std::string body) {
  http::Response r;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.enrollment_id = enrollment_id;
  return r;
}

http::Response Authenticate(pqxx::work& tx, const CheckinMessage& m, const std::string& cert_sha256) {
  const auto& who = m.enrollment;
  if (who.user_channel) return BadRequest(who.id, "Authenticate is a device-channel message; it carries a user ID");
  auto topic = plist::GetString(m.body.get(), "Topic");
  if (!topic || topic->empty()) return BadRequest(who.id, "Authenticate without Topic");
  auto ours = store::GetSetting(tx, store::setting::kPushTopic);
  if (!ours) return BadRequest(who.id, "no push certificate is configured, so no Topic can be accepted (mdm-console apns cert)");
  if (*topic != *ours) return BadRequest(who.id, "Topic '" + *topic + "' is not this server's push topic");
  store::AuthenticateFields f;
  f.topic = *topic;
  plist_t b = m.body.get();
  f.udid = plist::GetString(b, "UDID");
  f.serial_number = plist::GetString(b, "SerialNumber");
  f.product_name = plist::GetString(b, "ProductName");
  f.model = plist::GetString(b, "Model");
  f.model_name = plist::GetString(b, "ModelName");
  f.device_name = plist::GetString(b, "DeviceName");
  f.os_version = plist::GetString(b, "OSVersion");
  f.build_version = plist::GetString(b, "BuildVersion");
  f.imei = plist::GetString(b, "IMEI");
  f.meid = plist::GetString(b, "MEID");
  Status s = store::RecordAuthenticate(tx, who, f, cert_sha256);
  if (!s.ok()) return BadRequest(who.id, s.message());
  return Ok(who.id, "authenticated");
}

http::Response TokenUpdate(pqxx::work& tx, const CheckinMessage& m, int* tally) {
  const auto& who = m.enrollment;
  plist_t b = m.body.get();
  auto token = plist::GetData(b, "Token");
  auto magic = plist::GetString(b, "PushMagic");
  auto topic = plist::GetString(b, "Topic");
  if (!token || token->empty()) return BadRequest(who.id, "TokenUpdate without Token");
  if (!magic || magic->empty()) return BadRequest(who.id, "TokenUpdate without PushMagic");
  if (!topic || topic->empty()) return BadRequest(who.id, "TokenUpdate without Topic");
  auto ours = store::GetSetting(tx, store::setting::kPushTopic);
  if (!ours || *topic != *ours) return BadRequest(who.id, "Topic '" + *topic + "' is not this server's push topic");
  store::TokenUpdateFields f;
  f.topic = *topic;
  f.token = *token;
  f.push_magic = *magic;
  f.unlock_token = plist::GetData(b, "UnlockToken");
  f.awaiting_configuration = plist::GetBool(b, "AwaitingConfiguration").value_or(false);
  *tally = store::RecordTokenUpdate(tx, who, f);
  return Ok(who.id, *tally == 1 ? "enrolled" : "token updated");
}

http::Response DeclarativeManagement(pqxx::work& tx, const CheckinMessage& m) {
  const auto& who = m.enrollment;
  auto endpoint = plist::GetString(m.body.get(), "Endpoint");
  if (!endpoint) return BadRequest(who.id, "DeclarativeManagement without Endpoint");
  if (*endpoint == "tokens") return Json(who.id, store::DeclarativeTokensJson(tx, who.id));
  if (*endpoint == "declaration-items") return Json(who.id, store::DeclarationItemsJson(tx, who.id));
  if (*endpoint == "status") {
    auto data = plist::GetData(m.body.get(), "Data");
    if (!data) return BadRequest(who.id, "a status report without Data");
    Status s = protocol::CheckStatusReportJson(*data);
    if (!s.ok()) return BadRequest(who.id, s.message());
    store::StoreStatusReport(tx, who.id, *data);
    return Ok(who.id, "status report stored");
  }
  const std::string prefix = "declaration/";
  if (endpoint->rfind(prefix, 0) == 0) {
    std::string rest = endpoint->substr(prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) return BadRequest(who.id, "malformed declaration endpoint");
    auto decl = store::DeclarationJson(tx, who.id, rest.substr(0, slash), rest.substr(slash + 1));
    if (!decl) {
      auto r = http::Response::Text(404, "no such declaration for this enrollment");
      r.enrollment_id = who.id;
      return r;
    }
    return Json(who.id, *decl);
  }
  return BadRequest(who.id, "unknown DeclarativeManagement Endpoint '" + endpoint->substr(0, 64) + "'");
}

}  // namespace

http::Response CheckinService::Handle(const http::Request& req, pqxx::connection& conn) {
  if (req.method != "PUT" && req.method != "POST") return http::Response::Text(405, "check-in takes PUT or POST");
  if (!protocol::ContentTypeIs(req.content_type(), "application/x-apple-aspen-mdm-checkin"))
    return BadRequest("", "check-in needs Content-Type application/x-apple-aspen-mdm-checkin, got '" +
                       req.content_type().substr(0, 100) + "'");
  // Authenticated before parsed: a request without a valid identity costs a signature check
  // over its bytes, and the plist parser only ever sees bodies signed by our device CA.
  auto cert = auth_.Authenticate(req, conn);
  if (!cert.ok()) return BadRequest("", cert.status().message());
  if (auto limited = auth_.Throttle(*cert)) return *limited;
  auto parsed = protocol::ParseCheckin(req.body);
  if (!parsed.ok()) return BadRequest("", parsed.status().message());
  CheckinMessage& m = parsed.value();
  const auto& who = m.enrollment;
  // An imported CA vouches for the devices that came with it, not for new enrollments.
  if (m.type == MessageType::kAuthenticate && !auth_.IssuedByOwnCa(req, conn))
    return BadRequest(who.id, "Authenticate with an identity from an imported CA: a new enrollment needs this "
                              "server's enrollment profile");

  pqxx::work tx(conn);
  int tally = 0;
  http::Response res = Respond(tx, m, *cert, &tally);
  // The webhook event is filed in the transaction of the change it reports; a message we
  // refused changes nothing and reports nothing.
  if (res.status == 200) {
    store::FileCheckinEvent(tx, "mdm." + m.type_name, who, req.body, req.query, tally);
    tx.commit();
  }
  return res;
}

http::Response CheckinService::Respond(pqxx::work& tx, const CheckinMessage& m, const std::string& cert, int* tally) {
  const auto& who = m.enrollment;
  if (m.type == MessageType::kAuthenticate) return Authenticate(tx, m, cert);

  // Every other message must come from the certificate bound to this device.
  store::EnrollmentAuth a = store::LookupAuth(tx, who);
  if (!a.device_exists || a.device_status == "removed")
    return UnrecognizedDevice(who.id, m.type_name + " from a device this server does not know");
  if (!a.bound_sha256 && BindImportedDevice(tx, who.device_id, cert)) a.bound_sha256 = cert;
  if (!a.bound_sha256 || *a.bound_sha256 != cert)
    return BadRequest(who.id, m.type_name + " signed by a certificate not bound to this device");
  if (a.device_status == "checked-out")
    return UnrecognizedDevice(who.id, m.type_name + " from a device that checked out");
  bool enrolled = a.exists && a.status == "enrolled";

  switch (m.type) {
    case MessageType::kTokenUpdate:
      return TokenUpdate(tx, m, tally);
    case MessageType::kCheckOut:
      store::RecordCheckOut(tx, who);
      return Ok(who.id, "checked out");
    case MessageType::kUserAuthenticate: {
      // We do not offer user channels through UserAuthenticate: 410 declines them.
      auto r = http::Response::Text(410, "user channels are not offered", "UserAuthenticate declined");
      r.enrollment_id = who.id;
      return r;
    }
    case MessageType::kSetBootstrapToken:
      if (who.user_channel) return BadRequest(who.id, "SetBootstrapToken on a user channel");
      store::SetBootstrapToken(tx, who.device_id, plist::GetData(m.body.get(), "BootstrapToken"));
      return Ok(who.id, "bootstrap token stored");
    case MessageType::kGetBootstrapToken: {
      if (who.user_channel) return BadRequest(who.id, "GetBootstrapToken on a user channel");
      auto token = store::GetBootstrapToken(tx, who.device_id);
      plist::Owned dict(plist_new_dict());
      if (token) plist::SetData(dict.get(), "BootstrapToken", *token);
      http::Response r;
      r.content_type = "application/xml";
      r.body = plist::ToXml(dict.get());
      r.enrollment_id = who.id;
      r.reason = token ? "bootstrap token returned" : "no bootstrap token stored";
      return r;
    }
    case MessageType::kDeclarativeManagement:
      if (!enrolled) return BadRequest(who.id, "DeclarativeManagement before enrollment completed");
      return DeclarativeManagement(tx, m);
    case MessageType::kGetToken: {
      auto service = plist::GetString(m.body.get(), "TokenServiceType").value_or("");
      return BadRequest(who.id, "GetToken for '" + service.substr(0, 64) + "' is not supported by this server");
    }
    case MessageType::kAuthenticate:
      break;
  }
  return BadRequest(who.id, "unhandled message");
}

}  // namespace mdm::service
