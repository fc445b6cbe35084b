#include "config/config.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mdm {
namespace {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool ParseUnsigned(const std::string& v, int base, unsigned long long max, unsigned long long* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, base);
  if (errno != 0 || *end != '\0' || n > max || v[0] == '-') return false;
  *out = n;
  return true;
}

}  // namespace

std::string ResolveConfigPath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("MDM_CONFIG"); env && *env) return env;
  return kDefaultConfigPath;
}

Result<Config> ParseConfig(const std::string& text, const std::string& path) {
  Config c;
  c.source_path = path;
  std::istringstream in(text);
  std::string raw;
  int lineno = 0;
  auto bad = [&](const std::string& why) {
    return Status::Invalid(path + ":" + std::to_string(lineno) + ": " + why);
  };
  while (std::getline(in, raw)) {
    ++lineno;
    std::string line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) return bad("expected 'key = value', found '" + line + "'");
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    unsigned long long n = 0;
    if (key == "database") {
      c.database = value;
    } else if (key == "socket") {
      if (value.empty()) return bad("socket is empty: give a unix socket path or :PORT");
      c.socket = value;
    } else if (key == "socket_mode") {
      if (!ParseUnsigned(value, 8, 0777, &n)) return bad("socket_mode must be octal permissions such as 0660");
      c.socket_mode = static_cast<unsigned>(n);
    } else if (key == "workers") {
      if (!ParseUnsigned(value, 10, 256, &n) || n == 0) return bad("workers must be a number of processes from 1 to 256");
      c.workers = static_cast<int>(n);
    } else if (key == "threads") {
      if (!ParseUnsigned(value, 10, 1024, &n) || n == 0) return bad("threads must be a number from 1 to 1024");
      c.threads = static_cast<int>(n);
    } else if (key == "request_cpu_seconds") {
      if (!ParseUnsigned(value, 10, 3600, &n)) return bad("request_cpu_seconds must be a number of seconds from 0 (no limit) to 3600");
      c.request_cpu_seconds = static_cast<int>(n);
    } else if (key == "statement_timeout_seconds") {
      if (!ParseUnsigned(value, 10, 3600, &n)) return bad("statement_timeout_seconds must be a number of seconds from 0 (no limit) to 3600");
      c.statement_timeout_seconds = static_cast<int>(n);
    } else if (key == "device_requests_per_minute") {
      if (!ParseUnsigned(value, 10, 1000000, &n))
        return bad("device_requests_per_minute must be a number of requests from 0 (no limit) to 1000000");
      c.device_requests_per_minute = static_cast<int>(n);
    } else if (key == "log_level") {
      if (!log::ParseLevel(value, &c.log_level)) return bad("log_level must be debug, info, warn or error");
    } else if (key == "admin_api_key") {
      c.admin_api_key = value;
    } else if (key == "max_body_bytes") {
      if (!ParseUnsigned(value, 10, 1ull << 32, &n) || n == 0) return bad("max_body_bytes must be a positive number of bytes");
      c.max_body_bytes = static_cast<std::size_t>(n);
    } else if (key == "client_cert_sources") {
      std::istringstream words(value);
      std::string w;
      while (std::getline(words, w, ',')) {
        w = Trim(w);
        if (w != "signature" && w != "nginx" && w != "header")
          return bad("client_cert_sources takes a comma list of signature, nginx, header; found '" + w + "'");
      }
      c.client_cert_sources = value;
    } else {
      return bad("unknown key '" + key + "'");
    }
  }
  if (c.database.empty()) {
    lineno = 0;
    return Status::Invalid(path + ": no 'database' line: add the PostgreSQL connection string, e.g. database = host=/run/postgresql dbname=mdm");
  }
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    return Status::NotFound("cannot read the configuration file " + path +
                            ": create it (see README, Configuration) or point --config or MDM_CONFIG at it");
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseConfig(ss.str(), path);
}

}  // namespace mdm
