#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace mdm::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "?";
}

// Quotes a value when it holds spaces, quotes or control characters, so one event stays one line.
void AppendValue(std::string& out, std::string_view v) {
  bool plain = !v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
Level GetLevel() { return static_cast<Level>(g_level.load()); }

bool ParseLevel(std::string_view w, Level* out) {
  if (w == "debug") *out = Level::kDebug;
  else if (w == "info") *out = Level::kInfo;
  else if (w == "warn" || w == "warning") *out = Level::kWarn;
  else if (w == "error") *out = Level::kError;
  else return false;
  return true;
}

Line::Line(Level level) : enabled_(static_cast<int>(level) >= g_level.load()) {
  if (!enabled_) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms), LevelName(level));
  text_ = buf;
}

Line::~Line() {
  if (!enabled_) return;
  text_.push_back('\n');
  // One write() per line keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, text_.data(), text_.size());
  (void)ignored;
}

Line& Line::kv(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  text_.push_back(' ');
  text_.append(key);
  text_.push_back('=');
  AppendValue(text_, value.empty() ? std::string_view("-") : value);
  return *this;
}

Line& Line::kv(std::string_view key, long long value) { return kv(key, std::to_string(value)); }

Line& Line::kv(std::string_view key, double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return kv(key, std::string_view(buf));
}

Line& Line::msg(std::string_view text) { return kv("msg", text); }

}  // namespace mdm::log
