// /parameters?format=<JSON>: the data behind a declarative asset's DataURL (Authentication
// "MDM"), with $$name$$ placeholders filled from the requesting device's own parameters.
#pragma once

#include <pqxx/pqxx>

#include "http/message.h"
#include "service/device_auth.h"

namespace mdm::deploy {

class ParametersService {
 public:
  explicit ParametersService(service::DeviceAuthenticator& auth) : auth_(auth) {}
  http::Response Handle(const http::Request& req, pqxx::connection& conn);

 private:
  service::DeviceAuthenticator& auth_;
};

}  // namespace mdm::deploy
