#include "service/app.h"

#include <chrono>

#include "core/log.h"
#include "core/utf8.h"
#include "metrics/database_gauges.h"

namespace mdm::service {

App::App(Config config, DeviceRateLimiter* limiter, metrics::Counters* metrics)
    : config_(std::move(config)),
      own_metrics_(metrics ? nullptr : std::make_unique<metrics::Counters>()),
      metrics_(metrics ? metrics : own_metrics_.get()),
      auth_(config_, limiter, metrics_),
      checkin_(auth_),
      commands_(auth_, metrics_),
      admin_(config_),
      parameters_(auth_) {}

http::Response App::Handle(const http::Request& req, store::Database& db) {
  auto start = std::chrono::steady_clock::now();
  http::Response res;
  try {
    res = Route(req, db);
  } catch (const pqxx::broken_connection& e) {
    db.Reset();
    metrics_->DatabaseConnectionError();
    res = http::Response::Text(503, "the database is not reachable; try again later", e.what());
  } catch (const pqxx::in_doubt_error& e) {
    // The connection went away during COMMIT: the device sends the same request again, and the
    // queue takes a report it already has as a no-op.
    db.Reset();
    metrics_->DatabaseConnectionError();
    res = http::Response::Text(503, "the database connection was lost; try again later", e.what());
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    if (state == "57014") {
      // query_canceled: statement_timeout, the database did not answer in time (a lock held
      // elsewhere, say).
      metrics_->DatabaseTimeout();
      res = http::Response::Text(503, "the database did not answer in time; try again later", e.what());
    } else if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
      // Connection exceptions and operator intervention (a restart or shutdown of PostgreSQL):
      // the next request connects again. Never a 4xx, which a device could take as a refusal.
      db.Reset();
      metrics_->DatabaseConnectionError();
      res = http::Response::Text(503, "the database is restarting or not reachable; try again later", e.what());
    } else {
      res = http::Response::Text(500, "internal error", e.what());
    }
  } catch (const std::exception& e) {
    res = http::Response::Text(500, "internal error", e.what());
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  metrics_->Request(metrics::RouteOf(req.path), res.status, ms / 1000);
  log::Line line(res.status >= 500 ? log::Level::kError
                 : res.status >= 400 ? log::Level::kWarn
                                     : log::Level::kInfo);
  // An enrollment link's token is a secret: the log names the route, not the token.
  line.kv("method", req.method).kv("route", RouteForLog(req.path)).kv("enrollment", res.enrollment_id)
      .kv("status", static_cast<long long>(res.status)).kv("ms", ms);
  if (!res.reason.empty()) line.kv("reason", res.reason);
  return res;
}

std::string App::RouteForLog(const std::string& path) {
  return path.rfind("/enroll/", 0) == 0 ? "/enroll/*" : path.substr(0, 200);
}

http::Response App::Route(const http::Request& req, store::Database& db) {
  const std::string& p = req.path;
  // What reaches a handler, and so PostgreSQL, is text: bytes that are not UTF-8 are the
  // client's fault (a 400), not the database's refusal (a 500).
  if (!IsPrintableUtf8(p)) return http::Response::Text(400, "the request path is not valid UTF-8 text");
  // Two signatures or two keys are ambiguous: which one was checked must never be a guess.
  for (const std::string& name : req.repeated_headers)
    if (name == "mdm-signature" || name == "client-cert" || name == "authorization" || name == "x-api-key")
      return http::Response::Text(400, "the request carries the " + name + " header more than once");
  if (p == "/health") {
    if (req.method != "GET" && req.method != "HEAD") return http::Response::Text(405, "health answers GET only");
    return Health(db);
  }
  if (p == "/checkin") return checkin_.Handle(req, db.connection());
  if (p == "/mdm") return commands_.Handle(req, db.connection());
  if (p == "/scep") return scep_.Handle(req, db.connection());
  if (p.rfind("/v1/", 0) == 0) {
    // The admin API decodes the names in its paths once: from the path as sent when there is one.
    const std::string& sent = req.raw_path.rfind("/v1/", 0) == 0 ? req.raw_path : p;
    return admin_.Handle(req, sent.substr(3), db.connection());
  }
  if (p == "/metrics") return Metrics(req, db);
  if (p == "/profile") return enrollment_.AdeProfile(req, db.connection());
  if (p == "/parameters") return parameters_.Handle(req, db.connection());
  if (p.rfind("/enroll/", 0) == 0) return enrollment_.EnrollLink(req, p.substr(8), db.connection());
  return http::Response::Text(404, "unknown route '" + p + "' below /api-mdm.php");
}

http::Response App::Health(store::Database& db) {
  if (db.Ping()) return http::Response::Text(200, "ok");
  metrics_->DatabaseConnectionError();
  return http::Response::Text(503, "database unavailable");
}

http::Response App::Metrics(const http::Request& req, store::Database& db) {
  // The admin API's key and its 401, so one credential serves operators' scripts and Prometheus.
  if (!BearerOrApiKeyMatches(req, config_.admin_api_key)) {
    auto r = http::Response::Text(401, "the metrics need the admin_api_key (Authorization: Bearer KEY)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (req.method != "GET" && req.method != "HEAD") return http::Response::Text(405, "metrics answer GET only");
  // The workers' counters are worth a scrape even when PostgreSQL is away: then only the gauges
  // read from it are missing, and mdm_database_up says so.
  std::optional<metrics::DatabaseGauges> gauges;
  std::string problem;
  try {
    gauges = metrics::ReadDatabaseGauges(db.connection());
  } catch (const pqxx::broken_connection& e) {
    db.Reset();
    metrics_->DatabaseConnectionError();
    problem = e.what();
  } catch (const std::exception& e) {
    problem = e.what();
  }
  http::Response r;
  r.content_type = metrics::kContentType;
  r.body = metrics::Exposition(*metrics_, gauges ? &*gauges : nullptr);
  if (!gauges) r.reason = "the metrics' database query failed: " + problem;
  return r;
}

}  // namespace mdm::service
