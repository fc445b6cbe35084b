// One line per event on stderr: time, level, then key=value fields and a message.
// Callers never pass secrets (keys, tokens, bootstrap/unlock tokens) to a log line.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace mdm::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);
Level GetLevel();
// Parses "debug", "info", "warn", "error"; false when the word is none of them.
bool ParseLevel(std::string_view word, Level* out);

// A log line under construction; written in one write() when it goes out of scope.
class Line {
 public:
  explicit Line(Level level);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& kv(std::string_view key, std::string_view value);
  Line& kv(std::string_view key, long long value);
  Line& kv(std::string_view key, double value);
  Line& msg(std::string_view text);

 private:
  bool enabled_;
  std::string text_;
};

inline Line Debug() { return Line(Level::kDebug); }
inline Line Info() { return Line(Level::kInfo); }
inline Line Warn() { return Line(Level::kWarn); }
inline Line Error() { return Line(Level::kError); }

}  // namespace mdm::log
