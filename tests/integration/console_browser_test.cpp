// The web console in a real headless Chromium against the real stack: log in, see a simulated
// device that enrolled, open it, lock it and see the device get the command and its answer; a
// viewer has no command buttons; a wrong password, an ended session and a forged request are
// refused; a device name with markup shows as text. Screenshots of the dashboard, the device
// list and the device page go to $MDM_SCREENSHOT_DIR (else the test's folder).
#include <catch2/catch.hpp>

#include "console_pages.h"
#include "sim_device.h"
#include "stack.h"
#include "webdriver.h"

using mdm::test::Browser;
using mdm::test::ConsoleUrl;
using mdm::test::File;
using mdm::test::LogIn;
using mdm::test::LogInAs;
using mdm::test::ParseCommand;
using mdm::test::SharedStack;
using mdm::test::Shot;
using mdm::test::SimDevice;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

void AddUser(const std::string& name, const std::string& role, const std::string& password) {
  SharedStack().AddConsoleUser(name, role, password);
}

Browser& TheBrowser() {
  static Browser browser;
  return browser;
}

}  // namespace

TEST_CASE("console in Chromium: wrong password, login, dashboard, a device with markup in its name", "[browser]") {
  AddUser("helen", "helpdesk", "helpdesk password 1");
  Browser& b = TheBrowser();
  LogIn(b, SharedStack(), "helen", "not her password");
  CHECK(b.WaitForText("#message", "wrong user name or password"));
  CHECK(b.Script("return fetch('/api-mdm.php/v1/session').then(r => r.status)") == "401");

  LogIn(b, SharedStack(), "helen", "helpdesk password 1");
  b.WaitFor("#dashboard");
  // The session cookie is sent to the API only (its path) and never readable by the page.
  CHECK(b.Script("return document.cookie").find("mdm_session") == std::string::npos);
  CHECK(b.Script("return fetch('/api-mdm.php/v1/session').then(r => r.status)") == "200");

  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  Q("UPDATE devices SET device_name = '<script>alert(1)</script><b>Pupil</b>' WHERE id = '" + d.udid() + "'");
  b.Go(ConsoleUrl(SharedStack()) + "#/devices");
  std::string row = b.WaitFor("tr[data-device-id=\"" + d.udid() + "\"]");
  CHECK_THAT(b.Text(row), Catch::Contains("<script>alert(1)</script><b>Pupil</b>"));
  // Shown as text: no element was made from it, and no dialog opened.
  CHECK(b.Script("return document.querySelectorAll('#device-table b, #device-table script').length") == "0");
  b.Screenshot(Shot(SharedStack(), "console-devices.png"));
  b.Go(ConsoleUrl(SharedStack()) + "#/dashboard");
  b.WaitFor("#dashboard");
  CHECK(b.WaitForText("#dashboard", "enrolled"));
  b.Screenshot(Shot(SharedStack(), "console-dashboard.png"));
}

TEST_CASE("console in Chromium: lock a device and see it answered; a forged request is refused", "[browser]") {
  Browser& b = TheBrowser();
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  Q("UPDATE devices SET device_name = 'Lab iPad 7' WHERE id = '" + d.udid() + "'");
  b.Go(ConsoleUrl(SharedStack()) + "#/devices/" + d.udid());
  CHECK(b.WaitForText("#device-name", "Lab iPad 7"));
  b.Click(b.WaitFor("[data-test=action-lock]"));
  b.Type(b.WaitFor("[data-test=lock-message]"), "Please return to the office");
  b.Click(b.Find("[data-test=lock-submit]"));
  CHECK(b.WaitForText("#message", "Queued DeviceLock"));
  // The device gets it at its next check-in and answers.
  auto cmd = ParseCommand(d.Idle());
  REQUIRE(cmd);
  CHECK(cmd->request_type == "DeviceLock");
  CHECK(mdm::plist::GetString(cmd->command.get(), "Message") == std::optional<std::string>("Please return to the office"));
  REQUIRE(d.Answer(*cmd).status == 200);
  b.Go(ConsoleUrl(SharedStack()) + "#/devices/" + d.udid() + "?reload");
  b.Go(ConsoleUrl(SharedStack()) + "#/devices/" + d.udid());
  CHECK(b.WaitForText("[data-section=history]", "Acknowledged"));
  b.Screenshot(Shot(SharedStack(), "console-device.png"));
  CHECK(Q("SELECT actor FROM audit_log WHERE action = 'command DeviceLock' AND device_id = '" + d.udid() + "'") == "helen");

  // A request from the page without the CSRF token (as another site's form would send) is refused.
  std::string status = b.Script(
      "return fetch('/api-mdm.php/v1/commands', {method: 'POST', headers: {'Content-Type': 'application/json'}, "
      "body: JSON.stringify({enrollment_ids: ['" + d.udid() + "'], request_type: 'RestartDevice'})}).then(r => r.status)");
  CHECK(status == "403");
  CHECK(Q("SELECT count(*) FROM commands WHERE request_type = 'RestartDevice'") == "0");
}

TEST_CASE("console in Chromium: a viewer has no command buttons; an ended session asks to log in again", "[browser]") {
  AddUser("vic", "viewer", "viewer password 1");
  Browser& b = TheBrowser();
  b.Click(b.WaitFor("[data-test=logout]"));
  b.WaitFor("#login-name");
  CHECK(b.Script("return fetch('/api-mdm.php/v1/session').then(r => r.status)") == "401");
  LogIn(b, SharedStack(), "vic", "viewer password 1");
  b.WaitFor("#dashboard");
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  b.Go(ConsoleUrl(SharedStack()) + "#/devices/" + d.udid());
  b.WaitFor("#device-name");
  b.WaitFor("[data-section=inventory]");
  CHECK_FALSE(b.TryFind("[data-test=action-lock]"));
  CHECK_FALSE(b.TryFind("[data-test=action-erase]"));

  // The session ends on the server (as after 30 minutes unused): the next request shows the login.
  Q("UPDATE console_sessions SET last_used_at = now() - interval '31 minutes'");
  b.Go(ConsoleUrl(SharedStack()) + "#/devices");
  b.WaitFor("#login-name");
  CHECK(b.WaitForText("#message", "log in again"));
}

TEST_CASE("console in Chromium: an admin makes a group, uploads a profile, assigns it; mdmcron installs it", "[browser]") {
  AddUser("ada", "admin", "admin password 12");
  Browser& b = TheBrowser();
  LogInAs(b, SharedStack(), "ada", "admin password 12");
  SimDevice d = mdm::test::EnrolledDevice(SharedStack());

  b.Go(ConsoleUrl(SharedStack()) + "#/groups");
  b.Type(b.WaitFor("#group-name"), "Class 9");
  b.Click(b.Find("[data-test=group-create-submit]"));
  CHECK(b.WaitForText("#message", "Group Class 9 created"));
  b.Click(b.WaitFor("tr[data-group=\"Class 9\"] a"));
  b.Type(b.WaitFor("#group-device-id"), d.serial());
  b.Click(b.Find("[data-test=group-add-device-submit]"));
  CHECK(b.WaitForText("#message", "Added 1 device(s) to Class 9"));
  b.WaitFor("#group-members tr[data-device-id=\"" + d.udid() + "\"]");

  std::string file = File(SharedStack(), "lab-wifi.mobileconfig",
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
                          "<key>PayloadType</key><string>Configuration</string>"
                          "<key>PayloadIdentifier</key><string>org.example.browser.wifi</string>"
                          "<key>PayloadUUID</key><string>0A1B2C3D-4E5F-4061-8273-9A8B7C6D5E4F</string>"
                          "<key>PayloadVersion</key><integer>1</integer>"
                          "<key>PayloadDisplayName</key><string>Lab Wi-Fi</string>"
                          "<key>PayloadContent</key><array/></dict></plist>");
  b.Go(ConsoleUrl(SharedStack()) + "#/profiles");
  b.Type(b.WaitFor("#profile-file"), file);
  b.Click(b.Find("[data-test=profile-upload-submit]"));
  CHECK(b.WaitForText("#message", "Profile org.example.browser.wifi added"));
  b.Click(b.WaitFor("tr[data-profile=\"org.example.browser.wifi\"] a"));
  b.WaitFor("#profile-assign");
  b.Script("const s = document.querySelector('#profile-group'); s.value = 'Class 9'; return s.value");
  b.Click(b.Find("[data-test=profile-assign-submit]"));
  CHECK(b.WaitForText("#message", "Assigned to Class 9"));

  // mdmcron turns the assignment into InstallProfile; the device installs it and says so.
  auto cron = SharedStack().Console({"mdmcron", "--no-push"});
  INFO(cron.output);
  REQUIRE(cron.exit_code == 0);
  bool installed = false;
  for (int i = 0; i < 5 && !installed; ++i) {
    auto cmd = ParseCommand(d.Idle());
    if (!cmd) break;
    installed |= cmd->request_type == "InstallProfile";
    REQUIRE(d.Answer(*cmd).status == 200);
  }
  CHECK(installed);
  b.Go(ConsoleUrl(SharedStack()) + "#/profiles");
  b.Go(ConsoleUrl(SharedStack()) + "#/profiles/org.example.browser.wifi");
  CHECK(b.WaitForText("#profile-devices", "installed"));
  CHECK(b.WaitForText("[data-test=profile-installed]", "1"));
  b.Screenshot(Shot(SharedStack(), "console-profile.png"));
}
