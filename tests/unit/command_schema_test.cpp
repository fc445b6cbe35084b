#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "protocol/command_schema.h"

using namespace mdm;
using namespace mdm::protocol;

namespace {

plist::Owned Command(const char* request_type) {
  plist::Owned c(plist_new_dict());
  plist::SetString(c.get(), "RequestType", request_type);
  return c;
}

std::string BuildError(std::string_view request_type, std::vector<std::string> key_values,
                       Channel channel = Channel::kDevice) {
  auto r = BuildCommand(request_type, key_values, channel);
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

}  // namespace

TEST_CASE("command schema: the table knows Apple's commands", "[command_schema]") {
  CHECK(AllCommands().size() >= 60);
  for (const char* name : {"DeviceLock", "DeviceInformation", "InstallProfile", "RemoveProfile",
                           "EraseDevice", "InstallApplication", "DeclarativeManagement",
                           "DeviceConfigured", "ProfileList", "InstalledApplicationList",
                           "SecurityInfo", "CertificateList"}) {
    INFO(name);
    const CommandSpec* spec = FindCommand(name);
    REQUIRE(spec);
    CHECK(spec->request_type == name);
  }
  CHECK(FindCommand("NoSuchCommand") == nullptr);
  CHECK(FindCommand("") == nullptr);

  const CommandSpec* install = FindCommand("InstallProfile");
  REQUIRE(install->keys.size() == 1);
  CHECK(install->keys[0].name == "Payload");
  CHECK(install->keys[0].type == ValueType::kData);
  CHECK(install->keys[0].required);
  CHECK(install->device_channel);
  CHECK(install->user_channel);

  const CommandSpec* erase = FindCommand("EraseDevice");
  CHECK(erase->device_channel);
  CHECK_FALSE(erase->user_channel);
  CHECK_FALSE(FindCommand("NSExtensionMappings")->device_channel);  // macOS user channel only
}

TEST_CASE("command schema: validation names the key path", "[command_schema]") {
  auto c = Command("InstallProfile");
  CHECK(ValidateCommand(c.get(), Channel::kDevice).message() ==
        "InstallProfile: required key 'Payload' is missing");
  plist::SetData(c.get(), "Payload", "<plist/>");
  plist::SetString(c.get(), "SomethingNewFromApple", "x");  // unknown keys pass
  CHECK(ValidateCommand(c.get(), Channel::kDevice).ok());

  auto lock = Command("DeviceLock");
  plist::SetInt(lock.get(), "Message", 7);
  CHECK(ValidateCommand(lock.get(), Channel::kDevice).message() ==
        "DeviceLock: key 'Message' must be a string, found integer");

  auto erase = Command("EraseDevice");
  plist::Set(erase.get(), "ReturnToService", plist_new_dict());
  CHECK(ValidateCommand(erase.get(), Channel::kDevice).message() ==
        "EraseDevice: required key 'ReturnToService.Enabled' is missing");
  plist::SetString(erase.get(), "ObliterationBehavior", "Sometimes");
  plist::SetBool(plist::Get(erase.get(), "ReturnToService"), "Enabled", true);
  CHECK(ValidateCommand(erase.get(), Channel::kDevice).message() ==
        "EraseDevice: key 'ObliterationBehavior' must be one of Default, DoNotObliterate, "
        "ObliterateWithWarning, Always, found 'Sometimes'");

  auto unknown = Command("NoSuchCommand");
  CHECK(ValidateCommand(unknown.get(), Channel::kDevice).message() ==
        "unknown RequestType 'NoSuchCommand'");
  plist::Owned bare(plist_new_dict());
  CHECK_FALSE(ValidateCommand(bare.get(), Channel::kDevice).ok());
}

TEST_CASE("command schema: channels are honoured", "[command_schema]") {
  auto erase = Command("EraseDevice");
  CHECK(ValidateCommand(erase.get(), Channel::kDevice).ok());
  CHECK(ValidateCommand(erase.get(), Channel::kUser).message() ==
        "EraseDevice: not supported on the user channel");
  CHECK(BuildError("ActiveNSExtensions", {}, Channel::kDevice) ==
        "ActiveNSExtensions: not supported on the device channel");
  CHECK(BuildCommand("ActiveNSExtensions", {}, Channel::kUser).ok());
}

TEST_CASE("command schema: arrays of items", "[command_schema]") {
  auto r = BuildCommand("DeviceInformation", {"Queries=a,b"}, Channel::kUser);
  REQUIRE(r.ok());
  plist_t queries = plist::Get(r->get(), "Queries");
  REQUIRE(plist_get_node_type(queries) == PLIST_ARRAY);
  REQUIRE(plist_array_get_size(queries) == 2);
  CHECK(plist::StringValue(plist_array_get_item(queries, 0)) == "a");
  CHECK(plist::StringValue(plist_array_get_item(queries, 1)) == "b");
  CHECK(plist::GetString(r->get(), "RequestType") == "DeviceInformation");

  CHECK(BuildError("InstalledApplicationList", {"Items=Name,Colour"}) ==
        "InstalledApplicationList: key 'Items[1]' must be one of AdHocCodeSigned, "
        "AppStoreVendable, BetaApp, BundleSize, DeviceBasedVPP, DistributorIdentifier, "
        "DynamicSize, ExternalVersionIdentifier, HasUpdateAvailable, Identifier, Installing, "
        "IsAppClip, IsValidated, Name, ShortVersion, Version, found 'Colour'");

  auto empty = BuildCommand("InstalledApplicationList", {"Identifiers="}, Channel::kDevice);
  REQUIRE(empty.ok());
  CHECK(plist_array_get_size(plist::Get(empty->get(), "Identifiers")) == 0);
}

TEST_CASE("command schema: Settings items follow the spec their Item names", "[command_schema]") {
  auto c = Command("Settings");
  plist_t settings = plist_new_array();
  plist::Set(c.get(), "Settings", settings);
  plist_t wallpaper = plist_new_dict();
  plist::SetString(wallpaper, "Item", "Wallpaper");
  plist::SetInt(wallpaper, "Where", 1);
  plist_array_append_item(settings, wallpaper);
  CHECK(ValidateCommand(c.get(), Channel::kDevice).message() ==
        "Settings: required key 'Settings[0].Image' is missing");
  plist::SetData(wallpaper, "Image", "png");
  CHECK(ValidateCommand(c.get(), Channel::kDevice).ok());
  plist::SetString(wallpaper, "Item", "Weather");
  CHECK_THAT(ValidateCommand(c.get(), Channel::kDevice).message(),
             Catch::StartsWith("Settings: key 'Settings[0]' must be a dictionary with an Item of "
                               "Wallpaper, DataRoaming,"));
  CHECK_THAT(BuildError("Settings", {"Settings=x"}), Catch::Contains("--plist FILE"));
}

TEST_CASE("command schema: scalar parsing", "[command_schema]") {
  for (auto [text, want] : {std::pair{"yes", true}, {"TRUE", true}, {"1", true}, {"no", false},
                            {"false", false}, {"0", false}}) {
    INFO(text);
    auto r = BuildCommand("CertificateList", {std::string("ManagedOnly=") + text}, Channel::kUser);
    REQUIRE(r.ok());
    CHECK(plist::GetBool(r->get(), "ManagedOnly") == want);
  }
  CHECK(BuildError("CertificateList", {"ManagedOnly=maybe"}) ==
        "CertificateList: key 'ManagedOnly' must be true, false, yes, no, 1 or 0, found 'maybe'");

  auto mirror = BuildCommand("RequestMirroring", {"ScanTime=30"}, Channel::kDevice);
  REQUIRE(mirror.ok());
  CHECK(plist::GetInt(mirror->get(), "ScanTime") == 30);
  CHECK(BuildError("RequestMirroring", {"ScanTime=3O"}) ==
        "RequestMirroring: key 'ScanTime' must be an integer, found '3O'");
  CHECK(BuildError("RequestMirroring", {"ScanTime="}) ==
        "RequestMirroring: key 'ScanTime' must be an integer, found ''");
  CHECK_THAT(BuildError("InstallApplication", {"ManagementFlags=2"}),
             Catch::Contains("must be one of 1, 4, 5, found '2'"));
  CHECK(BuildCommand("InstallApplication", {"ManagementFlags=4"}, Channel::kDevice).ok());
}

TEST_CASE("command schema: data from base64 or a file", "[command_schema]") {
  for (auto [text, want] : {std::pair{"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"},
                            {"Zm9vYmFy", "foobar"}, {"", ""}}) {
    INFO(text);
    auto r = BuildCommand("InstallProfile", {std::string("Payload=") + text}, Channel::kDevice);
    REQUIRE(r.ok());
    CHECK(plist::GetData(r->get(), "Payload") == want);
  }
  for (const char* bad : {"Zm9", "Zg=a", "Z===", "Zm9v!!!!", " Zm9"}) {
    INFO(bad);
    CHECK(BuildError("InstallProfile", {std::string("Payload=") + bad}) ==
          "InstallProfile: key 'Payload' must be base64 or @FILE");
  }

  std::string path = "/tmp/command_schema_test_" + std::to_string(::getpid());
  std::string bytes("\x00\xff<plist>\n", 10);
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  auto r = BuildCommand("InstallProfile", {"Payload=@" + path}, Channel::kDevice);
  std::remove(path.c_str());
  REQUIRE(r.ok());
  CHECK(plist::GetData(r->get(), "Payload") == bytes);
  CHECK_THAT(BuildError("InstallProfile", {"Payload=@" + path}),
             Catch::StartsWith("InstallProfile: key 'Payload' cannot read '" + path + "'"));
  CHECK_THAT(BuildError("InstallProfile", {"Payload=@/"}), Catch::Contains("cannot read '/'"));
}

TEST_CASE("command schema: the builder refuses what it cannot type", "[command_schema]") {
  CHECK(BuildError("DeviceLock", {"Mesage=hi"}) ==
        "DeviceLock: unknown key 'Mesage'; known keys: Message, PhoneNumber, PIN");
  CHECK(BuildError("DeviceConfigured", {"Foo=1"}) ==
        "DeviceConfigured: unknown key 'Foo'; known keys: none");
  CHECK(BuildError("NoSuchCommand", {}) == "unknown RequestType 'NoSuchCommand'");
  CHECK(BuildError("DeviceLock", {"Message"}) == "DeviceLock: 'Message' is not key=value");
  CHECK(BuildError("DeviceLock", {"Message=a", "Message=b"}) ==
        "DeviceLock: key 'Message' given twice");
  CHECK(BuildError("InstallProfile", {}) == "InstallProfile: required key 'Payload' is missing");
  CHECK(BuildError("EraseDevice", {"ReturnToService=yes"}) ==
        "EraseDevice: key 'ReturnToService' holds dictionaries, which key=value cannot express; "
        "give the command with --plist FILE");
  CHECK_THAT(BuildError("ScheduleOSUpdate", {"Updates=x"}), Catch::Contains("--plist FILE"));

  auto lock = BuildCommand("DeviceLock", {"Message=a=b, c", "PIN=123456"}, Channel::kDevice);
  REQUIRE(lock.ok());
  CHECK(plist::GetString(lock->get(), "Message") == "a=b, c");
  CHECK(plist::GetString(lock->get(), "PIN") == "123456");
}

TEST_CASE("command schema: NearestRequestTypes suggests what was meant", "[command_schema]") {
  using V = std::vector<std::string>;
  // A part of the name: the shortest type holding it wins, the longer ones holding "lock" too
  // (ActivationLockBypassCode, ClearActivationLockBypassCode) are too far behind.
  CHECK(NearestRequestTypes("Lock") == V{"DeviceLock"});
  CHECK(NearestRequestTypes("lock") == V{"DeviceLock"});
  CHECK(NearestRequestTypes("Restart") == V{"RestartDevice"});
  CHECK(NearestRequestTypes("Erase") == V{"EraseDevice"});
  CHECK(NearestRequestTypes("Shutdown") == V{"ShutDownDevice"});
  CHECK(NearestRequestTypes("DeviceInfo") == V{"DeviceInformation"});
  // Case alone, and typing mistakes.
  CHECK(NearestRequestTypes("devicelock") == V{"DeviceLock"});
  CHECK(NearestRequestTypes("DEVICEINFORMATION") == V{"DeviceInformation"});
  CHECK(NearestRequestTypes("DeviceLok") == V{"DeviceLock"});
  CHECK(NearestRequestTypes("InstallProfil") == V{"InstallProfile"});
  CHECK(NearestRequestTypes("SecurityInfos") == V{"SecurityInfo"});
  // A known type with more around it.
  CHECK(NearestRequestTypes("DeviceLockNow") == V{"DeviceLock"});
  // Several near ones, best first and at most three.
  CHECK(NearestRequestTypes("Profile") == V{"ProfileList", "RemoveProfile"});
  auto several = NearestRequestTypes("Application");
  CHECK(several.size() <= 3);
  CHECK_FALSE(several.empty());
  for (const auto& name : several) CHECK(FindCommand(name));
  // An exact name comes back as itself.
  CHECK(NearestRequestTypes("DeviceLock") == V{"DeviceLock"});
  // Nothing near, nothing said.
  CHECK(NearestRequestTypes("Wipe").empty());
  CHECK(NearestRequestTypes("").empty());
  CHECK(NearestRequestTypes("00008030-001A2B3C4D5E6F70").empty());
  CHECK(NearestRequestTypes(std::string(100000, 'a')).empty());
}

TEST_CASE("command schema: every suggestion is one of Apple's request types", "[command_schema]") {
  for (const CommandSpec& spec : AllCommands()) {
    std::string name(spec.request_type);
    INFO(name);
    auto exact = NearestRequestTypes(name);
    REQUIRE_FALSE(exact.empty());
    CHECK(exact.front() == name);
    // One character dropped still finds it among the suggestions.
    auto dropped = NearestRequestTypes(name.substr(0, name.size() - 1));
    CHECK(std::find(dropped.begin(), dropped.end(), name) != dropped.end());
  }
}
