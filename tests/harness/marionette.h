// The web console's browser tests in Firefox: a headless Firefox ESR (Debian's firefox-esr)
// driven over Marionette, the remote protocol built into Firefox, without geckodriver (which
// Debian does not package). FirefoxBrowser implements WebBrowser (web_browser.h), as Browser
// (webdriver.h, Chromium) does, so a test is written once for both.
//
// Marionette, as Firefox ESR 153 speaks it (chrome/remote/content/marionette/ in omni.ja): a TCP
// connection on 127.0.0.1; every packet is "<byte length>:<JSON>"; on connect Firefox sends
// {"applicationType": "gecko", "marionetteProtocol": 3}; a command is [0, id, "WebDriver:Name",
// {parameters}] and its answer [1, id, error or null, result], where the result is {"value": ...}
// except for a few commands (FindElements, GetCookies, NewSession, Marionette:Quit, ...) that
// answer bare, and an error is {"error": W3C code, "message", "stacktrace"}.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "process.h"
#include "web_browser.h"

namespace mdm::test {

class FirefoxBrowser : public WebBrowser {
 public:
  // Starts a headless Firefox with a fresh profile in its own folder (HOME and TMPDIR there too,
  // as it runs as root here) and opens a Marionette session that trusts any TLS certificate (the
  // test stack's is self-signed), with a 1280x900 window; throws std::runtime_error with
  // Firefox's log on failure.
  FirefoxBrowser();
  // Ends the session (Firefox quits) and kills whatever Firefox process is left.
  ~FirefoxBrowser() override;
  FirefoxBrowser(const FirefoxBrowser&) = delete;
  FirefoxBrowser& operator=(const FirefoxBrowser&) = delete;

  std::string name() const override { return "Firefox"; }

  void Go(const std::string& url) override;
  std::string Url() override;
  std::string Find(const std::string& css) override;
  std::vector<std::string> FindAll(const std::string& css) override;
  void Click(const std::string& element) override;
  void Type(const std::string& element, const std::string& text) override;
  std::string Text(const std::string& element) override;
  std::string Attribute(const std::string& element, const std::string& name) override;
  std::string Property(const std::string& element, const std::string& name) override;
  bool Displayed(const std::string& element) override;
  // Runs in Marionette's sandbox over the page's window (as geckodriver's scripts do): the page's
  // DOM, fetch and cookies, and properties set on `window` stay for later scripts.
  std::string Script(const std::string& js) override;
  void Screenshot(const std::string& png_path) override;
  std::vector<std::pair<std::string, std::string>> Cookies() override;
  std::optional<Cookie> GetCookie(const std::string& name) override;
  std::string CookiesJson() override;
  void DeleteCookies() override;

  double startup_seconds() const override { return startup_seconds_; }
  const std::string& dir() const override { return dir_.path(); }
  // The end of Firefox's own output (Marionette's log included).
  std::string DriverLog() const override;

  // Firefox only: what Firefox's browser console holds about web pages (its own chrome:// and
  // resource:// code left out): CSP violations, uncaught script errors, ... each as
  // "error|warning|info CATEGORY: message [source:line]". CSP violations have categories that
  // start with "CSP". Read in Firefox's chrome context, so they include what happened while a
  // page loaded, before any script of ours could listen.
  std::vector<std::string> ConsoleMessages();
  // Empties the browser console: ConsoleMessages() then has what happened since.
  void ClearConsole();
  // Firefox's version, as the session reports it ("153.8.0").
  const std::string& version() const { return version_; }
  // Firefox's main process (its content processes name it: "-parentPid PID").
  pid_t pid() const { return firefox_.pid(); }

 private:
  struct Connection;  // the Marionette socket (marionette.cpp)
  void Shutdown() noexcept;
  // Runs `js` in Firefox's chrome context (Services, Ci, ...); the result as JSON text.
  std::string ChromeScript(const std::string& js);

  TempDir dir_;  // declared first: removed only after Firefox is gone
  Process firefox_;
  std::unique_ptr<Connection> conn_;
  bool session_ = false;  // a Marionette session is open on conn_
  std::string version_;
  double startup_seconds_ = 0;
};

}  // namespace mdm::test
