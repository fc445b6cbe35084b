#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "json/json.h"
#include "protocol/command_schema.h"
#include "service/admin_api.h"

using mdm::Status;
using mdm::json::Limits;
using mdm::json::Parse;

namespace {

Status ParseText(std::string_view text, const Limits& limits = {}) {
  rapidjson::Document d;
  return Parse(text, &d, limits);
}

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("json: valid documents parse", "[json]") {
  rapidjson::Document d;
  REQUIRE(Parse(R"({"enrollment_ids": ["A", "B"], "request_type": "DeviceLock", "parameters": {"PIN": "123456"},
                   "priority": -5, "force": true, "n": null, "x": 1.5e3, "big": 18446744073709551615})",
                &d)
              .ok());
  REQUIRE(d.IsObject());
  CHECK(d["enrollment_ids"].Size() == 2);
  CHECK(std::string(d["request_type"].GetString()) == "DeviceLock");
  CHECK(d["priority"].GetInt() == -5);
  CHECK(d["force"].GetBool());
  CHECK(d["n"].IsNull());
  CHECK(d["x"].GetDouble() == 1500.0);
  CHECK(d["big"].GetUint64() == 18446744073709551615ULL);

  for (const char* text : {"[]", "{}", "0", "\"\"", "true", " \n\t[1, [2, [3]]] \r\n", "\"caf\xC3\xA9 \\u00e9 \\ud83d\\ude00\""})
    CHECK(ParseText(text).ok());
  REQUIRE(Parse("\"\\ud83d\\ude00 \xF0\x9F\x98\x80\"", &d).ok());
  CHECK(std::string(d.GetString(), d.GetStringLength()) == "\xF0\x9F\x98\x80 \xF0\x9F\x98\x80");
  // Full precision: the double nearest to the decimal, not one a few ulps off.
  REQUIRE(Parse("0.30000000000000004", &d).ok());
  CHECK(d.GetDouble() == 0.30000000000000004);
  // A document parsed again replaces the first.
  REQUIRE(Parse("[1]", &d).ok());
  REQUIRE(Parse("{\"a\": 2}", &d).ok());
  CHECK(d["a"].GetInt() == 2);
}

TEST_CASE("json: four million opening brackets are refused quickly, without recursion", "[json]") {
  const std::string text(4'000'000, '[');
  rapidjson::Document d;
  auto start = std::chrono::steady_clock::now();
  Status s = Parse(text, &d);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("json: 4,000,000 '[' refused in %.3f ms: %s\n", ms, s.message().c_str());
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kInvalid);
  CHECK_THAT(s.message(), Catch::StartsWith("the JSON is nested deeper than 64 levels"));
  CHECK(d.IsNull());
  CHECK(ms < 1000);  // stops at the 65th '['; far less in practice

  // Objects count too, and so does a mix.
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  CHECK_THAT(ParseText(objects).message(), Catch::StartsWith("the JSON is nested deeper than 64 levels"));
  std::string mixed;
  for (int i = 0; i < 100000; ++i) mixed += i % 2 ? "[" : "{\"k\":";
  CHECK_THAT(ParseText(mixed).message(), Catch::StartsWith("the JSON is nested deeper than 64 levels"));
}

TEST_CASE("json: 64 levels are accepted, 65 refused", "[json]") {
  rapidjson::Document d;
  REQUIRE(Parse(Nested(64), &d).ok());
  const rapidjson::Value* v = &d;
  int depth = 0;
  while (v->IsArray() && !v->Empty()) {
    v = &(*v)[0];
    ++depth;
  }
  CHECK(depth == 63);  // 64 arrays: the innermost is empty
  Status s = ParseText(Nested(65));
  CHECK(s.message() == "the JSON is nested deeper than 64 levels at offset 64");  // the 65th [
  // Depth is nesting, not count: many siblings at a shallow level are fine.
  std::string wide = "[";
  for (int i = 0; i < 10000; ++i) {
    if (i) wide += ',';
    wide += Nested(10);
  }
  wide += "]";
  CHECK(ParseText(wide).ok());
  // Closing brings the count down again.
  CHECK(ParseText("[" + Nested(63) + "," + Nested(63) + "]").ok());
  // A limit of our own.
  CHECK(ParseText(Nested(3), Limits{.max_depth = 3}).ok());
  CHECK(ParseText(Nested(4), Limits{.max_depth = 3}).message() == "the JSON is nested deeper than 3 levels at offset 3");
  CHECK(ParseText(Nested(65), mdm::json::kStoredLimits).ok());
}

TEST_CASE("json: an escaped NUL in a string or a key is refused", "[json]") {
  Status s = ParseText(R"({"request_type": "DeviceLock\u0000x"})");
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::StartsWith("a JSON string holds a NUL character (\\u0000)"));
  CHECK_THAT(ParseText(R"({"a\u0000b": 1})").message(), Catch::StartsWith("a JSON string holds a NUL character"));
  CHECK_THAT(ParseText(R"(["\u0000"])").message(), Catch::StartsWith("a JSON string holds a NUL character"));
  // A raw NUL byte: inside a string, and after the document (where rapidjson's stream would
  // otherwise take it for the end and ignore what follows).
  CHECK_THAT(ParseText(std::string_view("[\"a\0b\"]", 7)).message(), Catch::StartsWith("not valid JSON: a NUL byte"));
  CHECK(ParseText(std::string_view("{}\0{\"x\":1}", 10)).message() == "not valid JSON: a NUL byte at offset 2");
  // An escaped backslash followed by u0000 is text, not NUL.
  rapidjson::Document d;
  REQUIRE(Parse(R"(["\\u0000"])", &d).ok());
  CHECK(std::string(d[0].GetString()) == "\\u0000");
}

TEST_CASE("json: invalid UTF-8 is refused", "[json]") {
  const char* bad[] = {
      "[\"\xFF\"]",              // never in UTF-8
      "[\"\xC0\xAF\"]",          // overlong '/'
      "[\"\xE0\x80\xAF\"]",      // overlong, three bytes
      "[\"\xED\xA0\x80\"]",      // U+D800 encoded
      "[\"\xED\xBF\xBF\"]",      // U+DFFF encoded
      "[\"\xF4\x90\x80\x80\"]",  // above U+10FFFF
      "[\"\xC3\"]",              // truncated sequence
      "{\"k\xFF\": 1}",          // in a key
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_THAT(ParseText(text).message(), Catch::StartsWith("the JSON is not valid UTF-8"));
  }
  // Outside strings a non-ASCII byte is not JSON at all.
  CHECK_THAT(ParseText("\xFF").message(), Catch::StartsWith("not valid JSON: "));
  // Escapes that would decode to a surrogate alone.
  CHECK_THAT(ParseText(R"(["\udc00"])").message(), Catch::StartsWith("the JSON is not valid UTF-8"));
  CHECK_THAT(ParseText(R"(["\ud800"])").message(), Catch::StartsWith("not valid JSON: "));
  CHECK_THAT(ParseText(R"(["\ud800\u0041"])").message(), Catch::StartsWith("not valid JSON: "));
  // A byte order mark: refused with a sentence that says what to do (PostgreSQL's jsonb refuses it).
  CHECK(ParseText("\xEF\xBB\xBF{}").message() == "the JSON starts with a byte order mark: save it as UTF-8 without one");
  CHECK_THAT(ParseText("\xBB{}").message(), Catch::StartsWith("not valid JSON: "));
  CHECK(ParseText("[\"\xED\x9F\xBF \xEE\x80\x80\"]").ok());  // U+D7FF and U+E000 are fine
}

TEST_CASE("json: a string or key over the length limit is refused", "[json]") {
  const Limits small{.max_string_bytes = 16};
  CHECK(ParseText("[\"" + std::string(16, 'x') + "\"]", small).ok());
  CHECK(ParseText("[\"" + std::string(17, 'x') + "\"]", small).message() ==
        "a JSON string is longer than 16 bytes at offset 20");
  CHECK_THAT(ParseText("{\"" + std::string(17, 'k') + "\": 1}", small).message(),
             Catch::StartsWith("a JSON string is longer than 16 bytes"));
  // The default: 8 MiB.
  const std::string long_string = "[\"" + std::string((size_t{8} << 20) + 1, 'x') + "\"]";
  CHECK_THAT(ParseText(long_string).message(), Catch::StartsWith("a JSON string is longer than 8388608 bytes"));
  CHECK(ParseText(long_string, mdm::json::kStoredLimits).ok());
}

TEST_CASE("json: text without a NUL terminator is read to its length exactly", "[json]") {
  const std::string buffer = R"({"a": [1, 2, 3], "b": "xyz"}{"c": 4}trailing)";
  const std::string_view first(buffer.data(), buffer.find('}', buffer.find(']')) + 1);
  rapidjson::Document d;
  REQUIRE(Parse(first, &d).ok());
  CHECK(d.MemberCount() == 2);
  CHECK(d["a"].Size() == 3);
  CHECK(std::string(d["b"].GetString(), d["b"].GetStringLength()) == "xyz");
  // A number at the very end of the view, followed in memory by more digits.
  const std::string digits = "12345678";
  REQUIRE(Parse(std::string_view(digits.data(), 3), &d).ok());
  CHECK(d.GetInt() == 123);
  // A string cut by the view's end.
  CHECK_THAT(ParseText(std::string_view(buffer.data(), 25)).message(), Catch::StartsWith("not valid JSON: "));
  CHECK_THAT(ParseText(std::string_view()).message(), Catch::StartsWith("not valid JSON: the document is empty"));
}

TEST_CASE("json: trailing garbage is refused", "[json]") {
  CHECK(ParseText("{} x").message() == "not valid JSON: the document root must not be followed by other values at offset 3");
  CHECK_THAT(ParseText("[1] [2]").message(), Catch::StartsWith("not valid JSON: "));
  CHECK_THAT(ParseText("{\"a\": 1},").message(), Catch::StartsWith("not valid JSON: "));
  CHECK(ParseText("{} \n\t ").ok());
  CHECK_THAT(ParseText("[1, 2,]").message(), Catch::StartsWith("not valid JSON: "));
  CHECK_THAT(ParseText("[NaN]").message(), Catch::StartsWith("not valid JSON: "));
  CHECK_THAT(ParseText("{'a': 1}").message(), Catch::StartsWith("not valid JSON: "));
  // After a failure the document is null, whatever it held before.
  rapidjson::Document d;
  REQUIRE(Parse("[1]", &d).ok());
  CHECK_FALSE(Parse("[1", &d).ok());
  CHECK(d.IsNull());
}

// The admin API's request_type reaches CommandFromJson with its length: a NUL cannot cut
// "DeviceLock\0x" down to DeviceLock even if such a value is built without the parser.
TEST_CASE("json: CommandFromJson does not cut a name or a value at a NUL", "[json]") {
  rapidjson::Value empty(rapidjson::kObjectType);
  auto built = mdm::protocol::CommandFromJson(std::string_view("DeviceLock\0x", 12), empty);
  REQUIRE_FALSE(built.ok());
  CHECK_THAT(built.status().message(), Catch::StartsWith("unknown RequestType"));

  rapidjson::Document params(rapidjson::kObjectType);
  auto& a = params.GetAllocator();
  params.AddMember(rapidjson::Value("PIN\0x", 5, a), rapidjson::Value("123456", a), a);
  auto key = mdm::protocol::CommandFromJson("DeviceLock", params);
  REQUIRE_FALSE(key.ok());
  CHECK_THAT(key.status().message(), Catch::Contains("NUL"));

  rapidjson::Document value(rapidjson::kObjectType);
  value.AddMember("Message", rapidjson::Value("hi\0there", 8, value.GetAllocator()), value.GetAllocator());
  auto cut = mdm::protocol::CommandFromJson("DeviceLock", value);
  REQUIRE_FALSE(cut.ok());
  CHECK_THAT(cut.status().message(), Catch::Contains("NUL"));

  REQUIRE(ParseText("{\"PIN\": \"123456\"}").ok());
  rapidjson::Document fine;
  REQUIRE(Parse("{\"PIN\": \"123456\", \"Message\": \"hi\"}", &fine).ok());
  CHECK(mdm::protocol::CommandFromJson("DeviceLock", fine).ok());
}

TEST_CASE("json: admin API Authorization takes Bearer in any case, and X-API-Key", "[json][admin_api]") {
  using mdm::service::BearerOrApiKeyMatches;
  const std::string key = "s3cret-KEY";
  auto with = [](std::initializer_list<std::pair<const char*, const char*>> headers) {
    mdm::http::Request r;
    for (const auto& [name, value] : headers) r.headers[name] = value;
    return r;
  };
  for (const char* auth : {"Bearer s3cret-KEY", "bearer s3cret-KEY", "BEARER s3cret-KEY", "BeArEr s3cret-KEY",
                           "Bearer  s3cret-KEY", "Bearer\ts3cret-KEY", "Bearer s3cret-KEY  "}) {
    INFO(auth);
    CHECK(BearerOrApiKeyMatches(with({{"authorization", auth}}), key));
  }
  for (const char* auth : {"Bearer s3cret-key", "Bearer s3cret-KEY2", "Bearers3cret-KEY", "Bearer", "Bearer ",
                           "Basic s3cret-KEY", "s3cret-KEY", "Bearer x s3cret-KEY", ""}) {
    INFO(auth);
    CHECK_FALSE(BearerOrApiKeyMatches(with({{"authorization", auth}}), key));
  }
  CHECK(BearerOrApiKeyMatches(with({{"x-api-key", "s3cret-KEY"}}), key));
  CHECK_FALSE(BearerOrApiKeyMatches(with({{"x-api-key", "s3cret-KE"}}), key));
  CHECK_FALSE(BearerOrApiKeyMatches(with({{"x-api-key", ""}}), key));
  // Another scheme leaves the decision to X-API-Key; a Bearer token decides on its own.
  CHECK(BearerOrApiKeyMatches(with({{"authorization", "Basic Zm9vOmJhcg=="}, {"x-api-key", "s3cret-KEY"}}), key));
  CHECK_FALSE(BearerOrApiKeyMatches(with({{"authorization", "Bearer wrong"}, {"x-api-key", "s3cret-KEY"}}), key));
  // No key configured: nobody gets in.
  CHECK_FALSE(BearerOrApiKeyMatches(with({{"authorization", "Bearer "}}), ""));
  CHECK_FALSE(BearerOrApiKeyMatches(with({{"x-api-key", ""}}), ""));
  CHECK_FALSE(BearerOrApiKeyMatches(with({}), key));
}

TEST_CASE("json: a zero with an exponent is zero, not garbage (found by json_fuzz)", "[json]") {
  for (const char* text : {"0e53", "-0E+300", "0.000e-400", "[0e53]"}) {
    INFO(text);
    rapidjson::Document d;
    REQUIRE(mdm::json::Parse(text, &d).ok());
    const rapidjson::Value& v = d.IsArray() ? d[0] : d;
    CHECK(v.GetDouble() == 0.0);
  }
  rapidjson::Document d;
  REQUIRE(mdm::json::Parse("{\"X\": 0e53, \"Y\": 123.456e2}", &d).ok());
  CHECK(d["X"].GetDouble() == 0.0);
  CHECK(d["Y"].GetDouble() == Approx(12345.6));
}
