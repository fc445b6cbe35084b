#include "webdriver.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "wire_json.h"

namespace mdm::test {
namespace {

constexpr const char* kDriver = "/usr/bin/chromedriver";
constexpr const char* kChromium = "/usr/bin/chromium";

using Clock = std::chrono::steady_clock;
using wire::ElementId;
using wire::Object;
using wire::String;
using wire::ToJson;

// Sends one command; returns chromedriver's whole reply (the result is its "value"). An error
// reply (any status >= 400) becomes a WebDriverError carrying the W3C error code.
rapidjson::Document Send(HttpClient& http, const std::string& method, const std::string& url,
                         const std::string& body = "") {
  auto r = http.Request(method, url, body, {{"Content-Type", "application/json"}});
  if (!r.error.empty()) throw WebDriverError("transport", method + " " + url + ": " + r.error);
  rapidjson::Document reply;
  reply.Parse(r.body);
  if (reply.HasParseError() || !reply.IsObject() || !reply.HasMember("value"))
    throw WebDriverError("bad reply", method + " " + url + ": HTTP " + std::to_string(r.status) + ": " +
                                          r.body.substr(0, 500));
  const auto& v = reply["value"];
  if (r.status >= 400 || (v.IsObject() && v.HasMember("error") && v["error"].IsString())) {
    std::string code = v.IsObject() && v.HasMember("error") && v["error"].IsString() ? v["error"].GetString() : "";
    std::string message = v.IsObject() && v.HasMember("message") && v["message"].IsString() ? v["message"].GetString() : "";
    throw WebDriverError(code, method + " " + url + ": HTTP " + std::to_string(r.status) + ": " + code + ": " + message);
  }
  return reply;
}

}  // namespace

Browser::Browser() {
  auto start = Clock::now();
  if (access(kDriver, X_OK) != 0 || access(kChromium, X_OK) != 0)
    throw std::runtime_error(std::string(kDriver) + " or " + kChromium +
                             " is missing: install the Debian packages chromium and chromium-driver "
                             "(scripts/test installs them)");
  base_ = "http://127.0.0.1:" + std::to_string(FreeTcpPort());
  // Our folder appears on every command line (chromedriver's log, Chromium's profile, crashpad's
  // database): Shutdown() finds stragglers by it, and so does scripts/test's sweep of MDM_TEST_TMP
  // if this process dies without running its destructor.
  std::string log = dir_.path() + "/chromedriver.log";
  // Chromium starts chrome_crashpad_handler in a session of its own, out of reach of chromedriver's
  // process group; BREAKPAD_DUMP_LOCATION puts its database, and so our folder's name on its command
  // line, in our folder instead of ~/.config (--disable-crashpad-for-testing would avoid it, but
  // then no navigation ever finishes). `env` execs chromedriver in its place, same pid.
  driver_ = Process({"env", "BREAKPAD_DUMP_LOCATION=" + dir_.path() + "/crashpad", kDriver,
                     "--port=" + base_.substr(base_.rfind(':') + 1), "--log-path=" + log, "--append-log"},
                    log);
  try {
    bool ready = PollBrowser(20000, [&] {
      if (ChildExited(driver_.pid())) throw std::runtime_error("chromedriver exited");
      auto r = http_.Request("GET", base_ + "/status", "");
      if (!r.error.empty() || r.status != 200) return false;  // not listening yet
      rapidjson::Document d;
      d.Parse(r.body);
      return !d.HasParseError() && d.IsObject() && d.HasMember("value") && d["value"].IsObject() &&
             d["value"].HasMember("ready") && d["value"]["ready"].IsTrue();
    });
    if (!ready) throw std::runtime_error("chromedriver not ready after 20 s");

    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> w(out);
    w.StartObject();
    w.Key("capabilities");
    w.StartObject();
    w.Key("alwaysMatch");
    w.StartObject();
    w.Key("browserName");
    w.String("chrome");
    w.Key("acceptInsecureCerts");
    w.Bool(true);
    // Fail a command before HttpClient's own 30 s timeout would, so the error says what hung.
    w.Key("timeouts");
    w.StartObject();
    w.Key("pageLoad");
    w.Int(20000);
    w.Key("script");
    w.Int(20000);
    w.Key("implicit");
    w.Int(0);
    w.EndObject();
    w.Key("goog:chromeOptions");
    w.StartObject();
    w.Key("binary");
    w.String(kChromium);
    w.Key("args");
    w.StartArray();
    std::vector<std::string> args = {"--headless=new", "--no-sandbox",  // the sandbox refuses to run as root
                          "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                          "--ignore-certificate-errors",
                          // A profile in our folder instead of one chromedriver makes in /tmp.
                          "--user-data-dir=" + dir_.path() + "/profile"};
    for (const auto& a : args) String(w, a);
    w.EndArray();
    w.EndObject();
    w.EndObject();
    w.EndObject();
    w.EndObject();
    auto reply = Send(http_, "POST", base_ + "/session", out.GetString());
    const auto& v = reply["value"];
    if (!v.IsObject() || !v.HasMember("sessionId") || !v["sessionId"].IsString())
      throw std::runtime_error("no session id in " + ToJson(v));
    session_ = std::string("/session/") + v["sessionId"].GetString();
  } catch (const std::exception& e) {
    Shutdown();
    throw std::runtime_error(std::string("cannot start headless Chromium: ") + e.what() + "\n--- " + log + ":\n" +
                             DriverLog());
  }
  startup_seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
}

Browser::~Browser() { Shutdown(); }

void Browser::Shutdown() noexcept {
  if (!session_.empty()) {
    try {
      Send(http_, "DELETE", At(""));  // Chromium quits
    } catch (const std::exception&) {
      // Whatever is left is killed below.
    }
    session_.clear();
  }
  pid_t pid = driver_.pid();
  if (pid <= 0) return;
  // Process made chromedriver the leader of a process group, which the Chromium processes it
  // starts share: signalling the group leaves no zygote or renderer behind, even when the session
  // could not be deleted. Stop() reaps chromedriver only after that.
  kill(-pid, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!ChildExited(pid) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  kill(-pid, SIGKILL);
  driver_.Stop();
  // The crashpad handlers (in sessions of their own) exit once the browser they watch is gone;
  // whatever still names our folder after a while is killed.
  deadline = Clock::now() + std::chrono::seconds(3);
  while (!PidsMentioning(dir_.path()).empty() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (pid_t p : PidsMentioning(dir_.path())) kill(p, SIGKILL);
}

std::string Browser::DriverLog() const {
  std::string log = ReadFile(dir_.path() + "/chromedriver.log");
  constexpr size_t kTail = 8000;
  return log.size() > kTail ? "..." + log.substr(log.size() - kTail) : log;
}

void Browser::Go(const std::string& url) { Send(http_, "POST", At("/url"), Object({{"url", url}})); }

std::string Browser::Url() {
  auto d = Send(http_, "GET", At("/url"));
  return d["value"].IsString() ? d["value"].GetString() : "";
}

std::string Browser::Find(const std::string& css) {
  auto d = Send(http_, "POST", At("/element"), Object({{"using", "css selector"}, {"value", css}}));
  return ElementId(d["value"]);
}

std::vector<std::string> Browser::FindAll(const std::string& css) {
  auto d = Send(http_, "POST", At("/elements"), Object({{"using", "css selector"}, {"value", css}}));
  std::vector<std::string> ids;
  if (d["value"].IsArray())
    for (const auto& e : d["value"].GetArray()) ids.push_back(ElementId(e));
  return ids;
}

void Browser::Click(const std::string& element) { Send(http_, "POST", At("/element/" + element + "/click"), "{}"); }

void Browser::Type(const std::string& element, const std::string& text) {
  Send(http_, "POST", At("/element/" + element + "/clear"), "{}");
  Send(http_, "POST", At("/element/" + element + "/value"), Object({{"text", text}}));
}

std::string Browser::Text(const std::string& element) {
  auto d = Send(http_, "GET", At("/element/" + element + "/text"));
  return d["value"].IsString() ? d["value"].GetString() : "";
}

std::string Browser::Attribute(const std::string& element, const std::string& name) {
  auto d = Send(http_, "GET", At("/element/" + element + "/attribute/" + name));
  return d["value"].IsString() ? d["value"].GetString() : "";  // null: no such attribute
}

std::string Browser::Property(const std::string& element, const std::string& name) {
  auto d = Send(http_, "GET", At("/element/" + element + "/property/" + name));
  return d["value"].IsString() ? d["value"].GetString() : ToJson(d["value"]);
}

bool Browser::Displayed(const std::string& element) {
  auto d = Send(http_, "GET", At("/element/" + element + "/displayed"));
  return d["value"].IsTrue();
}

std::string Browser::Script(const std::string& js) {
  auto d = Send(http_, "POST", At("/execute/sync"), wire::ScriptParams(js));
  return ToJson(d["value"]);
}

void Browser::Screenshot(const std::string& png_path) {
  wire::WriteScreenshot(Send(http_, "GET", At("/screenshot"))["value"], png_path);
}

std::vector<std::pair<std::string, std::string>> Browser::Cookies() {
  return wire::CookieValues(Send(http_, "GET", At("/cookie"))["value"]);
}

std::optional<Cookie> Browser::GetCookie(const std::string& name) {
  return wire::FindCookie(Send(http_, "GET", At("/cookie"))["value"], name);
}

std::string Browser::CookiesJson() { return ToJson(Send(http_, "GET", At("/cookie"))["value"]); }

void Browser::DeleteCookies() { Send(http_, "DELETE", At("/cookie")); }

}  // namespace mdm::test
