// What the benchmarks that time mdm-console share: a timed console run that stops the benchmark
// when the verb fails, and one line of its output.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "stack.h"

namespace mdm::bench {

struct Timed {
  double seconds;
  std::string output;
};

inline Timed TimedConsole(mdm::test::Stack& s, const std::vector<std::string>& args) {
  auto start = std::chrono::steady_clock::now();
  auto r = s.Console(args);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.exit_code != 0) {
    std::fprintf(stderr, "mdm-console %s failed:\n%s\n", args.empty() ? "" : args[0].c_str(), r.output.c_str());
    std::exit(1);
  }
  return {secs, r.output};
}

// The first line of `out` that contains `prefix`, from there; "(none)" when there is none.
inline std::string LineOf(const std::string& out, const std::string& prefix) {
  size_t at = out.find(prefix);
  return at == std::string::npos ? "(none)" : out.substr(at, out.find('\n', at) - at);
}

}  // namespace mdm::bench
