// A minimal W3C WebDriver client for the web console's browser tests: a headless Chromium
// (Debian's chromium and chromium-driver) driven through a chromedriver of its own.
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

namespace mdm::test {

// An error chromedriver answered; `code` is the W3C error code ("no such element",
// "stale element reference", "javascript error", ...).
class WebDriverError : public std::runtime_error {
 public:
  WebDriverError(std::string code, const std::string& what) : std::runtime_error(what), code(std::move(code)) {}
  std::string code;
};

struct Cookie {
  std::string name, value, domain, path;
  std::string same_site;  // "Strict", "Lax" or "None"
  bool secure = false, http_only = false;
};

class Browser {
 public:
  // Starts chromedriver and a headless Chromium session (it trusts any TLS certificate, as the
  // test stack's is self-signed); throws std::runtime_error with chromedriver's log on failure.
  Browser();
  // Ends the session and stops chromedriver and every Chromium process.
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  // Navigates and waits for the page to load.
  void Go(const std::string& url);
  std::string Url();

  // By CSS selector. Find throws WebDriverError("no such element") when nothing matches.
  std::string Find(const std::string& css);
  std::optional<std::string> TryFind(const std::string& css);
  std::vector<std::string> FindAll(const std::string& css);

  // The first matching element that is displayed; throws std::runtime_error after timeout_ms.
  std::string WaitFor(const std::string& css, int timeout_ms = 10000);
  // True once no matching element is displayed (absent or hidden); false after timeout_ms.
  bool WaitGone(const std::string& css, int timeout_ms = 10000);
  // True once the first matching element's rendered text contains `text`; false after timeout_ms.
  bool WaitForText(const std::string& css, const std::string& text, int timeout_ms = 10000);

  void Click(const std::string& element);
  void Type(const std::string& element, const std::string& text);  // clears the field first
  std::string Text(const std::string& element);                    // rendered text, as a user sees it
  // The HTML attribute ("" when absent); Property reads the live DOM property (an input's current
  // value, "true"/"false" for checked): strings as they are, anything else as JSON text.
  std::string Attribute(const std::string& element, const std::string& name);
  std::string Property(const std::string& element, const std::string& name);
  bool Displayed(const std::string& element);

  // Runs `js` as a function body in the page (use `return` for a result); the result as JSON text.
  std::string Script(const std::string& js);
  void Screenshot(const std::string& png_path);

  std::vector<std::pair<std::string, std::string>> Cookies();  // name, value
  std::optional<Cookie> GetCookie(const std::string& name);     // with its flags
  std::string CookiesJson();                                    // all of them, as chromedriver reports them
  void DeleteCookies();

  double startup_seconds() const { return startup_seconds_; }
  // Its own folder (chromedriver's log, Chromium's profile), removed on destruction.
  const std::string& dir() const { return dir_.path(); }
  // The end of chromedriver's log (Chromium's own messages included): for failure messages.
  std::string DriverLog() const;

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
