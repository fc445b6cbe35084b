// What may reach PostgreSQL as text (core/utf8.h).
#include <catch2/catch.hpp>

#include <string>

#include "core/utf8.h"
#include "http/message.h"

using mdm::CheckUtf8;
using mdm::IsPrintableUtf8;
using mdm::Utf8;

TEST_CASE("utf8: well-formed text passes, broken or NUL-holding text does not", "[utf8]") {
  CHECK(CheckUtf8("") == Utf8::kOk);
  CHECK(CheckUtf8("iPhone de Zoë 📱") == Utf8::kOk);
  CHECK(CheckUtf8(std::string("A\0B", 3)) == Utf8::kNul);
  CHECK(CheckUtf8("\xFF\xFE") == Utf8::kInvalid);
  CHECK(CheckUtf8("\xC0\x80") == Utf8::kInvalid);          // overlong NUL
  CHECK(CheckUtf8("\xED\xA0\x80") == Utf8::kInvalid);      // a surrogate
  CHECK(CheckUtf8("\xF4\x90\x80\x80") == Utf8::kInvalid);  // past U+10FFFF
  CHECK(CheckUtf8("\xE2\x82") == Utf8::kInvalid);          // cut short
  CHECK(IsPrintableUtf8("/v1/devices/00008030-001A"));
  CHECK_FALSE(IsPrintableUtf8("/enroll/\x1b[2J"));
  CHECK_FALSE(IsPrintableUtf8("a\x7f"));
  CHECK_FALSE(IsPrintableUtf8("\xFF"));
}

TEST_CASE("utf8: a query value that is not UTF-8 text counts as malformed", "[utf8]") {
  std::string v;
  CHECK(mdm::http::QueryParam("format=%7B%22a%22%3A1%7D", "format", &v));
  CHECK(v == "{\"a\":1}");
  CHECK_FALSE(mdm::http::QueryParam("format=%FF%FE", "format", &v));
  CHECK_FALSE(mdm::http::QueryParam("format=a%00b", "format", &v));
  // A pretty-printed template may hold line breaks.
  CHECK(mdm::http::QueryParam("format=a%0Ab", "format", &v));
}
