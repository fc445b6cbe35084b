// The JSON that the browser drivers exchange with the browser (webdriver.cpp over chromedriver's
// HTTP, marionette.cpp over Marionette's packets): both speak W3C WebDriver's terms. Private to
// the drivers; defined in web_browser.cpp.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web_browser.h"

namespace mdm::test::wire {

// The member under which WebDriver (and Marionette) returns an element reference (fixed by the
// W3C spec).
inline constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

std::string ToJson(const rapidjson::Value& v);
void String(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s);
// A JSON object of string members, e.g. {"id": "...", "name": "value"}: most commands' parameters.
std::string Object(std::initializer_list<std::pair<const char*, std::string_view>> members);
// The element id in an element reference; throws WebDriverError("bad reply") when `v` is none.
std::string ElementId(const rapidjson::Value& v);
// Execute Script's parameters: `js` as a function body, without arguments.
std::string ScriptParams(const std::string& js);

// From the browser's list of cookies (a JSON array): name and value of each; the one named
// `name`, with its flags.
std::vector<std::pair<std::string, std::string>> CookieValues(const rapidjson::Value& cookies);
std::optional<Cookie> FindCookie(const rapidjson::Value& cookies, const std::string& name);

// Writes a screenshot the browser answered (base64 PNG text) to `png_path`; throws
// WebDriverError("bad reply") when it is not base64.
void WriteScreenshot(const rapidjson::Value& base64_png, const std::string& png_path);

}  // namespace mdm::test::wire
