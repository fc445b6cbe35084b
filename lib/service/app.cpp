#include "service/app.h"

#include <chrono>

#include "core/log.h"
#include "core/utf8.h"

namespace mdm::service {

App::App(Config config, DeviceRateLimiter* limiter)
    : config_(std::move(config)), auth_(config_, limiter), checkin_(auth_), commands_(auth_), admin_(config_), parameters_(auth_) {}

http::Response App::Handle(const http::Request& req, store::Database& db) {
  auto start = std::chrono::steady_clock::now();
  http::Response res;
  try {
    res = Route(req, db);
  } catch (const pqxx::broken_connection& e) {
    db.Reset();
    res = http::Response::Text(503, "the database is not reachable; try again later", e.what());
  } catch (const pqxx::in_doubt_error& e) {
    // The connection went away during COMMIT: the device sends the same request again, and the
    // queue takes a report it already has as a no-op.
    db.Reset();
    res = http::Response::Text(503, "the database connection was lost; try again later", e.what());
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    if (state == "57014") {
      // query_canceled: statement_timeout, the database did not answer in time (a lock held
      // elsewhere, say).
      res = http::Response::Text(503, "the database did not answer in time; try again later", e.what());
    } else if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
      // Connection exceptions and operator intervention (a restart or shutdown of PostgreSQL):
      // the next request connects again. Never a 4xx, which a device could take as a refusal.
      db.Reset();
      res = http::Response::Text(503, "the database is restarting or not reachable; try again later", e.what());
    } else {
      res = http::Response::Text(500, "internal error", e.what());
    }
  } catch (const std::exception& e) {
    res = http::Response::Text(500, "internal error", e.what());
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
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
  if (p.rfind("/v1/", 0) == 0) return admin_.Handle(req, p.substr(3), db.connection());
  if (p == "/profile") return enrollment_.AdeProfile(req, db.connection());
  if (p == "/parameters") return parameters_.Handle(req, db.connection());
  if (p.rfind("/enroll/", 0) == 0) return enrollment_.EnrollLink(req, p.substr(8), db.connection());
  return http::Response::Text(404, "unknown route '" + p + "' below /api-mdm.php");
}

http::Response App::Health(store::Database& db) {
  if (db.Ping()) return http::Response::Text(200, "ok");
  return http::Response::Text(503, "database unavailable");
}

}  // namespace mdm::service
