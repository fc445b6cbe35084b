// The command channel (/mdm): records what the device reports and answers with its next command.
#pragma once

#include "http/message.h"
#include "metrics/metrics.h"
#include "service/device_auth.h"

namespace mdm::service {

class CommandService {
 public:
  // `metrics` (may be null) counts the commands delivered and the answers recorded.
  explicit CommandService(DeviceAuthenticator& auth, metrics::Counters* metrics = nullptr)
      : auth_(auth), metrics_(metrics) {}
  http::Response Handle(const http::Request& req, pqxx::connection& conn);

 private:
  DeviceAuthenticator& auth_;
  metrics::Counters* metrics_;
};

}  // namespace mdm::service
