#include "web_browser.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "crypto/crypto.h"
#include "process.h"
#include "wire_json.h"

namespace mdm::test {

using Clock = std::chrono::steady_clock;

bool PollBrowser(int timeout_ms, const std::function<bool()>& probe) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    try {
      if (probe()) return true;
    } catch (const WebDriverError& e) {
      if (e.code != "stale element reference" && e.code != "no such element") throw;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool ChildExited(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != 0;
}

std::vector<pid_t> PidsMentioning(const std::string& text) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(entry.path() / "cmdline");  // "" for zombies: they are gone
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(text) != std::string::npos) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

std::optional<std::string> WebBrowser::TryFind(const std::string& css) {
  auto all = FindAll(css);  // no error reply to tell from real errors when nothing matches
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::string WebBrowser::WaitFor(const std::string& css, int timeout_ms) {
  std::string found;
  bool ok = PollBrowser(timeout_ms, [&] {
    for (const auto& id : FindAll(css))
      if (Displayed(id)) {
        found = id;
        return true;
      }
    return false;
  });
  if (!ok)
    throw std::runtime_error("no displayed element matches '" + css + "' after " + std::to_string(timeout_ms) +
                             " ms on " + Url());
  return found;
}

bool WebBrowser::WaitGone(const std::string& css, int timeout_ms) {
  return PollBrowser(timeout_ms, [&] {
    for (const auto& id : FindAll(css))
      if (Displayed(id)) return false;
    return true;
  });
}

bool WebBrowser::WaitForText(const std::string& css, const std::string& text, int timeout_ms) {
  return PollBrowser(timeout_ms, [&] {
    auto id = TryFind(css);
    return id && Text(*id).find(text) != std::string::npos;
  });
}

namespace wire {

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  v.Accept(w);
  return out.GetString();
}

void String(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string Object(std::initializer_list<std::pair<const char*, std::string_view>> members) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  for (const auto& [k, v] : members) {
    w.Key(k);
    String(w, v);
  }
  w.EndObject();
  return out.GetString();
}

std::string ElementId(const rapidjson::Value& v) {
  if (!v.IsObject() || !v.HasMember(kElementKey) || !v[kElementKey].IsString())
    throw WebDriverError("bad reply", "not an element reference: " + ToJson(v));
  return v[kElementKey].GetString();
}

std::string ScriptParams(const std::string& js) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("script");
  String(w, js);
  w.Key("args");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  return out.GetString();
}

std::vector<std::pair<std::string, std::string>> CookieValues(const rapidjson::Value& cookies) {
  std::vector<std::pair<std::string, std::string>> values;
  if (cookies.IsArray())
    for (const auto& c : cookies.GetArray())
      if (c.IsObject() && c.HasMember("name") && c["name"].IsString() && c.HasMember("value") && c["value"].IsString())
        values.emplace_back(c["name"].GetString(), c["value"].GetString());
  return values;
}

std::optional<Cookie> FindCookie(const rapidjson::Value& cookies, const std::string& name) {
  if (!cookies.IsArray()) return std::nullopt;
  for (const auto& c : cookies.GetArray()) {
    if (!c.IsObject()) continue;
    auto str = [&](const char* k) { return c.HasMember(k) && c[k].IsString() ? std::string(c[k].GetString()) : ""; };
    if (str("name") != name) continue;
    Cookie cookie;
    cookie.name = name;
    cookie.value = str("value");
    cookie.domain = str("domain");
    cookie.path = str("path");
    cookie.same_site = str("sameSite");
    cookie.secure = c.HasMember("secure") && c["secure"].IsTrue();
    cookie.http_only = c.HasMember("httpOnly") && c["httpOnly"].IsTrue();
    return cookie;
  }
  return std::nullopt;
}

void WriteScreenshot(const rapidjson::Value& base64_png, const std::string& png_path) {
  std::string png;
  if (!base64_png.IsString() || !mdm::crypto::Base64Decode(base64_png.GetString(), &png))
    throw WebDriverError("bad reply", "the screenshot is not base64");
  WriteFile(png_path, png);
}

}  // namespace wire

}  // namespace mdm::test
