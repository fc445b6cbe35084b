// A simulated Apple device: an identity issued by the server's device CA, every request signed
// with a detached CMS over the body (Mdm-Signature) like a real device, spoken through nginx
// over TLS. Answers DeviceInformation, ProfileList, InstalledApplicationList and the other
// inventory commands with realistic payloads, or NotNow / Error when told to.
#pragma once

#include <map>
#include <string>

#include "crypto/crypto.h"
#include "enroll/device_ca.h"
#include "http_client.h"
#include "plist/property_list.h"

namespace mdm::test {

// A command as the device received it.
struct ReceivedCommand {
  std::string command_uuid;
  std::string request_type;
  plist::Owned command;  // the Command dictionary
};

// The command in a /mdm answer, or nullopt for an empty answer.
std::optional<ReceivedCommand> ParseCommand(const HttpResponse& r);

class SimDevice {
 public:
  SimDevice(std::string base_url, std::string ca_file, const enroll::DeviceCa& ca, std::string udid = "");
  // Same, with an identity the caller made (a foreign CA, say).
  SimDevice(std::string base_url, std::string ca_file, crypto::Cert cert, crypto::Pkey key, std::string udid = "");

  const std::string& udid() const { return udid_; }
  const std::string& serial() const { return serial_; }
  const std::string& push_magic() const { return push_magic_; }
  const std::string& token() const { return token_; }
  std::string cert_sha256() const { return crypto::CertSha256(cert_.get()); }
  crypto::SignOptions& sign_options() { return sign_; }

  // The check-in messages. `extra` keys are added to (and override) the standard ones.
  HttpResponse Authenticate(const std::string& topic);
  HttpResponse TokenUpdate(const std::string& topic, const std::string& user_id = "");
  HttpResponse CheckOut();
  HttpResponse Checkin(const std::string& message_type, plist_t extra = nullptr, const std::string& user_id = "");

  // The command channel.
  HttpResponse Idle(const std::string& user_id = "");
  HttpResponse Report(const std::string& status, const std::string& command_uuid, plist_t extra = nullptr,
                      const std::string& user_id = "");
  // Answers a received command as a device would: Acknowledged with the realistic payload of
  // its RequestType, unless `status` says NotNow, Error or CommandFormatError.
  HttpResponse Answer(const ReceivedCommand& cmd, const std::string& status = "Acknowledged");

  // A signed request with a body of our choosing (for tests of what the server refuses).
  HttpResponse SendSigned(const std::string& route, const std::string& body, const std::string& content_type);
  // The Mdm-Signature header value for a body.
  std::string Signature(const std::string& body);
  HttpResponse SendRaw(const std::string& route, const std::string& body, const Headers& headers);
  // A GET with MDM semantics (a signature over the empty body), as for a DataURL.
  HttpResponse GetSigned(const std::string& route_and_query);

  // Presents the identity as a TLS client certificate instead of signing bodies.
  void UseTlsIdentity();

  // Acts as another device's identity (for impersonation tests): the UDID we claim.
  void ClaimUdid(std::string udid) { udid_ = std::move(udid); }

  // Inventory the device reports.
  std::map<std::string, std::string> info;  // DeviceInformation query responses (strings)
  std::vector<std::string> installed_profiles{"com.example.wifi", "com.example.restrictions"};
  std::vector<std::string> installed_apps{"com.apple.Pages", "com.example.app"};

 private:
  plist::Owned Message(const std::string& user_id);

  std::string base_url_;
  HttpClient client_;
  crypto::Cert cert_;
  crypto::Pkey key_;
  crypto::SignOptions sign_;
  bool tls_identity_ = false;
  std::string udid_, serial_, push_magic_, token_;
};

class Stack;
// A new device of `stack` that has done Authenticate and TokenUpdate; throws when either fails.
SimDevice EnrolledDevice(Stack& stack);

}  // namespace mdm::test
