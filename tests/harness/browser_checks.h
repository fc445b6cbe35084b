// The self-test page and the Catch2 checks that the browser drivers' own tests (webdriver_test.cpp
// for Chromium, marionette_test.cpp for Firefox) share, through the WebBrowser interface.
// Header-only: the harness library itself does not depend on Catch2.
#pragma once

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "process.h"
#include "web_browser.h"

namespace mdm::test {

// Writes the self-test page to `dir`: index.html (titled `title`, with the line `head` added to its
// head and `hidden_attributes` to the hidden paragraph) and the external script its button runs,
// app.js, loaded from the page's folder. Returns the page's file:// URL.
inline std::string WriteSelfTestPage(const std::string& dir, const std::string& title, const std::string& head = "",
                                     const std::string& hidden_attributes = "") {
  WriteFile(dir + "/index.html", R"(<!doctype html>
<html><head><meta charset="utf-8"><title>)" + title + "</title>\n" + (head.empty() ? "" : head + "\n") + R"(<script src="app.js" defer></script></head>
<body>
<form id="form"><input id="name" name="name" placeholder="Name"><button id="show" type="button">Show</button></form>
<p id="out"></p>
<p id="hidden" hidden)" + hidden_attributes + R"(>not shown</p>
</body></html>
)");
  WriteFile(dir + "/app.js", R"(
document.getElementById('show').addEventListener('click', () => {
  document.getElementById('out').textContent = document.getElementById('name').value;
});
)");
  return "file://" + dir + "/index.html";
}

// On the loaded self-test page: finding, typing, clicking, text, waiting, and the errors.
inline void CheckSelfTestPage(WebBrowser& b) {
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
}

// A screenshot is a PNG file at `png_path`; file:// pages have no cookies, and the cookie calls
// work all the same.
inline void CheckScreenshotAndNoCookies(WebBrowser& b, const std::string& png_path) {
  b.Screenshot(png_path);
  std::string bytes = ReadFile(png_path);
  REQUIRE(bytes.size() > 8);
  CHECK(bytes.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));

  b.DeleteCookies();
  CHECK(b.Cookies().empty());
  CHECK(b.CookiesJson() == "[]");
  CHECK_FALSE(b.GetCookie("session"));
}

}  // namespace mdm::test
