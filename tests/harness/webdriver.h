// A minimal W3C WebDriver client for the web console's browser tests: a headless Chromium
// (Debian's chromium and chromium-driver) driven through a chromedriver of its own. The interface
// (and WebDriverError, Cookie) is WebBrowser's (web_browser.h), which FirefoxBrowser
// (marionette.h) implements too.
//
// Elements are WebDriver element ids (strings). Nothing waits implicitly: Find* look once,
// Wait* poll. Every command chromedriver refuses throws WebDriverError.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "http_client.h"
#include "process.h"
#include "web_browser.h"

namespace mdm::test {

class Browser : public WebBrowser {
 public:
  // Starts chromedriver and a headless Chromium session (it trusts any TLS certificate, as the
  // test stack's is self-signed); throws std::runtime_error with chromedriver's log on failure.
  Browser();
  // Ends the session and stops chromedriver and every Chromium process.
  ~Browser() override;
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  std::string name() const override { return "Chromium"; }

  // Navigates and waits for the page to load.
  void Go(const std::string& url) override;
  std::string Url() override;

  // By CSS selector. Find throws WebDriverError("no such element") when nothing matches.
  std::string Find(const std::string& css) override;
  std::vector<std::string> FindAll(const std::string& css) override;

  void Click(const std::string& element) override;
  void Type(const std::string& element, const std::string& text) override;  // clears the field first
  std::string Text(const std::string& element) override;           // rendered text, as a user sees it
  // The HTML attribute ("" when absent); Property reads the live DOM property (an input's current
  // value, "true"/"false" for checked): strings as they are, anything else as JSON text.
  std::string Attribute(const std::string& element, const std::string& name) override;
  std::string Property(const std::string& element, const std::string& name) override;
  bool Displayed(const std::string& element) override;

  // Runs `js` as a function body in the page (use `return` for a result); the result as JSON text.
  std::string Script(const std::string& js) override;
  void Screenshot(const std::string& png_path) override;

  std::vector<std::pair<std::string, std::string>> Cookies() override;  // name, value
  std::optional<Cookie> GetCookie(const std::string& name) override;     // with its flags
  std::string CookiesJson() override;  // all of them, as chromedriver reports them
  void DeleteCookies() override;

  double startup_seconds() const override { return startup_seconds_; }
  // Its own folder (chromedriver's log, Chromium's profile), removed on destruction.
  const std::string& dir() const override { return dir_.path(); }
  // The end of chromedriver's log (Chromium's own messages included): for failure messages.
  std::string DriverLog() const override;

 private:
  std::string At(const std::string& path) const { return base_ + session_ + path; }
  void Shutdown() noexcept;

  TempDir dir_;  // declared first: removed only after chromedriver and Chromium are gone
  Process driver_;
  HttpClient http_;
  std::string base_;     // http://127.0.0.1:PORT
  std::string session_;  // "/session/ID" while a session is open
  double startup_seconds_ = 0;
};

}  // namespace mdm::test
