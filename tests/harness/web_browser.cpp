#include "web_browser.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "process.h"

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

}  // namespace mdm::test
