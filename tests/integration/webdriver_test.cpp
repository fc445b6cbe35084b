// The browser-test harness itself (harness/webdriver.h): a real headless Chromium driven through
// chromedriver, on a page of files of its own (file://), without the stack.
#include <catch2/catch.hpp>

#include "browser_checks.h"
#include "process.h"
#include "webdriver.h"

using mdm::test::Browser;
using mdm::test::CheckScreenshotAndNoCookies;
using mdm::test::CheckSelfTestPage;
using mdm::test::Run;
using mdm::test::TempDir;
using mdm::test::WriteSelfTestPage;

TEST_CASE("headless Chromium is driven through chromedriver", "[webdriver]") {
  TempDir site;
  // The button's handler lives in an external script (app.js): loading one from the page's folder
  // works too.
  std::string url = WriteSelfTestPage(site.path(), "webdriver self-test");
  std::string browser_dir;
  {
    Browser b;
    browser_dir = b.dir();
    INFO("session started in " << b.startup_seconds() << " s");
    CHECK(b.startup_seconds() < 20);
    b.Go(url);
    CHECK(b.Url() == url);
    CHECK(b.Script("return document.title") == "\"webdriver self-test\"");

    CheckSelfTestPage(b);
    CheckScreenshotAndNoCookies(b, site.path() + "/page.png");
  }
  // Nothing outlives the Browser: neither chromedriver (its log is in that folder) nor Chromium
  // (its profile is).
  auto left = Run({"pgrep", "-af", browser_dir});
  INFO(left.output);
  CHECK(left.exit_code == 1);
}
