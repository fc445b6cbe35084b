#include <catch2/catch.hpp>

#include <cstdlib>

#include "config/config.h"

using mdm::ParseConfig;

TEST_CASE("config: a full file parses", "[config]") {
  auto c = ParseConfig(
      "# comment\n"
      "database = host=/tmp dbname=mdm\n"
      "socket = /run/x.sock\n"
      "socket_mode = 0600\n"
      "threads = 8\n"
      "log_level = debug\n"
      "admin_api_key = k=with=equals\n"
      "max_body_bytes = 1000\n",
      "t.conf");
  REQUIRE(c.ok());
  CHECK(c->database == "host=/tmp dbname=mdm");
  CHECK(c->socket == "/run/x.sock");
  CHECK(c->socket_mode == 0600);
  CHECK(c->threads == 8);
  CHECK(c->log_level == mdm::log::Level::kDebug);
  CHECK(c->admin_api_key == "k=with=equals");
  CHECK(c->max_body_bytes == 1000);
}

TEST_CASE("config: defaults apply and database is required", "[config]") {
  auto c = ParseConfig("database = dbname=mdm\n", "t.conf");
  REQUIRE(c.ok());
  CHECK(c->workers == 4);
  CHECK(c->threads == 1);
  CHECK(c->request_cpu_seconds == 10);
  CHECK(c->max_body_bytes == 8u * 1024 * 1024);
  auto missing = ParseConfig("threads = 2\n", "t.conf");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("database"));
}

TEST_CASE("config: bad lines name the line and the fix", "[config]") {
  auto unknown = ParseConfig("database = x\nthreds = 2\n", "t.conf");
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.status().message(), Catch::Contains("t.conf:2") && Catch::Contains("unknown key 'threds'"));
  CHECK_FALSE(ParseConfig("database = x\nthreads = 0\n", "t").ok());
  CHECK_FALSE(ParseConfig("database = x\nthreads = -3\n", "t").ok());
  CHECK_FALSE(ParseConfig("database = x\nworkers = 0\n", "t").ok());
  CHECK_FALSE(ParseConfig("database = x\nrequest_cpu_seconds = lots\n", "t").ok());
  CHECK_FALSE(ParseConfig("database = x\nsocket_mode = 999\n", "t").ok());
  CHECK_FALSE(ParseConfig("database = x\nlog_level = loud\n", "t").ok());
  CHECK_FALSE(ParseConfig("database = x\nno equals sign\n", "t").ok());
  CHECK_FALSE(ParseConfig("database = x\nclient_cert_sources = signature,magic\n", "t").ok());
}

TEST_CASE("config: path resolution prefers the flag, then MDM_CONFIG", "[config]") {
  setenv("MDM_CONFIG", "/env/path.conf", 1);
  CHECK(mdm::ResolveConfigPath("/flag.conf") == "/flag.conf");
  CHECK(mdm::ResolveConfigPath("") == "/env/path.conf");
  unsetenv("MDM_CONFIG");
  CHECK(mdm::ResolveConfigPath("") == mdm::kDefaultConfigPath);
}

TEST_CASE("config: a missing file says what to do", "[config]") {
  auto c = mdm::LoadConfig("/nonexistent/mdm.conf");
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.status().message(), Catch::Contains("MDM_CONFIG"));
}
