// The console's command verbs read back what was queued and what devices answered: command
// send refuses a request type Apple does not have with a suggestion, command types lists them,
// command show / command list print results and ErrorChains, device show prints ErrorChains.
// Simulated devices answer through nginx against a real PostgreSQL.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <cstdio>
#include <sstream>
#include <unistd.h>

#include "json/json.h"
#include "sim_device.h"
#include "console_checks.h"
#include "stack.h"

using mdm::test::ParseCommand;
using mdm::test::SharedStack;
using mdm::test::SimDevice;
using mdm::test::Stack;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

std::string QueueRows() {
  return Q("SELECT count(*) || '/' || (SELECT count(*) FROM commands) FROM command_queue");
}


std::string Queue(const std::vector<std::string>& args) { return mdm::test::QueueCommand(SharedStack(), args); }

// The line of `text` holding `needle` ("" when none).
std::string LineWith(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.find(needle) != std::string::npos) return line;
  return "";
}

// A device whose next command is fetched with Idle; answers it with `status` and `extra`.
void Answer(SimDevice& d, const std::string& uuid, const std::string& status, plist_t extra = nullptr) {
  auto got = ParseCommand(d.Idle());
  REQUIRE(got);
  REQUIRE(got->command_uuid == uuid);
  if (extra)
    d.Report(status, uuid, extra);
  else
    d.Answer(*got, status);
}

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  mdm::Status s = mdm::json::Parse(text, &d);
  INFO(text);
  REQUIRE(s.ok());
  return d;
}

}  // namespace

TEST_CASE("command send: a request type Apple does not have is named, with the nearest, and nothing is queued",
          "[console]") {
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  std::string before = QueueRows();

  auto lock = SharedStack().Console({"command", "send", d.udid(), "Lock"});
  CHECK(lock.exit_code == 1);
  CHECK_THAT(lock.output, Catch::Contains("mdm-console: 'Lock' is not one of Apple's request types; did you mean "
                                          "DeviceLock? (mdm-console command types lists them)"));
  CHECK_THAT(lock.output, !Catch::Contains("name a RequestType"));

  auto with_keys = SharedStack().Console({"command", "send", d.udid(), "Lock", "Message=Call IT", "--no-push"});
  CHECK(with_keys.exit_code == 1);
  CHECK_THAT(with_keys.output, Catch::Contains("'Lock' is not one of Apple's request types; did you mean DeviceLock?"));

  auto lower = SharedStack().Console({"command", "send", d.udid(), "devicelock"});
  CHECK(lower.exit_code == 1);
  CHECK_THAT(lower.output,
             Catch::Contains("'devicelock' is not one of Apple's request types; did you mean DeviceLock?"));

  auto several = SharedStack().Console({"command", "send", d.udid(), "Profile"});
  CHECK(several.exit_code == 1);
  CHECK_THAT(several.output, Catch::Contains("did you mean ProfileList or RemoveProfile?"));

  auto far = SharedStack().Console({"command", "send", d.udid(), "Wipe"});
  CHECK(far.exit_code == 1);
  CHECK_THAT(far.output, Catch::Contains("mdm-console: 'Wipe' is not one of Apple's request types "
                                         "(mdm-console command types lists them)"));

  auto alone = SharedStack().Console({"command", "send", "Lock"});
  CHECK(alone.exit_code == 1);
  CHECK_THAT(alone.output, Catch::Contains("'Lock' is not one of Apple's request types; did you mean DeviceLock?"));

  // No request type at all, the IDs being enrollments: the old sentence still fits. An
  // enrollment ID that looks like a request type is an enrollment all the same.
  SimDevice named(SharedStack().base_url(), SharedStack().tls_cert(), SharedStack().DeviceCa(), "KioskIpad42");
  REQUIRE(named.Authenticate(Stack::kTopic).status == 200);
  REQUIRE(named.TokenUpdate(Stack::kTopic).status == 200);
  auto none = SharedStack().Console({"command", "send", d.udid(), "KioskIpad42"});
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.output, Catch::Contains("name a RequestType after the enrollment IDs (e.g. DeviceInformation), "
                                          "or give --plist FILE"));
  CHECK(QueueRows() == before);

  // A known one still works, and its word ends the IDs.
  Queue({d.udid(), "KioskIpad42", "DeviceLock", "Message=Call IT", "--no-push"});
  CHECK(Q("SELECT count(*) FROM command_queue q JOIN commands c USING (command_uuid) WHERE c.request_type = "
          "'DeviceLock' AND q.enrollment_id IN ('" + d.udid() + "', 'KioskIpad42')") == "2");
}

TEST_CASE("command types lists Apple's request types one per line, with their channels", "[console]") {
  auto r = SharedStack().Console({"command", "types"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  int types = 0;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && std::isupper(static_cast<unsigned char>(line[0])) && line.find(' ') != std::string::npos &&
        line.find("request types") == std::string::npos)
      ++types;
  CHECK(types >= 60);
  CHECK_THAT(LineWith(r.output, "DeviceLock "), Catch::StartsWith("DeviceLock ") && Catch::Contains("device"));
  CHECK_THAT(LineWith(r.output, "InstallProfile "), Catch::Contains("device, user") &&
                                                        Catch::Contains("requires Payload"));
  CHECK_THAT(LineWith(r.output, "NSExtensionMappings "), Catch::EndsWith(" user"));
  CHECK_THAT(LineWith(r.output, "NSExtensionMappings "), !Catch::Contains("device"));
  CHECK_THAT(r.output, Catch::Contains("66 request types"));

  auto bad = SharedStack().Console({"command", "frobnicate"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.output, Catch::Contains("usage: mdm-console command send | show | list | types"));
}

TEST_CASE("command show prints the request, then each enrollment's status and answer", "[console]") {
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  d.info["DeviceName"] = "Anna's iPad";
  std::string uuid = Queue({d.udid(), "DeviceInformation", "Queries=DeviceName,OSVersion", "--no-push"});

  auto pending = SharedStack().Console({"command", "show", uuid});
  INFO(pending.output);
  CHECK(pending.exit_code == 0);
  CHECK_THAT(pending.output, Catch::StartsWith("Command " + uuid + "\n"));
  CHECK_THAT(pending.output, Catch::Contains("  RequestType      DeviceInformation\n") &&
                                 Catch::Contains("  Source           console\n") &&
                                 Catch::Contains("  Queued at        20") &&
                                 Catch::Contains("  Request\n    Queries: DeviceName, OSVersion\n") &&
                                 Catch::Contains("Enrollments (1)\n  " + d.udid() + "\n") &&
                                 Catch::Contains("    Status           Pending\n") &&
                                 Catch::Contains("    Sent             0 time(s)\n") &&
                                 Catch::Contains("    Answered at      -\n"));
  CHECK_THAT(pending.output, !Catch::Contains("Answer\n"));

  Answer(d, uuid, "Acknowledged");
  auto done = SharedStack().Console({"command", "show", uuid});
  INFO(done.output);
  CHECK(done.exit_code == 0);
  CHECK_THAT(done.output, Catch::Contains("    Status           Acknowledged\n") &&
                              Catch::Contains("    Sent             1 time(s), last at 20") &&
                              Catch::Contains("    Answer\n      QueryResponses:\n") &&
                              Catch::Contains("        DeviceName: Anna's iPad\n") &&
                              Catch::Contains("        BatteryLevel: 0.81\n") &&
                              Catch::Contains("        IsSupervised: true\n"));
  CHECK_THAT(done.output, !Catch::Contains("Answered at      -") && !Catch::Contains("ErrorChain"));
  // The envelope (UDID, Status, CommandUUID) is said once, above, not as part of the answer.
  CHECK_THAT(done.output, !Catch::Contains("\n      UDID:") && !Catch::Contains("\n      CommandUUID:"));

  // A lower-case copy of the CommandUUID finds it too; --json has the request and the answer.
  std::string lower = uuid;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto json = SharedStack().Console({"command", "show", lower, "--json"});
  REQUIRE(json.exit_code == 0);
  auto doc = Json(json.output.substr(0, json.output.find('\n')));
  CHECK(std::string(doc["command_uuid"].GetString()) == uuid);
  CHECK(std::string(doc["command"]["RequestType"].GetString()) == "DeviceInformation");
  CHECK(doc["command"]["Queries"].Size() == 2);
  CHECK_FALSE(doc.HasMember("body"));
  CHECK(std::string(doc["enrollments"][0]["status"].GetString()) == "Acknowledged");
  CHECK(std::string(doc["enrollments"][0]["result"]["QueryResponses"]["DeviceName"].GetString()) == "Anna's iPad");

  // Long data is shortened: a 3,000-byte payload shows its start and its length.
  char path[] = "/tmp/mdm-h2-payload-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::string bytes(3000, 'x');
  REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  close(fd);
  std::string install = Queue({d.udid(), "InstallProfile", std::string("Payload=@") + path, "--no-push"});
  std::remove(path);
  auto shown = SharedStack().Console({"command", "show", install});
  INFO(shown.output);
  CHECK_THAT(shown.output, Catch::Contains("    Payload: eHh4eHh4") &&
                               Catch::Contains("... (4000 characters; --json prints it whole)\n"));
}

TEST_CASE("command show prints an Error's ErrorChain readably; an unknown CommandUUID is named", "[console]") {
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  std::string uuid = Queue({d.udid(), "DeviceLock", "Message=Call IT", "PIN=123456", "--no-push"});
  mdm::plist::Owned extra(plist_new_dict());
  plist_t chain = plist_new_array();
  plist_t first = plist_new_dict();
  mdm::plist::SetInt(first, "ErrorCode", 12021);
  mdm::plist::SetString(first, "ErrorDomain", "MCMDMErrorDomain");
  mdm::plist::SetString(first, "LocalizedDescription", "Le verrouillage a échoué");
  mdm::plist::SetString(first, "USEnglishDescription", "The lock failed");
  plist_array_append_item(chain, first);
  plist_t second = plist_new_dict();
  mdm::plist::SetInt(second, "ErrorCode", 4);
  mdm::plist::SetString(second, "ErrorDomain", "NSPOSIXErrorDomain");
  mdm::plist::SetString(second, "LocalizedDescription", "Interrupted system call");
  mdm::plist::SetString(second, "USEnglishDescription", "Interrupted system call");
  plist_array_append_item(chain, second);
  mdm::plist::Set(extra.get(), "ErrorChain", chain);
  Answer(d, uuid, "Error", extra.get());

  auto r = SharedStack().Console({"command", "show", uuid});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("  Request\n    Message: Call IT\n    PIN: 123456\n") &&
                           Catch::Contains("    Status           Error\n") &&
                           Catch::Contains("    ErrorChain\n"
                                           "      MCMDMErrorDomain 12021: Le verrouillage a échoué (The lock failed)\n"
                                           "      NSPOSIXErrorDomain 4: Interrupted system call\n"));

  auto unknown = SharedStack().Console({"command", "show", "00000000-0000-0000-0000-000000000000"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.output == "mdm-console: no command 00000000-0000-0000-0000-000000000000: see mdm-console "
                          "command list <enrollment-id>\n");
  auto no_uuid = SharedStack().Console({"command", "show"});
  CHECK(no_uuid.exit_code == 1);
  CHECK_THAT(no_uuid.output, Catch::Contains("usage: mdm-console command show <CommandUUID> [--json]"));
}

TEST_CASE("command list pages one enrollment's history newest first; device show prints ErrorChains",
          "[console]") {
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  std::string acknowledged = Queue({d.udid(), "ProfileList", "--no-push"});
  std::string failed = Queue({d.udid(), "SecurityInfo", "--no-push"});
  std::string pending = Queue({d.udid(), "CertificateList", "--no-push"});
  Answer(d, acknowledged, "Acknowledged");
  Answer(d, failed, "Error");  // MCMDMErrorDomain 12021: Simulated failure

  auto all = SharedStack().Console({"command", "list", d.udid()});
  INFO(all.output);
  CHECK(all.exit_code == 0);
  CHECK_THAT(all.output, Catch::StartsWith("QUEUED ") && Catch::Contains("COMMAND UUID") &&
                             Catch::Contains("REQUEST TYPE"));
  size_t p = all.output.find(pending), f = all.output.find(failed), a = all.output.find(acknowledged);
  REQUIRE(p != std::string::npos);
  REQUIRE(f != std::string::npos);
  REQUIRE(a != std::string::npos);
  CHECK(p < f);
  CHECK(f < a);
  CHECK_THAT(LineWith(all.output, failed), Catch::Contains("SecurityInfo") && Catch::Contains(" Error ") &&
                                               Catch::EndsWith("MCMDMErrorDomain 12021: Simulated failure"));
  CHECK_THAT(LineWith(all.output, pending), Catch::Contains("CertificateList") && Catch::Contains(" Pending "));
  CHECK_THAT(LineWith(all.output, acknowledged), Catch::Contains("ProfileList") && Catch::Contains(" Acknowledged "));
  CHECK_THAT(all.output, Catch::Contains("3 command(s), newest first, from number 1\n"));

  auto errors = SharedStack().Console({"command", "list", d.udid(), "--status", "Error"});
  INFO(errors.output);
  CHECK(errors.exit_code == 0);
  CHECK_THAT(errors.output, Catch::Contains(failed) && !Catch::Contains(pending) && !Catch::Contains(acknowledged));
  CHECK_THAT(errors.output, Catch::Contains("1 command(s) with status Error"));
  auto any_case = SharedStack().Console({"command", "list", d.udid(), "--status", "acknowledged"});
  CHECK_THAT(any_case.output, Catch::Contains(acknowledged) && !Catch::Contains(failed));

  auto page = SharedStack().Console({"command", "list", d.udid(), "--limit", "1", "--offset", "1"});
  INFO(page.output);
  CHECK(page.exit_code == 0);
  CHECK_THAT(page.output, Catch::Contains(failed) && !Catch::Contains(pending) && !Catch::Contains(acknowledged));
  CHECK_THAT(page.output, Catch::Contains("1 command(s), newest first, from number 2; more with --offset 2\n"));
  auto last = SharedStack().Console({"command", "list", d.udid(), "--limit", "1", "--offset", "2"});
  CHECK_THAT(last.output, Catch::Contains(acknowledged) && !Catch::Contains("more with"));
  auto beyond = SharedStack().Console({"command", "list", d.udid(), "--offset", "3"});
  CHECK(beyond.exit_code == 0);
  CHECK_THAT(beyond.output, Catch::Contains("no commands at this offset for " + d.udid()));

  auto json = SharedStack().Console({"command", "list", d.udid(), "--json", "--limit", "2"});
  REQUIRE(json.exit_code == 0);
  auto doc = Json(json.output.substr(0, json.output.find('\n')));
  REQUIRE(doc["commands"].Size() == 2);
  CHECK(std::string(doc["commands"][0]["command_uuid"].GetString()) == pending);
  CHECK(std::string(doc["commands"][1]["error_chain"][0]["ErrorDomain"].GetString()) == "MCMDMErrorDomain");
  CHECK(doc["more"].GetBool());

  auto bad_status = SharedStack().Console({"command", "list", d.udid(), "--status", "Failed"});
  CHECK(bad_status.exit_code == 1);
  CHECK_THAT(bad_status.output, Catch::Contains("--status takes one of Pending, NotNow, Acknowledged, Error, "
                                                "CommandFormatError, Expired, Canceled; 'Failed' is none of them"));
  auto bad_limit = SharedStack().Console({"command", "list", d.udid(), "--limit", "0"});
  CHECK(bad_limit.exit_code == 1);
  CHECK_THAT(bad_limit.output, Catch::Contains("--limit takes a number from 1 to 10000"));
  auto unknown = SharedStack().Console({"command", "list", "no-such-enrollment"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.output, Catch::Contains("mdm-console: no enrollment 'no-such-enrollment': command list takes an "
                                             "enrollment ID") &&
                                 Catch::Contains("see mdm-console device list"));

  auto show = SharedStack().Console({"device", "show", d.udid()});
  INFO(show.output);
  CHECK(show.exit_code == 0);
  std::string result_line = LineWith(show.output, failed);
  CHECK_THAT(result_line, Catch::Contains("SecurityInfo") && Catch::Contains("Error"));
  CHECK_THAT(show.output, Catch::Contains(result_line + "\n      MCMDMErrorDomain 12021: Simulated failure\n"));

  // The admin API serves the same history.
  mdm::test::Headers key = {{"Authorization", "Bearer test-admin-key-0123456789"}};
  auto api = SharedStack().Get("/v1/devices/" + d.udid() + "/commands?status=Error&limit=5", key);
  INFO(api.body);
  REQUIRE(api.status == 200);
  auto history = Json(api.body);
  REQUIRE(history["commands"].Size() == 1);
  CHECK(std::string(history["commands"][0]["command_uuid"].GetString()) == failed);
  CHECK_FALSE(history["more"].GetBool());
  CHECK(SharedStack().Get("/v1/devices/" + d.udid() + "/commands?limit=1&offset=1", key).body.find(failed) !=
        std::string::npos);
  CHECK(SharedStack().Get("/v1/devices/" + d.udid() + "/commands?status=Failed", key).status == 400);
  CHECK(SharedStack().Get("/v1/devices/" + d.udid() + "/commands?limit=0", key).status == 400);
  CHECK(SharedStack().Get("/v1/devices/no-such-enrollment/commands", key).status == 404);
  CHECK(SharedStack().Get("/v1/devices/" + d.udid() + "/commands").status == 401);
}
