#include "sim_device.h"

#include <stdexcept>

#include "stack.h"

namespace mdm::test {
namespace {

std::string RandomSerial() {
  static const char* alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
  std::string bytes = crypto::RandomBytes(12), out;
  for (unsigned char c : bytes) out.push_back(alphabet[c % 34]);
  return out;
}

void Merge(plist_t into, plist_t extra) {
  plist::ForEach(extra, [&](const std::string& key, plist_t v) {
    plist::Set(into, key.c_str(), plist_copy(v));
    return true;
  });
}

}  // namespace

std::optional<ReceivedCommand> ParseCommand(const HttpResponse& r) {
  if (r.status != 200 || r.body.empty()) return std::nullopt;
  auto parsed = plist::ParseDict(r.body);
  if (!parsed.ok()) throw std::runtime_error("the server sent a malformed command: " + r.body.substr(0, 200));
  ReceivedCommand c;
  c.command_uuid = plist::GetString(parsed->get(), "CommandUUID").value_or("");
  plist_t cmd = plist::Get(parsed->get(), "Command");
  if (!cmd) throw std::runtime_error("the server sent a command without Command");
  c.request_type = plist::GetString(cmd, "RequestType").value_or("");
  c.command.reset(plist_copy(cmd));
  return c;
}

SimDevice::SimDevice(std::string base_url, std::string ca_file, const enroll::DeviceCa& ca, std::string udid)
    : SimDevice(std::move(base_url), std::move(ca_file), nullptr, crypto::GenerateRsaKey(), std::move(udid)) {
  cert_ = enroll::IssueDeviceIdentity(ca, key_.get(), "sim " + udid_);
}

SimDevice::SimDevice(std::string base_url, std::string ca_file, crypto::Cert cert, crypto::Pkey key, std::string udid)
    : base_url_(std::move(base_url)), client_(std::move(ca_file)), cert_(std::move(cert)), key_(std::move(key)),
      udid_(udid.empty() ? crypto::NewUuid() : std::move(udid)), serial_(RandomSerial()),
      push_magic_(crypto::NewUuid()), token_(crypto::RandomBytes(32)) {
  info = {{"DeviceName", "Sim iPhone"}, {"Model", "MQ9X3"},        {"ModelName", "iPhone"},
          {"ProductName", "iPhone15,4"}, {"OSVersion", "17.4.1"}, {"BuildVersion", "21E237"}};
}

plist::Owned SimDevice::Message(const std::string& user_id) {
  plist::Owned m(plist_new_dict());
  plist::SetString(m.get(), "UDID", udid_);
  if (!user_id.empty()) {
    plist::SetString(m.get(), "UserID", user_id);
    plist::SetString(m.get(), "UserShortName", "user-" + user_id.substr(0, 8));
    plist::SetString(m.get(), "UserLongName", "Sim User");
  }
  return m;
}

std::string SimDevice::Signature(const std::string& body) {
  auto sig = crypto::Sign(body, cert_.get(), key_.get(), sign_);
  if (!sig.ok()) throw std::runtime_error(sig.status().message());
  return crypto::Base64Encode(*sig);
}

HttpResponse SimDevice::SendRaw(const std::string& route, const std::string& body, const Headers& headers) {
  return client_.Request("PUT", base_url_ + route, body, headers);
}

HttpResponse SimDevice::SendSigned(const std::string& route, const std::string& body, const std::string& content_type) {
  if (tls_identity_) return SendRaw(route, body, {{"Content-Type", content_type}});
  return SendRaw(route, body, {{"Content-Type", content_type}, {"Mdm-Signature", Signature(body)}});
}

HttpResponse SimDevice::GetSigned(const std::string& route_and_query) {
  Headers h;
  if (!tls_identity_) h.emplace_back("Mdm-Signature", Signature(""));
  return client_.Request("GET", base_url_ + route_and_query, "", h);
}

void SimDevice::UseTlsIdentity() {
  tls_identity_ = true;
  client_.set_client_identity(crypto::CertToPem(cert_.get()), crypto::KeyToPem(key_.get()));
}

HttpResponse SimDevice::Checkin(const std::string& message_type, plist_t extra, const std::string& user_id) {
  plist::Owned m = Message(user_id);
  plist::SetString(m.get(), "MessageType", message_type);
  Merge(m.get(), extra);
  return SendSigned("/checkin", plist::ToXml(m.get()), "application/x-apple-aspen-mdm-checkin");
}

HttpResponse SimDevice::Authenticate(const std::string& topic) {
  plist::Owned extra(plist_new_dict());
  plist::SetString(extra.get(), "Topic", topic);
  plist::SetString(extra.get(), "SerialNumber", serial_);
  plist::SetString(extra.get(), "OSVersion", info["OSVersion"]);
  plist::SetString(extra.get(), "BuildVersion", info["BuildVersion"]);
  plist::SetString(extra.get(), "ProductName", info["ProductName"]);
  plist::SetString(extra.get(), "Model", info["Model"]);
  plist::SetString(extra.get(), "ModelName", info["ModelName"]);
  plist::SetString(extra.get(), "DeviceName", info["DeviceName"]);
  return Checkin("Authenticate", extra.get());
}

HttpResponse SimDevice::TokenUpdate(const std::string& topic, const std::string& user_id) {
  plist::Owned extra(plist_new_dict());
  plist::SetString(extra.get(), "Topic", topic);
  plist::SetData(extra.get(), "Token", token_);
  plist::SetString(extra.get(), "PushMagic", push_magic_);
  if (user_id.empty()) plist::SetData(extra.get(), "UnlockToken", crypto::RandomBytes(64));
  return Checkin("TokenUpdate", extra.get(), user_id);
}

HttpResponse SimDevice::CheckOut() { return Checkin("CheckOut"); }

HttpResponse SimDevice::Idle(const std::string& user_id) { return Report("Idle", "", nullptr, user_id); }

HttpResponse SimDevice::Report(const std::string& status, const std::string& command_uuid, plist_t extra,
                               const std::string& user_id) {
  plist::Owned m = Message(user_id);
  plist::SetString(m.get(), "Status", status);
  if (!command_uuid.empty()) plist::SetString(m.get(), "CommandUUID", command_uuid);
  Merge(m.get(), extra);
  return SendSigned("/mdm", plist::ToXml(m.get()), "application/x-apple-aspen-mdm");
}

HttpResponse SimDevice::Answer(const ReceivedCommand& cmd, const std::string& status) {
  plist::Owned extra(plist_new_dict());
  if (status == "Error" || status == "CommandFormatError") {
    plist_t chain = plist_new_array();
    plist_t e = plist_new_dict();
    plist::SetInt(e, "ErrorCode", 12021);
    plist::SetString(e, "ErrorDomain", "MCMDMErrorDomain");
    plist::SetString(e, "LocalizedDescription", "Simulated failure");
    plist_array_append_item(chain, e);
    plist::Set(extra.get(), "ErrorChain", chain);
  } else if (status == "Acknowledged") {
    if (cmd.request_type == "DeviceInformation") {
      plist_t q = plist_new_dict();
      for (const auto& [k, v] : info) plist::SetString(q, k.c_str(), v);
      plist::SetString(q, "SerialNumber", serial_);
      plist::SetString(q, "UDID", udid_);
      plist::Set(q, "DeviceCapacity", plist_new_real(119.2));
      plist::Set(q, "AvailableDeviceCapacity", plist_new_real(87.5));
      plist::Set(q, "BatteryLevel", plist_new_real(0.81));
      plist::SetBool(q, "IsSupervised", true);
      plist::Set(extra.get(), "QueryResponses", q);
    } else if (cmd.request_type == "ProfileList") {
      plist_t list = plist_new_array();
      for (const auto& id : installed_profiles) {
        plist_t p = plist_new_dict();
        plist::SetString(p, "PayloadIdentifier", id);
        plist::SetString(p, "PayloadUUID", crypto::NewUuid());
        plist::SetString(p, "PayloadDisplayName", "Profile " + id);
        plist::SetBool(p, "IsManaged", true);
        plist::Set(p, "PayloadContent", plist_new_array());
        plist_array_append_item(list, p);
      }
      plist::Set(extra.get(), "ProfileList", list);
    } else if (cmd.request_type == "InstalledApplicationList") {
      plist_t list = plist_new_array();
      for (const auto& id : installed_apps) {
        plist_t a = plist_new_dict();
        plist::SetString(a, "Identifier", id);
        plist::SetString(a, "Name", id.substr(id.rfind('.') + 1));
        plist::SetString(a, "ShortVersion", "1.2");
        plist::SetString(a, "Version", "120");
        plist::SetInt(a, "BundleSize", 4096000);
        plist_array_append_item(list, a);
      }
      plist::Set(extra.get(), "InstalledApplicationList", list);
    } else if (cmd.request_type == "SecurityInfo") {
      plist_t s = plist_new_dict();
      plist::SetBool(s, "PasscodePresent", true);
      plist::SetBool(s, "PasscodeCompliant", true);
      plist::SetInt(s, "HardwareEncryptionCaps", 3);
      plist::Set(extra.get(), "SecurityInfo", s);
    } else if (cmd.request_type == "CertificateList") {
      plist_t list = plist_new_array();
      plist_t c = plist_new_dict();
      plist::SetString(c, "CommonName", crypto::SubjectCommonName(cert_.get()));
      plist::SetData(c, "Data", crypto::CertToDer(cert_.get()));
      plist::SetBool(c, "IsIdentity", true);
      plist_array_append_item(list, c);
      plist::Set(extra.get(), "CertificateList", list);
    }
  }
  return Report(status, cmd.command_uuid, extra.get());
}

SimDevice EnrolledDevice(Stack& stack) {
  SimDevice d(stack.base_url(), stack.tls_cert(), stack.DeviceCa());
  auto a = d.Authenticate(Stack::kTopic);
  if (a.status != 200) throw std::runtime_error("Authenticate answered " + std::to_string(a.status) + ": " + a.body);
  auto t = d.TokenUpdate(Stack::kTopic);
  if (t.status != 200) throw std::runtime_error("TokenUpdate answered " + std::to_string(t.status) + ": " + t.body);
  return d;
}

}  // namespace mdm::test
