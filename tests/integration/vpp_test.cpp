// Apps and Books (VPP) through the console: content tokens that are not, or no longer, good are
// refused with one sentence and change nothing; the verbs say what to do before a token exists.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "crypto/crypto.h"
#include "fake_vpp.h"
#include "plist/property_list.h"
#include "sim_device.h"
#include "stack.h"

using mdm::test::FakeVpp;
using mdm::test::ParseCommand;
using mdm::test::ReceivedCommand;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;
namespace plist = mdm::plist;

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

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

mdm::test::CommandResult Ok(const std::vector<std::string>& args) {
  auto r = Console(args);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return r;
}

// The server pointed at `vpp`, with the token of its first location uploaded.
void UseVpp(const FakeVpp& vpp) {
  Ok({"settings", "set", "api-url", "https://mdm.example.com/api-mdm.php"});
  Ok({"settings", "set", "vpp-url", vpp.url()});
  Ok({"settings", "set", "vpp-ca-file", File("vpp-ca.pem", mdm::test::ReadFile(vpp.ca_file()))});
}

SimDevice Enrolled() {
  static mdm::enroll::DeviceCa ca = SharedStack().DeviceCa();
  SimDevice d(SharedStack().base_url(), SharedStack().tls_cert(), ca);
  REQUIRE(d.Authenticate(Stack::kTopic).status == 200);
  plist::Owned extra(plist_new_dict());
  plist::SetString(extra.get(), "Topic", Stack::kTopic);
  plist::SetData(extra.get(), "Token", d.token());
  plist::SetString(extra.get(), "PushMagic", d.push_magic());
  REQUIRE(d.Checkin("TokenUpdate", extra.get()).status == 200);
  return d;
}

// The device checks in and answers everything it gets; returns what it got.
std::vector<ReceivedCommand> Drain(SimDevice& d) {
  std::vector<ReceivedCommand> got;
  auto c = ParseCommand(d.Idle());
  while (c) {
    auto next = ParseCommand(d.Answer(*c));
    got.push_back(std::move(*c));
    c = std::move(next);
  }
  return got;
}

const ReceivedCommand* Find(const std::vector<ReceivedCommand>& got, const std::string& type) {
  for (const auto& c : got)
    if (c.request_type == type) return &c;
  return nullptr;
}

std::string Cron() {
  auto r = Console({"mdmcron", "--no-push"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return r.output;
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

TEST_CASE("a VPP app for 3 devices with 2 licences: 2 installed, 1 short; one leaves and the third gets its licence", "[vpp]") {
  const std::string adam = "361309726";
  FakeVpp::Options o;
  o.locations = {FakeVpp::Location{"Example School"}};
  o.assets = {FakeVpp::Asset{adam, 2}};
  FakeVpp vpp(o);
  UseVpp(vpp);
  auto up = Ok({"vpp", "token", "upload", File("school.vpptoken", vpp.token_file())});
  CHECK_THAT(up.output, Catch::Contains("stored for location Example School"));
  REQUIRE(vpp.ClaimedBy());
  CHECK(vpp.ClaimedBy()->id == Q("SELECT value FROM settings WHERE name = 'server.uuid'"));
  CHECK_THAT(Ok({"vpp", "sync"}).output, Catch::Contains("1 asset(s)"));
  CHECK_THAT(Ok({"app", "add", "com.example.maps", "--vpp", adam, "--name", "Maps"}).output,
             Catch::Contains("location Example School (2 available of 2)"));
  Ok({"group", "create", "vpp-class"});
  std::vector<SimDevice> devices;
  for (int i = 0; i < 3; ++i) devices.push_back(Enrolled());
  std::sort(devices.begin(), devices.end(), [](const SimDevice& a, const SimDevice& b) { return a.serial() < b.serial(); });
  Ok({"group", "add-devices", "vpp-class", devices[0].udid(), devices[1].udid(), devices[2].udid()});
  Ok({"app", "assign", "com.example.maps", "vpp-class"});

  auto first = Cron();
  CHECK_THAT(first, Catch::Contains("2 associated, 1 short of licences") &&
                        Catch::Contains("short of licences: " + adam + ": 1 device(s) without a licence"));
  auto holders = vpp.Holders(adam);
  std::sort(holders.begin(), holders.end());
  CHECK(holders == std::vector<std::string>{devices[0].serial(), devices[1].serial()});
  CHECK(vpp.AssetOf(adam).available == 0);
  // The two with a licence get InstallApplication for the device (PurchaseMethod 1); the third nothing.
  for (int i = 0; i < 2; ++i) {
    auto got = Drain(devices[i]);
    const ReceivedCommand* install = Find(got, "InstallApplication");
    REQUIRE(install);
    CHECK(plist::GetInt(install->command.get(), "iTunesStoreID") == 361309726);
    plist_t options = plist::Get(install->command.get(), "Options");
    REQUIRE(options);
    CHECK(plist::GetInt(options, "PurchaseMethod") == 1);
  }
  CHECK_FALSE(Find(Drain(devices[2]), "InstallApplication"));
  auto show = Ok({"device", "show", devices[2].udid()});
  CHECK_THAT(show.output, Catch::Contains("short") && Catch::Contains("no licence left for this app in location Example School"));
  CHECK_THAT(Ok({"app", "show", "com.example.maps"}).output, Catch::Contains(devices[2].serial()) &&
                                                              Catch::Contains("associated"));
  CHECK_THAT(Ok({"app", "list"}).output, Catch::Contains("2/2 (0 free)"));
  // Nothing more to do: the next run asks Apple for no licence.
  size_t before = vpp.Requests().size();
  CHECK_THAT(Cron(), Catch::Contains("0 requested"));
  for (size_t i = before; i < vpp.Requests().size(); ++i) CHECK(vpp.Requests()[i].path != "/mdm/v2/assets/associate");

  // The first device leaves: RemoveApplication, then its licence goes back and to the third.
  Ok({"group", "remove-devices", "vpp-class", devices[0].udid()});
  CHECK_THAT(Cron(), Catch::Contains("apps +0 -1"));
  CHECK(Find(Drain(devices[0]), "RemoveApplication"));
  auto next = Cron();
  CHECK_THAT(next, Catch::Contains("1 associated") && Catch::Contains("1 released") && Catch::Contains("apps +1 -0"));
  holders = vpp.Holders(adam);
  std::sort(holders.begin(), holders.end());
  CHECK(holders == std::vector<std::string>{devices[1].serial(), devices[2].serial()});
  CHECK(Find(Drain(devices[2]), "InstallApplication"));
  CHECK(Q("SELECT state FROM vpp_licences WHERE serial_number = '" + devices[2].serial() + "'") == "associated");
  CHECK(Q("SELECT count(*) FROM vpp_licences WHERE serial_number = '" + devices[0].serial() + "'") == "0");
  Ok({"group", "delete", "vpp-class"});
  Ok({"vpp", "token", "remove", "Example School"});
}

TEST_CASE("a token another MDM holds is refused without --take-over; 429 waited out; one serial refused alone", "[vpp]") {
  const std::string adam = "408709785";
  FakeVpp::Options o;
  o.locations = {FakeVpp::Location{"Branch Office"}};
  o.locations[0].claimed_by = FakeVpp::MdmInfo{"other-mdm-id", "Other MDM", ""};
  o.assets = {FakeVpp::Asset{adam, 10}};
  FakeVpp vpp(o);
  UseVpp(vpp);
  std::string token = File("branch.vpptoken", vpp.token_file());
  auto refused = Console({"vpp", "token", "upload", token});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("in use by another MDM server, 'Other MDM'") && Catch::Contains("--take-over"));
  CHECK(Q("SELECT count(*) FROM vpp_tokens") == "0");
  CHECK(vpp.ClaimedBy()->id == "other-mdm-id");
  CHECK_THAT(Ok({"vpp", "token", "upload", token, "--take-over"}).output, Catch::Contains("taken over from Other MDM"));
  CHECK(vpp.ClaimedBy()->id != "other-mdm-id");

  // Apple asks to wait: the sync waits and goes on.
  vpp.SetControl(R"({"rate_limit": {"count": 2, "retry_after": 1}})");
  const auto start = std::chrono::steady_clock::now();
  auto sync = Ok({"vpp", "sync"});
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(2));
  CHECK_THAT(sync.output, Catch::Contains("1 asset(s)"));
  size_t limited = 0;
  for (const auto& r : vpp.Requests()) limited += r.status == 429;
  CHECK(limited == 2);

  // Apple refuses one serial: recorded for that device only, with Apple's reason.
  Ok({"app", "add", "com.example.notes", "--itunes-store-id", adam});
  CHECK_THAT(Ok({"app", "show", "com.example.notes"}).output, Catch::Contains("Branch Office"));
  Ok({"group", "create", "vpp-branch"});
  SimDevice a = Enrolled(), b = Enrolled();
  vpp.SetControl(R"({"unknown_serials": [")" + b.serial() + R"("]})");
  Ok({"group", "add-devices", "vpp-branch", a.udid(), b.udid()});
  Ok({"app", "assign", "com.example.notes", "vpp-branch"});
  auto cron = Cron();
  CHECK_THAT(cron, Catch::Contains("1 associated") && Catch::Contains("1 failed"));
  CHECK(Q("SELECT state FROM vpp_licences WHERE serial_number = '" + a.serial() + "'") == "associated");
  CHECK(Q("SELECT state || ' ' || error_number FROM vpp_licences WHERE serial_number = '" + b.serial() + "'") ==
        "failed 9609");
  CHECK_THAT(Ok({"device", "show", b.udid()}).output, Catch::Contains("Apple refused the licence (error 9609"));
  CHECK_THAT(Ok({"device", "show", a.udid()}).output, !Catch::Contains("Apple refused"));
  CHECK(Find(Drain(a), "InstallApplication"));
  CHECK_FALSE(Find(Drain(b), "InstallApplication"));
  Ok({"group", "delete", "vpp-branch"});
  Ok({"vpp", "token", "remove", "Branch Office"});
}

TEST_CASE("an expired or revoked token stops with a sentence naming vpp token upload", "[vpp]") {
  FakeVpp::Options o;
  o.locations = {FakeVpp::Location{"Revoked Place"}};
  FakeVpp vpp(o);
  UseVpp(vpp);
  Ok({"vpp", "token", "upload", File("revoked.vpptoken", vpp.token_file())});
  vpp.SetControl(R"({"revoked_locations": ["Revoked Place"]})");
  auto sync = Console({"vpp", "sync"});
  CHECK(sync.exit_code == 1);
  CHECK_THAT(sync.output, Catch::Contains("refused the content token (error 9625") &&
                              Catch::Contains("mdm-console vpp token upload"));
  auto status = Console({"status"});
  CHECK_THAT(status.output, Catch::Contains("Apps and Books token (Revoked Place) expires") &&
                                Catch::Contains("Apps and Books (Revoked Place): "));
  Ok({"vpp", "token", "remove", "Revoked Place"});
}
