// Catch2 checks of mdm-console runs and of the web console's pages that several integration tests
// share. Header-only: the harness library itself does not depend on Catch2.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "console_pages.h"
#include "stack.h"

namespace mdm::test {

// A refusal as the operator sees it: exit status 1 and one line, "mdm-console: ...", that says `says`.
inline void CheckRefused(Stack& stack, const std::vector<std::string>& args, const std::string& says) {
  auto r = stack.Console(args);
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  INFO(cmd << "\n" << r.output);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::StartsWith("mdm-console: ") && Catch::Contains(says));
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
}

// `mdm-console command send ARGS...`, which must succeed; returns the CommandUUID it prints.
inline std::string QueueCommand(Stack& stack, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"command", "send"};
  all.insert(all.end(), args.begin(), args.end());
  auto r = stack.Console(all);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  // stdout holds the CommandUUID alone on its line; stderr's note is mixed in.
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (line.size() == 36 && line[8] == '-') return line;
  FAIL("no CommandUUID in: " << r.output);
  return "";
}

// No Content-Security-Policy violation since WatchCsp (console_pages.h) began to watch the page.
inline void CheckNoCspViolation(WebBrowser& b) { CHECK(CspViolations(b) == "[]"); }

}  // namespace mdm::test
