// The check-in route: Authenticate, TokenUpdate, CheckOut, UserAuthenticate, Set/GetBootstrapToken,
// DeclarativeManagement and GetToken.
#pragma once

#include <string>

#include "http/message.h"
#include "protocol/messages.h"
#include "service/device_auth.h"

namespace mdm::service {

class CheckinService {
 public:
  explicit CheckinService(DeviceAuthenticator& auth) : auth_(auth) {}
  http::Response Handle(const http::Request& req, pqxx::connection& conn);

 private:
  // The answer to an authenticated message, its changes made in `tx` but not committed;
  // `tally` is the enrollment's TokenUpdate count after a TokenUpdate.
  http::Response Respond(pqxx::work& tx, const protocol::CheckinMessage& m, const std::string& cert, int* tally);

  DeviceAuthenticator& auth_;
};

}  // namespace mdm::service
