// The command channel (/mdm): records what the device reports and answers with its next command.
#pragma once

#include "http/message.h"
#include "service/device_auth.h"

namespace mdm::service {

class CommandService {
 public:
  explicit CommandService(DeviceAuthenticator& auth) : auth_(auth) {}
  http::Response Handle(const http::Request& req, pqxx::connection& conn);

 private:
  DeviceAuthenticator& auth_;
};

}  // namespace mdm::service
