// Apps and Books (VPP) through the console: content tokens that are not, or no longer, good are
// refused with one sentence and change nothing; the verbs say what to do before a token exists.
#include <catch2/catch.hpp>

#include <ctime>

#include "crypto/crypto.h"
#include "stack.h"

using mdm::test::SharedStack;

namespace {

mdm::test::CommandResult Console(const std::vector<std::string>& args) { return SharedStack().Console(args); }

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  mdm::test::WriteFile(path, data);
  return path;
}

std::string TokenFile(const std::string& exp_date) {
  return mdm::crypto::Base64Encode(R"({"token":"c2VjcmV0","expDate":")" + exp_date + R"(","orgName":"Example School"})");
}

void CheckRefused(const std::string& name, const std::string& bytes, const std::string& sentence) {
  auto r = Console({"vpp", "token", "upload", File(name, bytes)});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains(sentence));
  CHECK(SharedStack().Query("SELECT count(*) FROM vpp_tokens") == "0");
}

}  // namespace

TEST_CASE("vpp token upload refuses garbage, a truncated file and an expired token, storing nothing", "[vpp]") {
  CheckRefused("garbage.vpptoken", "this is not a token\n", "not base64");
  CheckRefused("profile.vpptoken", "<?xml version=\"1.0\"?><plist></plist>", "not an Apps and Books content token");
  const std::string good = TokenFile("2030-11-08T22:33:22-0800");
  CheckRefused("truncated.vpptoken", good.substr(0, good.size() / 2), "truncated");
  CheckRefused("expired.vpptoken", TokenFile("2020-01-01T00:00:00+0000"), "expired on");
  CheckRefused("empty.vpptoken", "", "empty");
  auto missing = Console({"vpp", "token", "upload", SharedStack().root() + "/no-such.vpptoken"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("cannot read"));
}

TEST_CASE("before any token: vpp sync and app add --vpp say what to do; status and mdmcron are quiet", "[vpp]") {
  auto sync = Console({"vpp", "sync"});
  CHECK(sync.exit_code == 1);
  CHECK_THAT(sync.output, Catch::Contains("vpp token upload FILE.vpptoken"));
  auto app = Console({"app", "add", "com.example.maps", "--vpp", "1234567890"});
  CHECK(app.exit_code == 1);
  CHECK_THAT(app.output, Catch::Contains("owns adamId 1234567890") && Catch::Contains("vpp sync"));
  CHECK(SharedStack().Query("SELECT count(*) FROM apps WHERE identifier = 'com.example.maps'") == "0");
  auto plain = Console({"app", "add", "com.example.plain", "--itunes-store-id", "42"});
  CHECK(plain.exit_code == 0);
  CHECK_THAT(plain.output, !Catch::Contains("Apps and Books"));
  auto cron = Console({"mdmcron", "--no-push"});
  INFO(cron.output);
  CHECK(cron.exit_code == 0);
  CHECK_THAT(cron.output, !Catch::Contains("licences"));
  auto list = Console({"vpp", "token", "list"});
  CHECK(list.exit_code == 0);
  CHECK_THAT(list.output, Catch::Contains("0 location(s)"));
}
