// The Firefox browser-test harness itself (harness/marionette.h): a real headless Firefox ESR
// driven over Marionette, on a page of files of its own (file://), without the stack. The same
// checks as webdriver_test.cpp's for Chromium, through the WebBrowser interface both implement,
// and the browser console that only FirefoxBrowser reads.
#include <catch2/catch.hpp>

#include "browser_checks.h"
#include "marionette.h"
#include "process.h"

using mdm::test::CheckScreenshotAndNoCookies;
using mdm::test::CheckSelfTestPage;
using mdm::test::FirefoxBrowser;
using mdm::test::Run;
using mdm::test::TempDir;
using mdm::test::WebBrowser;
using mdm::test::WebDriverError;
using mdm::test::WriteSelfTestPage;

TEST_CASE("headless Firefox is driven over Marionette", "[marionette]") {
  TempDir site;
  // A policy that refuses inline style: the hidden paragraph's style attribute is a violation.
  std::string url = WriteSelfTestPage(site.path(), "marionette self-test",
                                      R"(<meta http-equiv="Content-Security-Policy" content="default-src 'self'">)",
                                      R"( style="color: red")");
  std::string browser_dir, parent;
  {
    FirefoxBrowser firefox;
    WebBrowser& b = firefox;
    browser_dir = b.dir();
    parent = "-parentPid " + std::to_string(firefox.pid()) + " ";
    INFO("Firefox " << firefox.version() << " started in " << b.startup_seconds() << " s");
    CHECK(b.startup_seconds() < 30);
    CHECK(b.name() == "Firefox");
    b.Go(url);
    CHECK(b.Url() == url);
    CHECK(b.Script("return document.title") == "\"marionette self-test\"");
    CHECK(b.Script("return Promise.resolve(6 * 7)") == "42");  // promises are awaited
    CHECK(b.Script("return window.innerWidth") == "1280");

    CheckSelfTestPage(b);
    CHECK(b.Property(b.Find("#name"), "maxLength") == "-1");  // not a string: JSON text
    try {
      b.Script("throw new Error('boom')");
      FAIL("a failing script did not throw");
    } catch (const WebDriverError& e) {
      CHECK(e.code == "javascript error");
      CHECK_THAT(e.what(), Catch::Contains("boom"));
    }
    // An element the page removed is stale, and Wait* take that for "not yet".
    auto out = b.Find("#out");
    b.Script("document.getElementById('out').remove(); return null");
    try {
      b.Text(out);
      FAIL("a removed element was not stale");
    } catch (const WebDriverError& e) {
      CHECK(e.code == "stale element reference");
    }

    CheckScreenshotAndNoCookies(b, site.path() + "/page.png");

    // The browser console has the page's CSP violation, which no script of ours could have seen.
    auto messages = firefox.ConsoleMessages();
    std::string all;
    for (const auto& m : messages) all += m + "\n";
    INFO(all);
    CHECK_THAT(all, Catch::Contains("CSP") && Catch::Contains("style-src-attr") && Catch::Contains(url));
    firefox.ClearConsole();
    CHECK(firefox.ConsoleMessages().empty());
    // And the content context is back: page commands work again.
    CHECK(b.Script("return document.title") == "\"marionette self-test\"");
    CHECK(Run({"pgrep", "-f", "--", parent}).exit_code == 0);  // it has content processes
  }
  // Nothing outlives the FirefoxBrowser: neither Firefox (its profile is in that folder), nor its
  // crash helper (its TMPDIR is), nor a content process (they were in Firefox's process group).
  auto left = Run({"pgrep", "-af", browser_dir});
  INFO(left.output);
  CHECK(left.exit_code == 1);
  auto content = Run({"pgrep", "-af", "--", parent});
  INFO(content.output);
  CHECK(content.exit_code == 1);
}
