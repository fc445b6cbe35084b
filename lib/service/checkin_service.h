// The check-in route: Authenticate, TokenUpdate, CheckOut, UserAuthenticate, Set/GetBootstrapToken,
// DeclarativeManagement and GetToken.
#pragma once

#include "http/message.h"
#include "service/device_auth.h"

namespace mdm::service {

class CheckinService {
 public:
  explicit CheckinService(DeviceAuthenticator& auth) : auth_(auth) {}
  http::Response Handle(const http::Request& req, pqxx::connection& conn);

 private:
  DeviceAuthenticator& auth_;
};

// 403 with an ErrorUnrecognizedDevice body: the device unenrolls cleanly (iOS 17+).
http::Response UnrecognizedDevice(const std::string& enrollment_id, const std::string& why);

}  // namespace mdm::service
