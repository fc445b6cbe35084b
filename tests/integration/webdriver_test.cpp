// The browser-test harness itself (harness/webdriver.h): a real headless Chromium driven through
// chromedriver, on a page of files of its own (file://), without the stack.
#include <catch2/catch.hpp>

#include "process.h"
#include "webdriver.h"

using mdm::test::Browser;
using mdm::test::ReadFile;
using mdm::test::Run;
using mdm::test::TempDir;
using mdm::test::WebDriverError;
using mdm::test::WriteFile;

TEST_CASE("headless Chromium is driven through chromedriver", "[webdriver]") {
  TempDir site;
  WriteFile(site.path() + "/index.html", R"(<!doctype html>
<html><head><meta charset="utf-8"><title>webdriver self-test</title><script src="app.js" defer></script></head>
<body>
<form id="form"><input id="name" name="name" placeholder="Name"><button id="show" type="button">Show</button></form>
<p id="out"></p>
<p id="hidden" hidden>not shown</p>
</body></html>
)");
  // The handler lives in an external script: loading one from the page's folder works too.
  WriteFile(site.path() + "/app.js", R"(
document.getElementById('show').addEventListener('click', () => {
  document.getElementById('out').textContent = document.getElementById('name').value;
});
)");
  std::string url = "file://" + site.path() + "/index.html";
  std::string browser_dir;
  {
    Browser b;
    browser_dir = b.dir();
    INFO("session started in " << b.startup_seconds() << " s");
    CHECK(b.startup_seconds() < 20);
    b.Go(url);
    CHECK(b.Url() == url);
    CHECK(b.Script("return document.title") == "\"webdriver self-test\"");

    auto input = b.WaitFor("#name");
    CHECK(b.Attribute(input, "placeholder") == "Name");
    CHECK(b.Attribute(input, "no-such-attribute").empty());
    b.Type(input, "first");
    b.Type(input, "<b>x</b>");  // replaces, not appends
    CHECK(b.Property(input, "value") == "<b>x</b>");
    b.Click(b.Find("#show"));
    REQUIRE(b.WaitForText("#out", "<b>x</b>"));
    // Written as text, not markup: the literal comes back and no <b> element was made.
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
    auto hidden = b.Find("#hidden");
    CHECK_FALSE(b.Displayed(hidden));
    CHECK(b.WaitGone("#hidden", 1000));  // hidden counts as gone
    CHECK_FALSE(b.WaitGone("#out", 200));
    CHECK_THROWS_AS(b.WaitFor("#hidden", 200), std::runtime_error);

    std::string png = site.path() + "/page.png";
    b.Screenshot(png);
    std::string bytes = ReadFile(png);
    REQUIRE(bytes.size() > 8);
    CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

    // file:// pages have no cookies; the calls work all the same.
    b.DeleteCookies();
    CHECK(b.Cookies().empty());
    CHECK(b.CookiesJson() == "[]");
    CHECK_FALSE(b.GetCookie("session"));
  }
  // Nothing outlives the Browser: neither chromedriver (its log is in that folder) nor Chromium
  // (its profile is).
  auto left = Run({"pgrep", "-af", browser_dir});
  INFO(left.output);
  CHECK(left.exit_code == 1);
}
