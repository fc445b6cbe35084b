// libFuzzer target: mdm::json::Parse on the bytes; an accepted object with a "request_type"
// string goes through CommandFromJson with its "parameters" (an empty object when absent), as
// the admin API does with a command body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <rapidjson/document.h>

#include "json/json.h"
#include "protocol/command_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rapidjson::Document doc;
  if (!mdm::json::Parse(std::string_view(reinterpret_cast<const char*>(data), size), &doc).ok()) return 0;
  if (!doc.IsObject()) return 0;
  if (!doc.HasMember("request_type") || !doc["request_type"].IsString()) return 0;
  const rapidjson::Value& type = doc["request_type"];
  std::string_view request_type(type.GetString(), type.GetStringLength());
  rapidjson::Value empty(rapidjson::kObjectType);
  const rapidjson::Value& parameters = doc.HasMember("parameters") ? doc["parameters"] : empty;
  (void)mdm::protocol::CommandFromJson(request_type, parameters);
  return 0;
}
