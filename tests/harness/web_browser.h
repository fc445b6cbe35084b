// What the web console's browser tests need from a browser, whichever drives it: Browser
// (webdriver.h: headless Chromium through chromedriver) and FirefoxBrowser (marionette.h: headless
// Firefox ESR through its built-in Marionette server). A test written against WebBrowser runs in
// both.
//
// Elements are WebDriver element ids (strings). Nothing waits implicitly: Find* look once,
// Wait* poll. Every command the browser refuses throws WebDriverError.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mdm::test {

// An error the browser answered; `code` is the W3C error code ("no such element",
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

class WebBrowser {
 public:
  virtual ~WebBrowser() = default;

  // "Chromium" or "Firefox": for messages and file names.
  virtual std::string name() const = 0;

  // Navigates and waits for the page to load.
  virtual void Go(const std::string& url) = 0;
  virtual std::string Url() = 0;

  // By CSS selector. Find throws WebDriverError("no such element") when nothing matches.
  virtual std::string Find(const std::string& css) = 0;
  std::optional<std::string> TryFind(const std::string& css);
  virtual std::vector<std::string> FindAll(const std::string& css) = 0;

  // The first matching element that is displayed; throws std::runtime_error after timeout_ms.
  std::string WaitFor(const std::string& css, int timeout_ms = 10000);
  // True once no matching element is displayed (absent or hidden); false after timeout_ms.
  bool WaitGone(const std::string& css, int timeout_ms = 10000);
  // True once the first matching element's rendered text contains `text`; false after timeout_ms.
  bool WaitForText(const std::string& css, const std::string& text, int timeout_ms = 10000);

  virtual void Click(const std::string& element) = 0;
  virtual void Type(const std::string& element, const std::string& text) = 0;  // clears the field first
  virtual std::string Text(const std::string& element) = 0;  // rendered text, as a user sees it
  // The HTML attribute ("" when absent); Property reads the live DOM property (an input's current
  // value, "true"/"false" for checked): strings as they are, anything else as JSON text.
  virtual std::string Attribute(const std::string& element, const std::string& name) = 0;
  virtual std::string Property(const std::string& element, const std::string& name) = 0;
  virtual bool Displayed(const std::string& element) = 0;

  // Runs `js` as a function body in the page (use `return` for a result; a returned promise is
  // awaited); the result as JSON text.
  virtual std::string Script(const std::string& js) = 0;
  // The visible part of the page, as PNG.
  virtual void Screenshot(const std::string& png_path) = 0;

  virtual std::vector<std::pair<std::string, std::string>> Cookies() = 0;  // name, value
  virtual std::optional<Cookie> GetCookie(const std::string& name) = 0;     // with its flags
  virtual std::string CookiesJson() = 0;  // all of them, as the browser reports them
  virtual void DeleteCookies() = 0;

  // From starting the browser to its session being ready.
  virtual double startup_seconds() const = 0;
  // Its own folder (logs, the browser's profile), removed on destruction.
  virtual const std::string& dir() const = 0;
  // The end of the driver's log (the browser's own messages included): for failure messages.
  virtual std::string DriverLog() const = 0;
};

// Helpers the browser drivers share.

// Polls `probe` every 50 ms until it answers true or `timeout_ms` pass. An element the page
// replaced or removed while we looked at it (stale) only means "not yet".
bool PollBrowser(int timeout_ms, const std::function<bool()>& probe);
// Whether `pid` (our child) has exited, without reaping it: while it is unreaped its pid, and so
// its process group id, cannot be reused, and signalling the group stays safe.
bool ChildExited(pid_t pid);
// The processes whose command line contains `text` (our folder: they are ours).
std::vector<pid_t> PidsMentioning(const std::string& text);

}  // namespace mdm::test
