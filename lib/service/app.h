// The device-facing application: routes a Request (paths below /api-mdm.php) to its handler
// and returns a Response. One App serves all worker threads; each thread brings its own Database.
#pragma once

#include <memory>

#include "config/config.h"
#include "enroll/scep.h"
#include "deploy/parameters.h"
#include "enroll/enrollment_service.h"
#include "http/message.h"
#include "metrics/metrics.h"
#include "service/admin_api.h"
#include "service/checkin_service.h"
#include "service/command_service.h"
#include "service/device_auth.h"
#include "store/database.h"

namespace mdm::service {

class App {
 public:
  // `limiter`: the device request budget shared by the worker processes (null: no limit).
  // `metrics`: the counters shared by the worker processes (null: this App keeps its own).
  explicit App(Config config, DeviceRateLimiter* limiter = nullptr, metrics::Counters* metrics = nullptr);

  // Handles one request; never throws. Logs one line with route, enrollment, status and time.
  http::Response Handle(const http::Request& req, store::Database& db);

  const Config& config() const { return config_; }

  // The route as logs may show it: an enrollment link's token is a secret, so "/enroll/*".
  static std::string RouteForLog(const std::string& path);

 private:
  http::Response Route(const http::Request& req, store::Database& db);
  http::Response Health(store::Database& db);
  // GET /metrics: the Prometheus exposition, for the admin key only.
  http::Response Metrics(const http::Request& req, store::Database& db);

  Config config_;
  std::unique_ptr<metrics::Counters> own_metrics_;
  metrics::Counters* metrics_;
  DeviceAuthenticator auth_;
  CheckinService checkin_;
  CommandService commands_;
  AdminApi admin_;
  enroll::ScepService scep_;
  enroll::EnrollmentService enrollment_;
  deploy::ParametersService parameters_;
};

}  // namespace mdm::service
