// The private MariaDB of the test harness: it starts, takes SQL as root, and its read-only
// account can read over TCP but not write.
#include <catch2/catch.hpp>

#include <string>

#include "maria_server.h"
#include "process.h"

using mdm::test::MariaServer;

namespace {

// The mariadb client as `user` over TCP (127.0.0.1 and the server's port), in database oco.
mdm::test::CommandResult ClientOverTcp(const MariaServer& m, const std::string& user, const std::string& password,
                                       const std::string& sql) {
  return mdm::test::Run({"mariadb", "--no-defaults", "--protocol=tcp", "--host=127.0.0.1",
                         "--port=" + std::to_string(m.port()), "--user=" + user, "--password=" + password,
                         "--batch", "--skip-column-names", MariaServer::kDatabase, "-e", sql});
}

}  // namespace

TEST_CASE("the private MariaDB starts, takes SQL and stops", "[maria]") {
  mdm::test::TempDir dir;
  MariaServer m(dir.path());
  REQUIRE(m.running());
  CHECK(m.port() > 0);
  CHECK(m.socket().size() < 100);

  m.Exec("CREATE TABLE devices (id INT PRIMARY KEY, serial VARCHAR(64) NOT NULL);");
  m.Exec("INSERT INTO devices VALUES (1, 'C02XK1ABJGH5'), (2, 'Ünïcødé-✓');");
  CHECK(m.Query("SELECT serial FROM devices WHERE id = 1") == "C02XK1ABJGH5");
  CHECK(m.Query("SELECT serial FROM devices WHERE id = 2") == "Ünïcødé-✓");
  CHECK(m.Query("SELECT id, serial FROM devices ORDER BY id") == "1\tC02XK1ABJGH5\n2\tÜnïcødé-✓");
  CHECK_THROWS_WITH(m.Exec("SELECT * FROM no_such_table"), Catch::Contains("doesn't exist"));

  // A script bigger than a pipe's buffer goes through stdin whole.
  std::string script;
  for (int i = 100; i < 5100; ++i) script += "INSERT INTO devices VALUES (" + std::to_string(i) + ", 'bulk');\n";
  m.Exec(script);
  CHECK(m.Query("SELECT COUNT(*) FROM devices WHERE serial = 'bulk'") == "5000");

  // The application's account over TCP can write; the reader can read, not write.
  auto app = ClientOverTcp(m, MariaServer::kUser, MariaServer::kPassword, "INSERT INTO devices VALUES (3, 'app')");
  INFO(app.output);
  CHECK(app.exit_code == 0);
  auto read =
      ClientOverTcp(m, MariaServer::kReader, MariaServer::kReaderPassword, "SELECT serial FROM devices WHERE id = 3");
  INFO(read.output);
  CHECK(read.exit_code == 0);
  CHECK(read.output == "app\n");
  auto write =
      ClientOverTcp(m, MariaServer::kReader, MariaServer::kReaderPassword, "INSERT INTO devices VALUES (4, 'no')");
  INFO(write.output);
  CHECK(write.exit_code != 0);
  CHECK_THAT(write.output, Catch::Contains("INSERT command denied"));
  CHECK(m.Query("SELECT COUNT(*) FROM devices WHERE id = 4") == "0");
  auto wrong = ClientOverTcp(m, MariaServer::kReader, "wrong", "SELECT 1");
  CHECK(wrong.exit_code != 0);

  // A restart keeps the data, the socket and the port.
  unsigned port = m.port();
  m.Stop();
  CHECK_FALSE(m.running());
  CHECK_THROWS(m.Query("SELECT 1"));
  m.Start();
  CHECK(m.port() == port);
  CHECK(m.Query("SELECT serial FROM devices WHERE id = 3") == "app");
  m.Stop();
  CHECK_FALSE(m.running());
}
