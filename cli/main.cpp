// mdm-console: operator tasks and the crontab verbs (applesync, mdmcron).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <pqxx/pqxx>

#include "console.h"
#include "core/log.h"

namespace mdm::cli {

int Fail(const std::string& message) {
  std::fprintf(stderr, "mdm-console: %s\n", message.c_str());
  return 1;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

std::string PromptSecret(const std::string& prompt) {
  termios old{};
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  return line;
}

const Config& Context::config() {
  if (!config_) {
    auto c = LoadConfig(ResolveConfigPath(config_flag_));
    if (!c.ok()) {
      Fail(c.status().message());
      std::exit(1);
    }
    config_ = std::make_unique<Config>(std::move(c).value());
    log::SetLevel(config_->log_level);
  }
  return *config_;
}

store::Database& Context::db() {
  if (!db_) {
    db_ = std::make_unique<store::Database>(config().database);
    try {
      db_->connection();
    } catch (const std::exception& e) {
      Fail("cannot connect to PostgreSQL with the 'database' setting of " + config().source_path + ": " +
           e.what());
      std::exit(1);
    }
  }
  return *db_;
}

}  // namespace mdm::cli

namespace {

void PrintVerbs(FILE* out) {
  std::fputs(
      "usage: mdm-console [--config FILE] <verb> [arguments]\n"
      "The configuration is FILE, else $MDM_CONFIG, else /etc/mdm/mdm.conf.\n\nverbs:\n",
      out);
  for (const auto& v : mdm::cli::Verbs()) std::fprintf(out, "  %-20s %s\n", v.name.c_str(), v.summary.c_str());
  std::fputs("\n'mdm-console <verb> --help' tells more about one verb.\n", out);
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_flag;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_flag = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_flag = a.substr(9);
    } else {
      break;
    }
  }
  if (i >= argc) {
    PrintVerbs(stderr);
    return 2;
  }
  std::string name = argv[i];
  if (name == "help" || name == "--help" || name == "-h") {
    PrintVerbs(stdout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::printf("mdm-console %s\n", MDM_VERSION);
    return 0;
  }
  std::vector<std::string> args(argv + i + 1, argv + argc);
  for (const auto& v : mdm::cli::Verbs()) {
    if (v.name != name) continue;
    if (mdm::cli::WantsHelp(args)) {
      std::fputs(v.usage.c_str(), stdout);
      return 0;
    }
    mdm::cli::Context ctx(config_flag, std::move(args));
    try {
      return v.run(ctx);
    } catch (const pqxx::broken_connection& e) {
      return mdm::cli::Fail(std::string("lost the connection to PostgreSQL: ") + e.what());
    } catch (const std::exception& e) {
      return mdm::cli::Fail(e.what());
    }
  }
  std::fprintf(stderr, "mdm-console: unknown verb '%s'\n\n", name.c_str());
  PrintVerbs(stderr);
  return 2;
}
