// The admin API below /v1/: operators' scripts queue commands and read devices. Authenticated
// by the configured key (Authorization: Bearer KEY, or X-API-Key: KEY); never by a device identity.
#pragma once

#include "config/config.h"
#include "http/message.h"
#include "store/database.h"

namespace mdm::service {

// True when the request presents `key` (compared in constant time): "Authorization: Bearer KEY",
// the scheme in any case and followed by one or more spaces (RFC 9110 11.1, 11.4), or else
// "X-API-Key: KEY". An empty `key` matches nothing.
bool BearerOrApiKeyMatches(const http::Request& req, const std::string& key);

class AdminApi {
 public:
  explicit AdminApi(const Config& config) : key_(config.admin_api_key) {}
  // `path` is below /v1 (e.g. "/commands").
  http::Response Handle(const http::Request& req, const std::string& path, pqxx::connection& conn);

 private:
  bool Authorized(const http::Request& req) const;
  http::Response PostCommand(const http::Request& req, pqxx::connection& conn);

  std::string key_;
};

}  // namespace mdm::service
