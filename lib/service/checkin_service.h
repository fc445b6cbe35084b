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

}  // namespace mdm::service
