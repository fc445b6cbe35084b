// The web console's catalog in a real headless Chromium against the real stack: an admin adds an
// app, assigns it to a group, is refused its removal while it is assigned and removes it once
// unassigned; uploads a declaration file that mdmcron deploys to a group's device, which the
// declaration's page then lists; takes a device out of a group, edits the group's rule and
// deletes the group (refused while it has groups inside); sends a command of any type from the
// form the server's schema makes, which the simulated device receives with the typed values, and
// a value that is not valid is refused without sending. A viewer has none of these controls. The
// devices of Apple Business Manager not enrolled yet have a list of their own, searched on the
// server. Screenshots go to $MDM_SCREENSHOT_DIR (else the stack's folder).
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "console_checks.h"
#include "console_pages.h"
#include "plist/property_list.h"
#include "sim_device.h"
#include "stack.h"
#include "webdriver.h"

using mdm::test::Browser;
using mdm::test::CheckNoCspViolation;
using mdm::test::ClickOn;
using mdm::test::ConsoleUrl;
using mdm::test::File;
using mdm::test::LogInAs;
using mdm::test::ParseCommand;
using mdm::test::ReceivedCommand;
using mdm::test::SharedStack;
using mdm::test::Shot;
using mdm::test::SimDevice;
namespace plist = mdm::plist;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

Browser& TheBrowser() {
  static Browser browser;
  return browser;
}

// Sets a <select> as a user's choice does (the change event included); returns its value then.
std::string Choose(Browser& b, const std::string& css, const std::string& value) {
  b.WaitFor(css + ":not([disabled])");
  return b.Script("const s = document.querySelector('" + css + "'); s.value = '" + value +
                  "'; s.dispatchEvent(new Event('change')); return s.value");
}

void LogInAsAdmin(Browser& b) {
  static bool added = false;
  if (!added) SharedStack().AddConsoleUser("cora", "admin", "admin password 34");
  added = true;
  LogInAs(b, SharedStack(), "cora", "admin password 34");
}

// Opens `route` afresh: another route first, as a hash alone would not reload the page's data.
void Reopen(Browser& b, const std::string& route) {
  b.Go(ConsoleUrl(SharedStack()) + "#/dashboard");
  b.WaitFor("#dashboard");
  b.Go(ConsoleUrl(SharedStack()) + route);
}

void MakeGroup(const std::string& name, const std::string& parent = "") {
  Q("INSERT INTO groups (name, parent_id) VALUES ('" + name + "', " +
    (parent.empty() ? "NULL" : "(SELECT id FROM groups WHERE name = '" + parent + "')") + ")");
}

void AddMember(const std::string& group, const std::string& device_id) {
  Q("INSERT INTO group_devices (group_id, device_id) SELECT id, '" + device_id + "' FROM groups WHERE name = '" + group +
    "'");
}

// The device's commands until one of `request_type` (each answered), or nullopt.
std::optional<ReceivedCommand> NextCommandOf(SimDevice& d, const std::string& request_type) {
  for (int i = 0; i < 10; ++i) {
    auto cmd = ParseCommand(d.Idle());
    if (!cmd) return std::nullopt;
    REQUIRE(d.Answer(*cmd).status == 200);
    if (cmd->request_type == request_type) return cmd;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("console catalog in Chromium: an admin adds an app, assigns and unassigns it, removes it", "[browser]") {
  Browser& b = TheBrowser();
  LogInAsAdmin(b);
  MakeGroup("Art room");

  b.Go(ConsoleUrl(SharedStack()) + "#/apps");
  // An App Store ID that is not a number is refused in the page: nothing is sent.
  b.Type(b.WaitFor("#app-identifier"), "org.example.browser.bad");
  b.Type(b.Find("#app-store-id"), "12ab");
  ClickOn(b, "[data-test=app-add-submit]");
  CHECK(b.WaitForText("#message", "The App Store ID is a whole number"));
  CHECK(Q("SELECT count(*) FROM apps WHERE identifier = 'org.example.browser.bad'") == "0");

  b.Type(b.Find("#app-identifier"), "org.example.browser.notes");
  b.Type(b.Find("#app-store-id"), "361309726");
  b.Type(b.Find("#app-name"), "Notes Pro");
  ClickOn(b, "[data-test=app-add-submit]");
  CHECK(b.WaitForText("#message", "App org.example.browser.notes added"));
  std::string row = b.WaitFor("#app-table tr[data-app=\"org.example.browser.notes\"]");
  CHECK_THAT(b.Text(row), Catch::Contains("Notes Pro") && Catch::Contains("361309726"));
  CHECK(Q("SELECT itunes_store_id FROM apps WHERE identifier = 'org.example.browser.notes'") == "361309726");

  ClickOn(b, "#app-table tr[data-app=\"org.example.browser.notes\"] a");
  CHECK(b.WaitForText("#app-title", "Notes Pro"));
  CHECK(Choose(b, "#app-group", "Art room") == "\"Art room\"");
  ClickOn(b, "[data-test=app-assign-submit]");
  CHECK(b.WaitForText("#message", "Assigned to Art room"));
  b.WaitFor("[data-section=groups] li[data-group=\"Art room\"] a");
  CHECK(Q("SELECT count(*) FROM group_apps ga JOIN apps a ON a.id = ga.app_id "
          "WHERE a.identifier = 'org.example.browser.notes'") == "1");

  // Assigned: the server refuses the removal with its sentence, and the page offers to force it.
  ClickOn(b, "[data-test=app-remove]");
  ClickOn(b, "[data-test=app-remove-confirm]");
  CHECK(b.WaitForText("#message", "is assigned to group(s) Art room"));
  CHECK(b.Attribute(b.Find("#message"), "data-kind") == "error");
  b.WaitFor("[data-test=app-remove-force]");
  ClickOn(b, "[data-test=app-remove-cancel]");
  CHECK(b.WaitGone("[data-test=app-remove-form]"));
  CHECK(Q("SELECT count(*) FROM apps WHERE identifier = 'org.example.browser.notes'") == "1");

  ClickOn(b, "[data-section=groups] li[data-group=\"Art room\"] [data-test=unassign]");
  CHECK(b.WaitForText("#message", "Unassigned from Art room"));
  CHECK(b.WaitGone("[data-section=groups] li[data-group=\"Art room\"]"));
  CHECK(Q("SELECT count(*) FROM group_apps ga JOIN apps a ON a.id = ga.app_id "
          "WHERE a.identifier = 'org.example.browser.notes'") == "0");
  b.Screenshot(Shot(SharedStack(), "console-app.png"));

  ClickOn(b, "[data-test=app-remove]");
  ClickOn(b, "[data-test=app-remove-confirm]");
  CHECK(b.WaitForText("#message", "App org.example.browser.notes removed"));
  b.WaitFor("#apps-page");
  CHECK(b.WaitGone("#app-table tr[data-app=\"org.example.browser.notes\"]"));
  CHECK(Q("SELECT count(*) FROM apps WHERE identifier = 'org.example.browser.notes'") == "0");
  CHECK(Q("SELECT actor FROM audit_log WHERE action = 'remove app' AND detail::text LIKE '%org.example.browser.notes%'") ==
        "cora");
  CheckNoCspViolation(b);
}

TEST_CASE("console catalog in Chromium: a declaration file uploaded, assigned, deployed by mdmcron", "[browser]") {
  Browser& b = TheBrowser();
  LogInAsAdmin(b);
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  Q("UPDATE devices SET device_name = 'Science iPad 3' WHERE id = '" + d.udid() + "'");
  MakeGroup("Science");
  AddMember("Science", d.udid());

  b.Go(ConsoleUrl(SharedStack()) + "#/declarations");
  // Pasted text that is not JSON is refused in the page.
  b.Type(b.WaitFor("#declaration-text"), "{\"Type\": \"com.apple.configuration.passcode.settings\",");
  ClickOn(b, "[data-test=declaration-add-submit]");
  CHECK(b.WaitForText("#message", "The declaration is not valid JSON"));
  CHECK(Q("SELECT count(*) FROM declarations WHERE identifier LIKE 'org.example.browser.%'") == "0");
  b.Type(b.Find("#declaration-text"), "");

  std::string file = File(SharedStack(), "passcode.json",
                          R"({"Type": "com.apple.configuration.passcode.settings", )"
                          R"("Identifier": "org.example.browser.passcode", "Payload": {"MinimumLength": 6}})");
  b.Type(b.Find("#declaration-file"), file);
  ClickOn(b, "[data-test=declaration-add-submit]");
  CHECK(b.WaitForText("#message", "Declaration org.example.browser.passcode added"));
  std::string row = b.WaitFor("#declaration-table tr[data-declaration=\"org.example.browser.passcode\"]");
  CHECK_THAT(b.Text(row), Catch::Contains("com.apple.configuration.passcode.settings"));

  ClickOn(b, "#declaration-table tr[data-declaration=\"org.example.browser.passcode\"] a");
  CHECK(b.WaitForText("#declaration-type", "com.apple.configuration.passcode.settings"));
  CHECK(b.WaitForText("#declaration-payload", "\"MinimumLength\": 6"));
  std::string token = Q("SELECT server_token FROM declarations WHERE identifier = 'org.example.browser.passcode'");
  REQUIRE_FALSE(token.empty());
  CHECK_THAT(b.Text(b.Find("[data-section=details] tr[data-key=server_token]")), Catch::Contains(token));
  CHECK(b.WaitForText("[data-section=devices]", "deployed to no device"));

  CHECK(Choose(b, "#declaration-group", "Science") == "\"Science\"");
  ClickOn(b, "[data-test=declaration-assign-submit]");
  CHECK(b.WaitForText("#message", "Assigned to Science"));
  b.WaitFor("[data-section=groups] li[data-group=\"Science\"]");

  auto cron = SharedStack().Console({"mdmcron", "--no-push"});
  INFO(cron.output);
  REQUIRE(cron.exit_code == 0);
  Reopen(b, "#/declarations/org.example.browser.passcode");
  std::string device_row = b.WaitFor("#declaration-devices tr[data-device-id=\"" + d.udid() + "\"]");
  CHECK_THAT(b.Text(device_row), Catch::Contains("Science iPad 3") && Catch::Contains("not reported"));
  b.Screenshot(Shot(SharedStack(), "console-declaration.png"));

  // The group's page links what it carries.
  Reopen(b, "#/groups/Science");
  ClickOn(b, "[data-section=declarations] li[data-declaration=\"org.example.browser.passcode\"] a");
  CHECK(b.WaitForText("#declaration-title", "org.example.browser.passcode"));
  CheckNoCspViolation(b);
}

TEST_CASE("console catalog in Chromium: a group's member removed, its rule edited, the group deleted", "[browser]") {
  Browser& b = TheBrowser();
  LogInAsAdmin(b);
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  MakeGroup("Music");
  MakeGroup("Music juniors", "Music");
  AddMember("Music", d.udid());
  Q("INSERT INTO apps (identifier, name) VALUES ('org.example.browser.tuner', 'Tuner')");
  Q("INSERT INTO group_apps (group_id, app_id) SELECT g.id, a.id FROM groups g, apps a "
    "WHERE g.name = 'Music' AND a.identifier = 'org.example.browser.tuner'");

  b.Go(ConsoleUrl(SharedStack()) + "#/groups/Music");
  CHECK(b.WaitForText("#group-title", "Music"));
  // What the group carries links to its page.
  CHECK(b.Attribute(b.WaitFor("[data-section=apps] li[data-app=\"org.example.browser.tuner\"] a"), "href") ==
        "#/apps/org.example.browser.tuner");

  ClickOn(b, "#group-members tr[data-device-id=\"" + d.udid() + "\"] [data-test=member-remove]");
  CHECK(b.WaitForText("#message", "Removed 1 device(s) from Music"));
  CHECK(b.WaitGone("#group-members tr[data-device-id=\"" + d.udid() + "\"]"));
  CHECK(Q("SELECT count(*) FROM group_devices WHERE device_id = '" + d.udid() + "'") == "0");

  b.Type(b.Find("#group-rule-model"), "iPad%");
  b.Type(b.Find("#group-rule-os_min"), "17.0");
  ClickOn(b, "[data-test=group-rule-submit]");
  CHECK(b.WaitForText("#message", "Rule of Music: model like iPad%, OS 17.0 or later"));
  CHECK(b.WaitForText("[data-test=group-rule]", "rule: model like iPad%, OS 17.0 or later"));
  CHECK(Q("SELECT rule->>'model' || ' ' || (rule->>'os_min') || ' ' || (rule ? 'product')::text "
          "FROM groups WHERE name = 'Music'") == "iPad% 17.0 false");
  // The form shows the rule kept; emptied, it clears the rule.
  CHECK(b.Property(b.WaitFor("#group-rule-model"), "value") == "iPad%");
  b.Screenshot(Shot(SharedStack(), "console-group.png"));
  b.Type(b.Find("#group-rule-model"), "");
  b.Type(b.Find("#group-rule-os_min"), "");
  ClickOn(b, "[data-test=group-rule-submit]");
  CHECK(b.WaitForText("#message", "Rule of Music cleared"));
  CHECK(Q("SELECT rule IS NULL OR rule = '{}'::jsonb FROM groups WHERE name = 'Music'") == "t");

  // With a group inside it the server refuses, and says why.
  ClickOn(b, "[data-test=group-remove]");
  ClickOn(b, "[data-test=group-remove-confirm]");
  CHECK(b.WaitForText("#message", "has child groups"));
  CHECK(b.Attribute(b.Find("#message"), "data-kind") == "error");
  CHECK_FALSE(b.TryFind("[data-test=group-remove-force]"));
  CHECK(Q("SELECT count(*) FROM groups WHERE name = 'Music'") == "1");

  b.Go(ConsoleUrl(SharedStack()) + "#/groups/Music%20juniors");
  CHECK(b.WaitForText("#group-title", "Music juniors"));
  ClickOn(b, "[data-test=group-remove]");
  ClickOn(b, "[data-test=group-remove-confirm]");
  CHECK(b.WaitForText("#message", "Group Music juniors deleted"));
  b.Go(ConsoleUrl(SharedStack()) + "#/groups/Music");
  CHECK(b.WaitForText("#group-title", "Music"));
  ClickOn(b, "[data-test=group-remove]");
  ClickOn(b, "[data-test=group-remove-confirm]");
  CHECK(b.WaitForText("#message", "Group Music deleted"));
  b.WaitFor("#groups-page");
  CHECK_FALSE(b.TryFind("#group-table tr[data-group=\"Music\"]"));
  CHECK(Q("SELECT count(*) FROM groups WHERE name LIKE 'Music%'") == "0");
  CheckNoCspViolation(b);
}

TEST_CASE("console catalog in Chromium: the other-command form sends typed keys; a bad value is not sent", "[browser]") {
  Browser& b = TheBrowser();
  LogInAsAdmin(b);
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  b.Go(ConsoleUrl(SharedStack()) + "#/devices/" + d.udid());
  ClickOn(b, "[data-test=action-other]");
  // Only what the device channel takes is offered.
  b.WaitFor("#command-type:not([disabled])");
  CHECK(b.Script("return document.querySelectorAll('#command-type option[value=DeviceLock]').length") == "1");
  CHECK(b.Script("return document.querySelectorAll('#command-type option[value=InstallApplication]').length") == "1");

  CHECK(Choose(b, "#command-type", "DeviceLock") == "\"DeviceLock\"");
  b.Type(b.WaitFor("[data-test=command-key-Message]"), "Please call the front desk");
  b.Type(b.Find("[data-test=command-key-PhoneNumber]"), "+44 20 7946 0000");
  ClickOn(b, "[data-test=command-submit]");
  CHECK(b.WaitForText("#message", "Queued DeviceLock"));
  CHECK(b.WaitForText("#history-table", "DeviceLock"));
  auto lock = NextCommandOf(d, "DeviceLock");
  REQUIRE(lock);
  CHECK(plist::GetString(lock->command.get(), "Message") == std::optional<std::string>("Please call the front desk"));
  CHECK(plist::GetString(lock->command.get(), "PhoneNumber") == std::optional<std::string>("+44 20 7946 0000"));
  CHECK_FALSE(plist::Get(lock->command.get(), "PIN"));  // left empty: not sent

  // Numbers, a choice among allowed values, a boolean and a dictionary as JSON.
  ClickOn(b, "[data-test=action-other]");
  CHECK(Choose(b, "#command-type", "InstallApplication") == "\"InstallApplication\"");
  b.Type(b.WaitFor("[data-test=command-key-iTunesStoreID]"), "361309726");
  CHECK(Choose(b, "[data-test=command-key-ManagementFlags]", "1") == "\"1\"");
  CHECK(Choose(b, "[data-test=command-key-InstallAsManaged]", "true") == "\"true\"");
  b.Type(b.Find("[data-test=command-key-Options]"), "{\"PurchaseMethod\": 1");
  ClickOn(b, "[data-test=command-submit]");
  CHECK(b.WaitForText("#message", "Options is not valid JSON"));
  CHECK(Q("SELECT count(*) FROM commands WHERE request_type = 'InstallApplication'") == "0");
  b.Type(b.Find("[data-test=command-key-Options]"), "{\"PurchaseMethod\": 1}");
  b.Script("document.querySelector('#command-form').scrollIntoView({block: 'center'}); return true");
  b.Screenshot(Shot(SharedStack(), "console-other-command.png"));
  ClickOn(b, "[data-test=command-submit]");
  CHECK(b.WaitForText("#message", "Queued InstallApplication"));
  auto install = NextCommandOf(d, "InstallApplication");
  REQUIRE(install);
  CHECK(plist::GetInt(install->command.get(), "iTunesStoreID") == std::optional<int64_t>(361309726));
  CHECK(plist::GetInt(install->command.get(), "ManagementFlags") == std::optional<int64_t>(1));
  CHECK(plist::GetBool(install->command.get(), "InstallAsManaged") == std::optional<bool>(true));
  plist_t options = plist::Get(install->command.get(), "Options");
  REQUIRE(options);
  CHECK(plist::GetInt(options, "PurchaseMethod") == std::optional<int64_t>(1));
  CHECK_FALSE(plist::Get(install->command.get(), "Identifier"));
  CheckNoCspViolation(b);
}

TEST_CASE("console catalog in Chromium: a viewer has no catalog controls and no command form; the ABM list",
          "[browser]") {
  Browser& b = TheBrowser();
  SharedStack().AddConsoleUser("vera", "viewer", "viewer password 56");
  MakeGroup("Library");
  Q("INSERT INTO apps (identifier, name) VALUES ('org.example.browser.reader', 'Reader')");
  Q("INSERT INTO group_apps (group_id, app_id) SELECT g.id, a.id FROM groups g, apps a "
    "WHERE g.name = 'Library' AND a.identifier = 'org.example.browser.reader'");
  Q("INSERT INTO declarations (identifier, type, payload, server_token) VALUES ('org.example.browser.viewed', "
    "'com.apple.configuration.passcode.settings', '{\"MinimumLength\": 4}', 'token-viewed-1')");
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  AddMember("Library", d.udid());
  LogInAs(b, SharedStack(), "vera", "viewer password 56");

  b.Go(ConsoleUrl(SharedStack()) + "#/apps");
  b.WaitFor("#app-table tr[data-app=\"org.example.browser.reader\"]");
  CHECK_FALSE(b.TryFind("#app-add"));
  ClickOn(b, "#app-table tr[data-app=\"org.example.browser.reader\"] a");
  b.WaitFor("[data-section=groups] li[data-group=\"Library\"] a");
  CHECK_FALSE(b.TryFind("#app-assign"));
  CHECK_FALSE(b.TryFind("[data-test=unassign]"));
  CHECK_FALSE(b.TryFind("[data-test=app-remove]"));

  b.Go(ConsoleUrl(SharedStack()) + "#/declarations");
  b.WaitFor("#declaration-table tr[data-declaration=\"org.example.browser.viewed\"]");
  CHECK_FALSE(b.TryFind("#declaration-add"));
  b.Go(ConsoleUrl(SharedStack()) + "#/declarations/org.example.browser.viewed");
  CHECK(b.WaitForText("#declaration-payload", "MinimumLength"));
  CHECK_FALSE(b.TryFind("#declaration-assign"));
  CHECK_FALSE(b.TryFind("[data-test=declaration-remove]"));

  b.Go(ConsoleUrl(SharedStack()) + "#/groups/Library");
  b.WaitFor("#group-members tr[data-device-id=\"" + d.udid() + "\"]");
  CHECK_FALSE(b.TryFind("[data-test=member-remove]"));
  CHECK_FALSE(b.TryFind("#group-rule-form"));
  CHECK_FALSE(b.TryFind("#group-add-device"));
  CHECK_FALSE(b.TryFind("[data-test=group-remove]"));

  b.Go(ConsoleUrl(SharedStack()) + "#/devices/" + d.udid());
  b.WaitFor("[data-section=inventory]");
  CHECK_FALSE(b.TryFind("[data-test=action-other]"));
  CHECK_FALSE(b.TryFind("#command-form"));

  // The devices of Apple Business Manager not enrolled yet: not the one that enrolled.
  Q("INSERT INTO dep_devices (serial_number, model, description, color, os, device_family, profile_status) VALUES "
    "('DEPBRWSR0001', 'iPad Air', 'IPAD AIR WI-FI 64GB', 'SPACE GRAY', 'iPadOS', 'iPad', 'assigned'), "
    "('DEPBRWSR0002', 'MacBook Air', 'MACBOOK AIR 13', 'SILVER', 'OSX', 'Mac', 'pushed'), "
    "('" + d.serial() + "', 'iPad', 'IPAD 10', 'BLUE', 'iPadOS', 'iPad', 'pushed')");
  b.Go(ConsoleUrl(SharedStack()) + "#/devices");
  ClickOn(b, "[data-test=devices-tab-abm]");
  std::string row = b.WaitFor("#dep-table tr[data-serial=\"DEPBRWSR0001\"]");
  CHECK_THAT(b.Text(row), Catch::Contains("IPAD AIR WI-FI 64GB"));
  b.WaitFor("#dep-table tr[data-serial=\"DEPBRWSR0002\"]");
  CHECK_FALSE(b.TryFind("#dep-table tr[data-serial=\"" + d.serial() + "\"]"));
  CHECK(b.WaitForText("#dep-range", "of 2"));
  // Searched on the server.
  b.Type(b.Find("#dep-search"), "macbook");
  CHECK(b.WaitGone("#dep-table tr[data-serial=\"DEPBRWSR0001\"]"));
  b.WaitFor("#dep-table tr[data-serial=\"DEPBRWSR0002\"]");
  CHECK(b.WaitForText("#device-count", "1 found"));
  b.Screenshot(Shot(SharedStack(), "console-abm-devices.png"));
  // The other tab is the enrolled list again.
  ClickOn(b, "[data-test=devices-tab-enrolled]");
  b.WaitFor("#device-table tr[data-device-id=\"" + d.udid() + "\"]");
  CheckNoCspViolation(b);
}
