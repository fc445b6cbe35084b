// The console's verbs: each parses its own arguments and calls lib. Shared pieces live here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "store/database.h"

namespace mdm::cli {

// What a verb gets: its arguments (after the verb's name) and lazy access to config and database.
class Context {
 public:
  Context(std::string config_flag, std::vector<std::string> args)
      : config_flag_(std::move(config_flag)), args_(std::move(args)) {}

  const std::vector<std::string>& args() const { return args_; }
  // Loads the configuration, or prints why it cannot and exits 1.
  const Config& config();
  // The database session, or prints why it cannot connect and exits 1.
  store::Database& db();

 private:
  std::string config_flag_;
  std::vector<std::string> args_;
  std::unique_ptr<Config> config_;
  std::unique_ptr<store::Database> db_;
};

struct Verb {
  std::string name;
  std::string summary;  // one line for the verb list
  std::string usage;    // the --help text
  std::function<int(Context&)> run;
};

// Every verb, in the order `mdm-console help` lists them.
const std::vector<Verb>& Verbs();

// Prints "mdm-console: <message>" to stderr and returns 1: the operator's one clear sentence.
int Fail(const std::string& message);

bool WantsHelp(const std::vector<std::string>& args);

// A line from the terminal with its echo off (a password), `prompt` on stderr; from a pipe, the
// first line of stdin.
std::string PromptSecret(const std::string& prompt);

}  // namespace mdm::cli
