// The web console's core flow in a real headless Firefox ESR (driven over Marionette, harness/
// marionette.h) against the real stack, as console_browser_test.cpp does in Chromium: a wrong
// password, then login; the session cookie is not readable by the page; a device name with markup
// shows as text; open a device, lock it through the form, the device gets the command and answers,
// the history shows it acknowledged; no Content-Security-Policy violation happened; logout.
// Prints Firefox's startup time and the load time of #/devices. The device page's screenshot goes
// to $MDM_SCREENSHOT_DIR (else the stack's folder) as console-firefox-device.png.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>

#include "console_checks.h"
#include "console_pages.h"
#include "marionette.h"
#include "sim_device.h"
#include "stack.h"

using mdm::test::CheckNoCspViolation;
using mdm::test::ConsoleUrl;
using mdm::test::CspViolations;
using mdm::test::FirefoxBrowser;
using mdm::test::LogIn;
using mdm::test::ParseCommand;
using mdm::test::SharedStack;
using mdm::test::Shot;
using mdm::test::SimDevice;
using mdm::test::WatchCsp;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

FirefoxBrowser& TheBrowser() {
  static FirefoxBrowser browser;
  return browser;
}

std::string SecondsText(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

}  // namespace

TEST_CASE("console in Firefox: wrong password, login, a device with markup in its name", "[browser]") {
  SharedStack().AddConsoleUser("fiona", "helpdesk", "helpdesk password 1");
  FirefoxBrowser& b = TheBrowser();
  std::printf("console_firefox_test: Firefox %s started in %s\n", b.version().c_str(),
              SecondsText(b.startup_seconds()).c_str());
  CHECK(b.startup_seconds() < 30);
  LogIn(b, SharedStack(), "fiona", "not her password");
  CHECK(b.WaitForText("#message", "wrong user name or password"));
  CHECK(b.Script("return fetch('/api-mdm.php/v1/session').then(r => r.status)") == "401");

  LogIn(b, SharedStack(), "fiona", "helpdesk password 1");
  b.WaitFor("#dashboard");
  // The session cookie is sent to the API only (its path) and never readable by the page.
  CHECK(b.Script("return document.cookie").find("mdm_session") == std::string::npos);
  CHECK(b.Script("return fetch('/api-mdm.php/v1/session').then(r => r.status)") == "200");

  SimDevice d = mdm::test::EnrolledDevice(SharedStack());
  Q("UPDATE devices SET device_name = '<script>alert(1)</script><b>Pupil</b>' WHERE id = '" + d.udid() + "'");
  std::string row_css = "tr[data-device-id=\"" + d.udid() + "\"]";
  b.Go(ConsoleUrl(SharedStack()) + "#/devices");
  std::string row = b.WaitFor(row_css);
  CHECK_THAT(b.Text(row), Catch::Contains("<script>alert(1)</script><b>Pupil</b>"));
  // Shown as text: no element was made from it, and no dialog opened (Marionette would refuse
  // the next command with "unexpected alert open").
  CHECK(b.Script("return document.querySelectorAll('#device-table b, #device-table script').length") == "0");

  // #/devices loaded afresh, as from a bookmark: the document, the script, the API calls, the table.
  b.Go("about:blank");
  auto start = std::chrono::steady_clock::now();
  b.Go(ConsoleUrl(SharedStack()) + "#/devices");
  b.WaitFor(row_css);
  double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("console_firefox_test: #/devices loaded (with the device list shown) in %s\n", SecondsText(load).c_str());
  CHECK(load < 10);
  WatchCsp(b);
  CheckNoCspViolation(b);
}

TEST_CASE("console in Firefox: lock a device and see it answered; no CSP violation; logout", "[browser]") {
  FirefoxBrowser& b = TheBrowser();
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
  b.Screenshot(Shot(SharedStack(), "console-firefox-device.png"));
  CHECK(Q("SELECT actor FROM audit_log WHERE action = 'command DeviceLock' AND device_id = '" + d.udid() + "'") ==
        "fiona");

  // No Content-Security-Policy violation: none the page's listener saw since the last full load,
  // and none in Firefox's console (which has every page load's, before any listener could be).
  CheckNoCspViolation(b);
  std::vector<std::string> messages = b.ConsoleMessages();
  std::string all;
  for (const auto& m : messages) all += m + "\n";
  INFO("Firefox's console about the pages:\n" << all);
  if (!messages.empty()) std::printf("console_firefox_test: Firefox's console about the pages:\n%s", all.c_str());
  for (const auto& m : messages) CHECK_THAT(m, !Catch::Contains(" CSP") && !Catch::Contains("Content-Security-Policy"));
  // Nor did the console's own script fail in Firefox.
  for (const auto& m : messages)
    if (m.rfind("error ", 0) == 0) CHECK_THAT(m, !Catch::Contains("/console/"));

  // The checks above can fail: a violation made on purpose (an inline style) is seen by both.
  b.Script("const p = document.createElement('p'); p.setAttribute('style', 'color: red'); "
           "document.body.append(p); return true");
  CHECK(mdm::test::PollBrowser(5000, [&] { return CspViolations(b).find("style-src") != std::string::npos; }));
  bool logged = false;
  for (const auto& m : b.ConsoleMessages()) logged |= m.find(" CSP") != std::string::npos;
  CHECK(logged);
  b.ClearConsole();
  CHECK(b.ConsoleMessages().empty());

  b.Click(b.WaitFor("[data-test=logout]"));
  b.WaitFor("#login-name");
  CHECK(b.Script("return fetch('/api-mdm.php/v1/session').then(r => r.status)") == "401");
}

TEST_CASE("console in Firefox: every page of an admin renders without a script error", "[browser]") {
  SharedStack().AddConsoleUser("fred", "admin", "admin password 12");
  FirefoxBrowser& b = TheBrowser();
  LogIn(b, SharedStack(), "fred", "admin password 12");
  b.WaitFor("#dashboard");
  for (const char* route : {"dashboard", "devices", "groups", "profiles", "enroll", "audit", "settings"}) {
    INFO("#/" << route);
    b.Click(b.WaitFor(std::string("#nav-") + route));
    b.WaitFor(std::string("#nav-") + route + "[aria-current=page]");
    CHECK(b.WaitGone("#view .loading"));
    b.WaitFor("#view h1");
    auto message = b.Find("#message");
    if (b.Displayed(message)) CHECK(b.Attribute(message, "data-kind") != "error");
  }
  std::vector<std::string> messages = b.ConsoleMessages();
  std::string all;
  for (const auto& m : messages) all += m + "\n";
  INFO("Firefox's console about the pages:\n" << all);
  for (const auto& m : messages)
    if (m.rfind("error ", 0) == 0) CHECK_THAT(m, !Catch::Contains("/console/"));
  b.Click(b.WaitFor("[data-test=logout]"));
  b.WaitFor("#login-name");
}
