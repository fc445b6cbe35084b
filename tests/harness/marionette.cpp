#include "marionette.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "wire_json.h"

namespace mdm::test {
namespace {

constexpr const char* kFirefox = "/usr/bin/firefox-esr";
// Longer than the session's page load and script timeouts (20 s), so those fail first and say so.
constexpr int kReplySeconds = 40;

using Clock = std::chrono::steady_clock;

using wire::ElementId;
using wire::Object;
using wire::ScriptParams;
using wire::ToJson;

// Most commands answer {"value": result}.
const rapidjson::Value& ValueOf(const rapidjson::Value& result) {
  static const rapidjson::Value kNull;
  if (result.IsObject() && result.HasMember("value")) return result["value"];
  return kNull;
}

// Firefox's preferences for the fresh profile. Marionette applies its recommended ones on top (no
// first-run pages, updates, telemetry, remote settings, ...: RecommendedPreferences.sys.mjs);
// these are some it does not.
constexpr const char* kUserJs = R"(// Written by the test harness (tests/harness/marionette.cpp).
// Any free port; Firefox writes the one it took to MarionetteActivePort in the profile.
user_pref("marionette.port", 0);
// A blank first tab, and nothing that would go out to the network on its own.
user_pref("browser.startup.page", 0);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("browser.safebrowsing.update.enabled", false);
)";

}  // namespace

// One Marionette connection: a blocking socket with a reply timeout, and the bytes read past the
// last packet.
struct FirefoxBrowser::Connection {
  int fd = -1;
  std::string buffer;
  long long next_id = 0;

  explicit Connection(int port) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    SetTimeout(kReplySeconds);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to Marionette on port " + std::to_string(port) + ": " +
                               std::strerror(errno));
  }
  ~Connection() {
    if (fd >= 0) close(fd);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void SetTimeout(int seconds) {
    timeval tv{};
    tv.tv_sec = seconds;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  // Reads at least one more byte into `buffer`.
  void Fill(const std::string& what) {
    char chunk[65536];
    while (true) {
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer.append(chunk, static_cast<size_t>(n));
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) throw WebDriverError("transport", what + ": Firefox closed the Marionette connection");
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        throw WebDriverError("transport", what + ": no answer from Firefox in " + std::to_string(kReplySeconds) + " s");
      throw WebDriverError("transport", what + ": " + std::strerror(errno));
    }
  }

  // The JSON text of the next "<length>:<json>" packet.
  std::string ReadPacket(const std::string& what) {
    size_t colon;
    while ((colon = buffer.find(':')) == std::string::npos) {
      if (buffer.size() > 20) break;
      Fill(what);
    }
    if (colon == std::string::npos || colon == 0 || colon > 12 ||
        buffer.find_first_not_of("0123456789") != colon)
      throw WebDriverError("transport", what + ": not a Marionette packet: " + buffer.substr(0, 40));
    size_t length = std::stoul(buffer.substr(0, colon));
    while (buffer.size() < colon + 1 + length) Fill(what);
    std::string json = buffer.substr(colon + 1, length);
    buffer.erase(0, colon + 1 + length);
    return json;
  }

  void Write(const std::string& json, const std::string& what) {
    std::string packet = std::to_string(json.size()) + ":" + json;
    size_t sent = 0;
    while (sent < packet.size()) {
      ssize_t n = send(fd, packet.data() + sent, packet.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw WebDriverError("transport", what + ": cannot send: " + std::strerror(errno));
      sent += static_cast<size_t>(n);
    }
  }

  // Sends [0, id, name, params] and returns the result of the answer with that id (an answer to
  // an earlier command that timed out is skipped); an error answer becomes a WebDriverError.
  rapidjson::Document Call(const std::string& name, const std::string& params = "{}") {
    long long id = ++next_id;
    Write("[0," + std::to_string(id) + ",\"" + name + "\"," + params + "]", name);
    while (true) {
      std::string json = ReadPacket(name);
      rapidjson::Document reply;
      reply.Parse(json.data(), json.size());
      if (reply.HasParseError() || !reply.IsArray() || reply.Size() != 4 || !reply[0].IsInt() ||
          reply[0].GetInt() != 1 || !reply[1].IsInt64())
        throw WebDriverError("bad reply", name + ": not a Marionette answer: " + json.substr(0, 500));
      if (reply[1].GetInt64() != id) continue;
      const auto& error = reply[2];
      if (!error.IsNull()) {
        auto str = [&](const char* k) {
          return error.IsObject() && error.HasMember(k) && error[k].IsString() ? std::string(error[k].GetString()) : "";
        };
        std::string code = str("error");
        throw WebDriverError(code, name + ": " + code + ": " + str("message"));
      }
      rapidjson::Document result;
      result.CopyFrom(reply[3], result.GetAllocator());
      return result;
    }
  }
};

FirefoxBrowser::FirefoxBrowser() {
  auto start = Clock::now();
  if (access(kFirefox, X_OK) != 0)
    throw std::runtime_error(std::string(kFirefox) +
                             " is missing: install the Debian package firefox-esr (scripts/test installs it)");
  std::string profile = dir_.path() + "/profile", home = dir_.path() + "/home", tmp = dir_.path() + "/tmp";
  for (const auto& d : {profile, home, tmp}) std::filesystem::create_directories(d);
  WriteFile(profile + "/user.js", kUserJs);
  std::string log = dir_.path() + "/firefox.log";
  // Our folder is on the command lines of Firefox (-profile) and of its crash helper (which is in a
  // session of its own and is given TMPDIR): Shutdown() finds stragglers by it, and so does
  // scripts/test's sweep of MDM_TEST_TMP. The content processes share Firefox's process group.
  // As root, Firefox wants a HOME of its own. --remote-allow-system-access lets ConsoleMessages()
  // read the browser console in the chrome context. `env` execs Firefox in its place, same pid.
  firefox_ = Process({"env", "HOME=" + home, "TMPDIR=" + tmp, "MOZ_HEADLESS=1", "MOZ_CRASHREPORTER_DISABLE=1",
                      "MOZ_NO_REMOTE=1", kFirefox, "--marionette", "--headless", "--no-remote",
                      "--remote-allow-system-access", "-profile", profile},
                     log);
  try {
    int port = 0;
    bool listening = PollBrowser(30000, [&] {
      if (ChildExited(firefox_.pid())) throw std::runtime_error("Firefox exited");
      std::string text = ReadFile(profile + "/MarionetteActivePort");
      if (text.empty() || text.find_first_not_of("0123456789\n") != std::string::npos) return false;
      port = std::stoi(text);
      return port > 0;
    });
    if (!listening) throw std::runtime_error("Marionette not listening after 30 s");
    conn_ = std::make_unique<Connection>(port);
    std::string hello = conn_->ReadPacket("hello");
    if (hello.find("\"marionetteProtocol\"") == std::string::npos)
      throw std::runtime_error("not Marionette's greeting: " + hello.substr(0, 200));

    auto session = conn_->Call("WebDriver:NewSession",
                               R"({"acceptInsecureCerts": true,
                                   "timeouts": {"pageLoad": 20000, "script": 20000, "implicit": 0}})");
    if (!session.IsObject() || !session.HasMember("sessionId"))
      throw std::runtime_error("no session id in " + ToJson(session));
    session_ = true;
    if (session.HasMember("capabilities") && session["capabilities"].IsObject() &&
        session["capabilities"].HasMember("browserVersion") && session["capabilities"]["browserVersion"].IsString())
      version_ = session["capabilities"]["browserVersion"].GetString();
    // The same size as the Chromium tests' window (headless Firefox starts at 1366x768).
    conn_->Call("WebDriver:SetWindowRect", R"({"width": 1280, "height": 900})");
  } catch (const std::exception& e) {
    Shutdown();
    throw std::runtime_error(std::string("cannot start headless Firefox: ") + e.what() + "\n--- " + log + ":\n" +
                             DriverLog());
  }
  startup_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
}

FirefoxBrowser::~FirefoxBrowser() { Shutdown(); }

void FirefoxBrowser::Shutdown() noexcept {
  bool quitting = false;
  if (conn_ && session_) {
    try {
      conn_->SetTimeout(15);
      conn_->Call("Marionette:Quit");  // answers once Firefox has begun to quit
      quitting = true;
    } catch (const std::exception&) {
      // Whatever is left is killed below.
    }
  }
  session_ = false;
  conn_.reset();
  pid_t pid = firefox_.pid();
  if (pid <= 0) return;
  // Firefox is the leader of a process group (Process made it so) that its content processes
  // share: once it has quit (or been told to), signalling the group leaves none behind. Stop()
  // reaps it only after that, so the group id cannot have been reused meanwhile.
  auto deadline = Clock::now() + std::chrono::seconds(quitting ? 10 : 0);
  while (!ChildExited(pid) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!ChildExited(pid)) {
    kill(-pid, SIGTERM);
    deadline = Clock::now() + std::chrono::seconds(5);
    while (!ChildExited(pid) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid, SIGKILL);
  firefox_.Stop();
  // The crash helper (in a session of its own) exits once Firefox is gone; whatever still names
  // our folder after a while is killed.
  deadline = Clock::now() + std::chrono::seconds(3);
  while (!PidsMentioning(dir_.path()).empty() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (pid_t p : PidsMentioning(dir_.path())) kill(p, SIGKILL);
}

std::string FirefoxBrowser::DriverLog() const {
  std::string log = ReadFile(dir_.path() + "/firefox.log");
  constexpr size_t kTail = 8000;
  return log.size() > kTail ? "..." + log.substr(log.size() - kTail) : log;
}

void FirefoxBrowser::Go(const std::string& url) { conn_->Call("WebDriver:Navigate", Object({{"url", url}})); }

std::string FirefoxBrowser::Url() {
  auto d = conn_->Call("WebDriver:GetCurrentURL");
  const auto& v = ValueOf(d);
  return v.IsString() ? v.GetString() : "";
}

std::string FirefoxBrowser::Find(const std::string& css) {
  auto d = conn_->Call("WebDriver:FindElement", Object({{"using", "css selector"}, {"value", css}}));
  return ElementId(ValueOf(d));
}

std::vector<std::string> FirefoxBrowser::FindAll(const std::string& css) {
  // Answers a bare array, not {"value": [...]}.
  auto d = conn_->Call("WebDriver:FindElements", Object({{"using", "css selector"}, {"value", css}}));
  std::vector<std::string> ids;
  if (d.IsArray())
    for (const auto& e : d.GetArray()) ids.push_back(ElementId(e));
  return ids;
}

void FirefoxBrowser::Click(const std::string& element) { conn_->Call("WebDriver:ElementClick", Object({{"id", element}})); }

void FirefoxBrowser::Type(const std::string& element, const std::string& text) {
  conn_->Call("WebDriver:ElementClear", Object({{"id", element}}));
  conn_->Call("WebDriver:ElementSendKeys", Object({{"id", element}, {"text", text}}));
}

std::string FirefoxBrowser::Text(const std::string& element) {
  auto d = conn_->Call("WebDriver:GetElementText", Object({{"id", element}}));
  const auto& v = ValueOf(d);
  return v.IsString() ? v.GetString() : "";
}

std::string FirefoxBrowser::Attribute(const std::string& element, const std::string& name) {
  auto d = conn_->Call("WebDriver:GetElementAttribute", Object({{"id", element}, {"name", name}}));
  const auto& v = ValueOf(d);
  return v.IsString() ? v.GetString() : "";  // null: no such attribute
}

std::string FirefoxBrowser::Property(const std::string& element, const std::string& name) {
  auto d = conn_->Call("WebDriver:GetElementProperty", Object({{"id", element}, {"name", name}}));
  const auto& v = ValueOf(d);
  return v.IsString() ? v.GetString() : ToJson(v);
}

bool FirefoxBrowser::Displayed(const std::string& element) {
  auto d = conn_->Call("WebDriver:IsElementDisplayed", Object({{"id", element}}));
  return ValueOf(d).IsTrue();
}

std::string FirefoxBrowser::Script(const std::string& js) {
  // Without a "sandbox", Marionette runs it in a fresh sandbox over the page's window, Xrays waived.
  return ToJson(ValueOf(conn_->Call("WebDriver:ExecuteScript", ScriptParams(js))));
}

void FirefoxBrowser::Screenshot(const std::string& png_path) {
  // The viewport, as WebDriver's Take Screenshot (Marionette's default is the whole document).
  wire::WriteScreenshot(ValueOf(conn_->Call("WebDriver:TakeScreenshot", R"({"full": false})")), png_path);
}

std::vector<std::pair<std::string, std::string>> FirefoxBrowser::Cookies() {
  return wire::CookieValues(conn_->Call("WebDriver:GetCookies"));  // a bare array
}

std::optional<Cookie> FirefoxBrowser::GetCookie(const std::string& name) {
  return wire::FindCookie(conn_->Call("WebDriver:GetCookies"), name);
}

std::string FirefoxBrowser::CookiesJson() { return ToJson(conn_->Call("WebDriver:GetCookies")); }

void FirefoxBrowser::DeleteCookies() { conn_->Call("WebDriver:DeleteAllCookies"); }

std::string FirefoxBrowser::ChromeScript(const std::string& js) {
  conn_->Call("Marionette:SetContext", Object({{"value", "chrome"}}));
  rapidjson::Document d;
  try {
    d = conn_->Call("WebDriver:ExecuteScript", ScriptParams(js));
  } catch (...) {
    conn_->Call("Marionette:SetContext", Object({{"value", "content"}}));
    throw;
  }
  conn_->Call("Marionette:SetContext", Object({{"value", "content"}}));
  return ToJson(ValueOf(d));
}

std::vector<std::string> FirefoxBrowser::ConsoleMessages() {
  std::string json = ChromeScript(R"(
    const kind = m => (m.flags & Ci.nsIScriptError.warningFlag) ? 'warning'
                    : (m.flags & Ci.nsIScriptError.infoFlag) ? 'info' : 'error';
    return Services.console.getMessageArray()
      .filter(m => m instanceof Ci.nsIScriptError && !/^(chrome|resource|moz-extension|about):/.test(m.sourceName || ''))
      .map(m => kind(m) + ' ' + m.category + ': ' + m.errorMessage +
                (m.sourceName ? ' [' + m.sourceName + (m.lineNumber ? ':' + m.lineNumber : '') + ']' : ''));
  )");
  rapidjson::Document d;
  d.Parse(json);
  std::vector<std::string> messages;
  if (d.IsArray())
    for (const auto& m : d.GetArray())
      if (m.IsString()) messages.emplace_back(m.GetString());
  return messages;
}

void FirefoxBrowser::ClearConsole() { ChromeScript("Services.console.reset(); return null"); }

}  // namespace mdm::test
