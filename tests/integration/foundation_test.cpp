// The foundation through the real stack: nginx + mdm-fcgi + PostgreSQL.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "stack.h"

using mdm::test::SharedStack;

namespace {

// Every table and column of the public schema, as one text: to compare before and after.
std::string SchemaFingerprint(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  auto r = tx.exec(
      "SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' "
      "ORDER BY table_name, ordinal_position) FROM information_schema.columns WHERE table_schema = 'public'");
  auto m = tx.exec("SELECT string_agg(version::text || name || applied_at::text, ',' ORDER BY version) FROM schema_migrations");
  return r[0][0].c_str() + std::string("|") + m[0][0].c_str();
}

}  // namespace

TEST_CASE("migrations apply once; a second run changes nothing", "[foundation]") {
  auto& s = SharedStack();  // the harness already migrated once
  std::string before = SchemaFingerprint(s.pg().conninfo());
  auto r = s.Console({"migrate"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("0 applied now"));
  CHECK(SchemaFingerprint(s.pg().conninfo()) == before);
  CHECK_THAT(before, Catch::Contains("command_queue.status"));
  CHECK_THAT(before, Catch::Contains("enrollments.cert_sha256"));

  auto h = s.Console({"health"});
  INFO(h.output);
  CHECK(h.exit_code == 0);
}

TEST_CASE("health is 200, 503 while PostgreSQL is down, 200 again without restarting workers", "[foundation]") {
  auto& s = SharedStack();
  auto up = s.Get("/health");
  REQUIRE(up.error.empty());
  CHECK(up.status == 200);
  CHECK(up.body == "ok\n");

  s.pg().Stop();
  // Every worker thread must notice, not just one: ask more times than there are threads.
  for (int i = 0; i < 8; ++i) {
    auto down = s.Get("/health");
    CHECK(down.status == 503);
  }
  s.pg().Start();
  for (int i = 0; i < 8; ++i) {
    auto again = s.Get("/health");
    CHECK(again.status == 200);
  }
}

TEST_CASE("a body above max_body_bytes gets 413", "[foundation]") {
  auto& s = SharedStack();
  std::string big(1024 * 1024 + 1, 'x');  // the harness sets max_body_bytes to 1 MiB
  auto r = s.Send("PUT", "/checkin", big, {{"Content-Type", "application/x-apple-aspen-mdm-checkin"}});
  REQUIRE(r.error.empty());
  CHECK(r.status == 413);
  auto ok = s.Send("PUT", "/nowhere", std::string(1000, 'x'));
  CHECK(ok.status == 404);
}

TEST_CASE("an unknown route gets 404 with a reason", "[foundation]") {
  auto& s = SharedStack();
  auto r = s.Get("/no-such-route");
  REQUIRE(r.error.empty());
  CHECK(r.status == 404);
  CHECK_THAT(r.body, Catch::Contains("unknown route '/no-such-route'"));
  // Outside api-mdm.php nginx serves nothing of ours.
}

TEST_CASE("the console refuses a bad configuration with one clear sentence", "[foundation]") {
  auto r = mdm::test::Run({MDM_CONSOLE_BIN, "--config", "/nonexistent.conf", "migrate"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::StartsWith("mdm-console: cannot read the configuration file /nonexistent.conf"));
}
