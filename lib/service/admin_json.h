// Answers and body readers shared by the admin API's handlers (admin_api.cpp, admin_catalog.cpp,
// admin_settings.cpp). Private to lib/service.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include "core/status.h"
#include "http/message.h"

namespace mdm::service::admin {

http::Response JsonResponse(int status, std::string body);
// {"error": message}; the message is also the log line's reason.
http::Response JsonError(int status, const std::string& message);
// 404 for kNotFound, 409 for kConflict, else 400.
http::Response StatusError(const Status& s);
// A file for the browser to save: the bytes, their type and the name to save them under.
http::Response Download(std::string body, const char* content_type, const char* filename);

// One audit row in a transaction of its own, for changes made through a function that commits
// by itself (the catalog's and certificates' connection forms): right after the change.
void AuditNow(pqxx::connection& conn, const std::string& actor, const std::string& action, const std::string& detail);

// ["a", "b"]
std::string JsonStrings(const std::vector<std::string>& items);
// The strings of a JSON array member, or nullopt when it is not one.
std::optional<std::vector<std::string>> Strings(const rapidjson::Value& obj, const char* key);
// A string member, or `fallback` when absent; nullopt when present but not a string.
std::optional<std::string> StringMember(const rapidjson::Value& obj, const char* key, const std::string& fallback = "");

}  // namespace mdm::service::admin
