#include <catch2/catch.hpp>

#include "http/message.h"

using namespace mdm::http;

TEST_CASE("http: url decoding", "[http]") {
  std::string out;
  CHECK(UrlDecode("a%20b+c", &out, true));
  CHECK(out == "a b c");
  CHECK(UrlDecode("a+b", &out, false));
  CHECK(out == "a+b");
  CHECK(UrlDecode("%2d%2D", &out, false));
  CHECK(out == "--");
  CHECK_FALSE(UrlDecode("%", &out, false));
  CHECK_FALSE(UrlDecode("%4", &out, false));
  CHECK_FALSE(UrlDecode("%zz", &out, false));
}

TEST_CASE("http: query parameters", "[http]") {
  std::string v;
  CHECK(QueryParam("operation=GetCACaps&message=x%2By", "message", &v));
  CHECK(v == "x+y");
  CHECK(QueryParam("a&format=json", "format", &v));
  CHECK(v == "json");
  CHECK(QueryParam("a", "a", &v));
  CHECK(v.empty());
  CHECK_FALSE(QueryParam("", "a", &v));
  CHECK_FALSE(QueryParam("ab=1", "a", &v));
}

TEST_CASE("http: responses carry a reason for the log", "[http]") {
  auto r = Response::Text(404, "unknown route");
  CHECK(r.status == 404);
  CHECK(r.body == "unknown route\n");
  CHECK(r.reason == "unknown route");
  CHECK(std::string(ReasonPhrase(413)) == "Payload Too Large");
}
