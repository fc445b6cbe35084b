#include <catch2/catch.hpp>

#include "crypto/crypto.h"
#include "import/mysql.h"
#include "import/oco_fields.h"

using namespace mdm;
using namespace mdm::import;

TEST_CASE("import oco: the MySQL connection string is read like libpq's, and refused in a sentence", "[oco]") {
  auto p = ParseMysqlParams("host=db1 port=3307 user=oco_reader dbname='oco prod' socket='/run/my sql\\'s.sock'");
  REQUIRE(p.ok());
  CHECK(p->host == "db1");
  CHECK(p->port == 3307);
  CHECK(p->user == "oco_reader");
  CHECK(p->dbname == "oco prod");
  CHECK(p->socket == "/run/my sql's.sock");
  CHECK_FALSE(p->password_given);
  auto with_password = ParseMysqlParams("dbname=oco password=");
  REQUIRE(with_password.ok());
  CHECK(with_password->password_given);

  CHECK(ParseMysqlParams("host=db1 user=oco").status().message() ==
        "the MySQL connection string needs dbname=OCO's database");
  CHECK_THAT(ParseMysqlParams("dbname=oco sslmode=on").status().message(), Catch::Contains("unknown key 'sslmode'"));
  CHECK_THAT(ParseMysqlParams("dbname=oco port=99999").status().message(), Catch::Contains("port must be a number"));
  CHECK_THAT(ParseMysqlParams("dbname=oco port=").status().message(), Catch::Contains("port must be a number"));
  CHECK_THAT(ParseMysqlParams("dbname='oco").status().message(), Catch::Contains("opens a quote it does not close"));
  CHECK_THAT(ParseMysqlParams("oco").status().message(), Catch::Contains("key=value"));
}

TEST_CASE("import oco: OCO's os column gives the OS version", "[oco]") {
  CHECK(OcoOsVersion(std::string("iOS 17.4.1")) == std::optional<std::string>("17.4.1"));
  CHECK(OcoOsVersion(std::string("17.2")) == std::optional<std::string>("17.2"));
  CHECK_FALSE(OcoOsVersion(std::string("iOS")));  // as ABM writes it before the device enrolls
  CHECK_FALSE(OcoOsVersion(std::string("")));
  CHECK_FALSE(OcoOsVersion(std::nullopt));
}

TEST_CASE("import oco: push tokens as OCO stored them over its versions", "[oco]") {
  std::string raw = crypto::RandomBytes(32), out;
  REQUIRE(DecodeOcoPushToken(raw, &out));  // a BLOB (OCO 1.1.3 and later)
  CHECK(out == raw);
  REQUIRE(DecodeOcoPushToken(crypto::Base64Encode(raw), &out));  // base64 text (before)
  CHECK(out == raw);
  REQUIRE(DecodeOcoPushToken(crypto::Hex(raw), &out));
  CHECK(out == raw);
  CHECK_FALSE(DecodeOcoPushToken("not base64 at all!", &out));
  CHECK_FALSE(DecodeOcoPushToken("", &out));
}

TEST_CASE("import oco: a group name OCO uses twice becomes its path here", "[oco]") {
  std::vector<MysqlRow> rows = {{std::string("1"), std::nullopt, std::string("School")},
                                {std::string("2"), std::string("1"), std::string("Class 1")},
                                {std::string("3"), std::nullopt, std::string("Staff")},
                                {std::string("4"), std::string("3"), std::string("Class 1")},
                                {std::string("5"), std::string("4"), std::string("Lab")}};
  auto names = OcoGroupNames(rows);
  CHECK(names["1"] == "School");
  CHECK(names["2"] == "School/Class 1");
  CHECK(names["4"] == "Staff/Class 1");
  CHECK(names["5"] == "Lab");
}
