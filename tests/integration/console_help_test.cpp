// What a newcomer meets in mdm-console (issue 19): every verb's --help has a purpose, its flags
// and an example; the common mistakes get one sentence that says what is wrong and what to do.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "sim_device.h"
#include "console_checks.h"
#include "stack.h"

using mdm::test::SharedStack;

namespace {

mdm::test::CommandResult Console(const std::vector<std::string>& args) { return SharedStack().Console(args); }

std::string File(const std::string& name, const std::string& data) {
  std::string path = SharedStack().root() + "/" + name;
  mdm::test::WriteFile(path, data);
  return path;
}


void CheckRefused(const std::vector<std::string>& args, const std::string& says) {
  mdm::test::CheckRefused(SharedStack(), args, says);
}

// The verbs `mdm-console help` lists, with their one-line purpose.
std::vector<std::pair<std::string, std::string>> Verbs() {
  auto r = Console({"help"});
  REQUIRE(r.exit_code == 0);
  std::vector<std::pair<std::string, std::string>> verbs;
  std::istringstream lines(r.output);
  bool in_list = false;
  for (std::string line; std::getline(lines, line);) {
    if (line == "verbs:") {
      in_list = true;
      continue;
    }
    if (!in_list || line.rfind("  ", 0) != 0) continue;
    std::istringstream words(line);
    std::string name;
    words >> name;
    std::string summary;
    std::getline(words, summary);
    summary.erase(0, summary.find_first_not_of(' '));
    verbs.emplace_back(name, summary);
  }
  return verbs;
}

}  // namespace

TEST_CASE("every verb's --help says what it is for, its flags and an example", "[console]") {
  auto verbs = Verbs();
  CHECK(verbs.size() >= 18);
  for (const auto& [name, summary] : verbs) {
    INFO(name);
    CHECK(summary.size() > 10);
    auto help = Console({name, "--help"});
    INFO(help.output);
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.output, Catch::StartsWith("usage: mdm-console " + name));
    // An example that runs this very verb.
    auto at = help.output.find("Example: ");
    if (at == std::string::npos) {
      FAIL_CHECK("no Example: line in the --help of " << name);
      continue;
    }
    std::string example = help.output.substr(at, help.output.find('\n', at) - at);
    CHECK_THAT(example + " ", Catch::Contains(" " + name + " ") && Catch::Contains("mdm-console "));
  }
  // The device list's --abm is in the usage line, not only in the prose.
  CHECK_THAT(Console({"device", "--help"}).output, Catch::Contains("device list [--abm] [--json]"));
}

TEST_CASE("common mistakes get one sentence naming what is wrong and what to do", "[console]") {
  // No settings yet: the enrollment link needs the public URL.
  CheckRefused({"device", "enroll-link"}, "api-url is not set: mdm-console settings set api-url https://");
  // Files of the wrong kind.
  std::string json = File("activation.json", "{\"profile_name\": \"x\"}");
  CheckRefused({"apns", "cert", json}, "certificate");
  CheckRefused({"profile", "add", json}, "not a configuration profile (");
  CheckRefused({"token", "upload", json}, "no token certificate yet: run mdm-console token cert");
  CheckRefused({"apns", "cert", "/nonexistent/MDM_Push.pem"}, "/nonexistent/MDM_Push.pem");
  // Unknown devices and enrollments.
  CheckRefused({"device", "show", "NO-SUCH-UDID"}, "no device 'NO-SUCH-UDID' (see mdm-console device list)");
  CheckRefused({"device", "remove", "NO-SUCH-UDID"}, "see mdm-console device list");
  CheckRefused({"command", "send", "NO-SUCH-UDID", "DeviceLock", "--no-push"},
               "no such enrollment (see mdm-console device list)");
  CheckRefused({"settings", "set", "api-url", "ftp://mdm.example.com"}, "api-url");
  // An unknown verb: exit 2 and the list of verbs.
  auto unknown = Console({"enrol"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::StartsWith("mdm-console: unknown verb 'enrol'") && Catch::Contains("device"));
}

TEST_CASE("enrollment wording: lifetimes in days with their date; a pkcs12 profile has no challenge", "[console]") {
  auto& s = SharedStack();
  s.SetSetting("api_url", s.base_url());
  auto link = Console({"device", "enroll-link", "--expires", "7d"});
  INFO(link.output);
  REQUIRE(link.exit_code == 0);
  CHECK_THAT(link.output, Catch::Contains("the link serves the profile once, within 7 days (until 20") &&
                              Catch::Contains(" UTC)") && !Catch::Contains("604800"));
  auto hours = Console({"device", "enroll-link", "--expires", "12h"});
  CHECK_THAT(hours.output, Catch::Contains("within 12 hours (until "));

  auto scep = mdm::test::Run({"sh", "-c", std::string(MDM_CONSOLE_BIN) + " --config " + s.config_path() +
                                              " device enroll-profile > " + s.root() + "/scep.mobileconfig"});
  CHECK_THAT(scep.output, Catch::Contains("scep identity") && Catch::Contains("its SCEP challenge works once, within 7 days"));
  auto p12 = mdm::test::Run({"sh", "-c", std::string(MDM_CONSOLE_BIN) + " --config " + s.config_path() +
                                             " device enroll-profile --identity pkcs12 > " + s.root() + "/p12.mobileconfig"});
  INFO(p12.output);
  CHECK(p12.exit_code == 0);
  CHECK_THAT(p12.output, Catch::Contains("pkcs12 identity") && !Catch::Contains("SCEP"));
}
