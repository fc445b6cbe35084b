#include <catch2/catch.hpp>

#include "plist/property_list.h"

using mdm::plist::ValidUtf8;

TEST_CASE("plist: ValidUtf8 keeps valid text and repairs the rest", "[plist]") {
  CHECK(ValidUtf8("") == "");
  CHECK(ValidUtf8("iPhone \xC3\xA9\xF0\x9F\x98\x80") == "iPhone \xC3\xA9\xF0\x9F\x98\x80");
  CHECK(ValidUtf8(std::string("a\0b", 3)) == "ab");                    // NUL dropped
  CHECK(ValidUtf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");                 // broken byte
  CHECK(ValidUtf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");           // overlong
  CHECK(ValidUtf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(ValidUtf8("x\xE2\x82") == "x\xEF\xBF\xBD\xEF\xBF\xBD");         // cut short
}
