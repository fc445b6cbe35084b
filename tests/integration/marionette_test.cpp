// The Firefox browser-test harness itself (harness/marionette.h): a real headless Firefox ESR
// driven over Marionette, on a page of files of its own (file://), without the stack. The same
// checks as webdriver_test.cpp's for Chromium, through the WebBrowser interface both implement,
// and the browser console that only FirefoxBrowser reads.
#include <catch2/catch.hpp>

#include "marionette.h"
#include "process.h"

using mdm::test::FirefoxBrowser;
using mdm::test::ReadFile;
using mdm::test::Run;
using mdm::test::TempDir;
using mdm::test::WebBrowser;
using mdm::test::WebDriverError;
using mdm::test::WriteFile;

TEST_CASE("headless Firefox is driven over Marionette", "[marionette]") {
  TempDir site;
  // A policy that refuses inline style: the hidden paragraph's style attribute is a violation.
  WriteFile(site.path() + "/index.html", R"(<!doctype html>
<html><head><meta charset="utf-8"><title>marionette self-test</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'">
<script src="app.js" defer></script></head>
<body>
<form id="form"><input id="name" name="name" placeholder="Name"><button id="show" type="button">Show</button></form>
<p id="out"></p>
<p id="hidden" hidden style="color: red">not shown</p>
</body></html>
)");
  WriteFile(site.path() + "/app.js", R"(
document.getElementById('show').addEventListener('click', () => {
  document.getElementById('out').textContent = document.getElementById('name').value;
});
)");
  std::string url = "file://" + site.path() + "/index.html";
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

    auto input = b.WaitFor("#name");
    CHECK(b.Attribute(input, "placeholder") == "Name");
    CHECK(b.Attribute(input, "no-such-attribute").empty());
    b.Type(input, "first");
    b.Type(input, "<b>x</b>");  // replaces, not appends
    CHECK(b.Property(input, "value") == "<b>x</b>");
    CHECK(b.Property(input, "maxLength") == "-1");  // not a string: JSON text
    b.Click(b.Find("#show"));
    REQUIRE(b.WaitForText("#out", "<b>x</b>"));
    CHECK(b.Text(b.Find("#out")) == "<b>x</b>");
    CHECK(b.FindAll("#out b").empty());
    CHECK(b.Script("return document.getElementById('out').childElementCount") == "0");
    CHECK_FALSE(b.WaitForText("#out", "never there", 200));

    CHECK(b.FindAll("p").size() == 2);
    CHECK_FALSE(b.TryFind("#nope"));
    try {
      b.Find("#nope");
      FAIL("Find of an absent element did not throw");
    } catch (const WebDriverError& e) {
      CHECK(e.code == "no such element");
    }
    try {
      b.Script("throw new Error('boom')");
      FAIL("a failing script did not throw");
    } catch (const WebDriverError& e) {
      CHECK(e.code == "javascript error");
      CHECK_THAT(e.what(), Catch::Contains("boom"));
    }
    auto hidden = b.Find("#hidden");
    CHECK_FALSE(b.Displayed(hidden));
    CHECK(b.WaitGone("#hidden", 1000));
    CHECK_FALSE(b.WaitGone("#out", 200));
    CHECK_THROWS_AS(b.WaitFor("#hidden", 200), std::runtime_error);
    // An element the page removed is stale, and Wait* take that for "not yet".
    auto out = b.Find("#out");
    b.Script("document.getElementById('out').remove(); return null");
    try {
      b.Text(out);
      FAIL("a removed element was not stale");
    } catch (const WebDriverError& e) {
      CHECK(e.code == "stale element reference");
    }

    std::string png = site.path() + "/page.png";
    b.Screenshot(png);
    std::string bytes = ReadFile(png);
    REQUIRE(bytes.size() > 8);
    CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

    b.DeleteCookies();
    CHECK(b.Cookies().empty());
    CHECK(b.CookiesJson() == "[]");
    CHECK_FALSE(b.GetCookie("session"));

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
