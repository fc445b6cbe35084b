// The configuration file both binaries read: "key = value" lines, '#' starts a comment.
// Found through --config FILE, else $MDM_CONFIG, else /etc/mdm/mdm.conf.
#pragma once

#include <cstddef>
#include <string>

#include "core/log.h"
#include "core/status.h"

namespace mdm {

struct Config {
  std::string database;              // libpq connection string
  std::string socket = "/run/mdm/mdm-fcgi.sock";  // FastCGI socket: a path, or ":PORT" for TCP
  unsigned socket_mode = 0660;       // permissions of the unix socket (octal in the file)
  // mdm-fcgi runs `workers` processes under a master that replaces one that dies; each has
  // `threads` threads, each with its own database connection. A crash costs the requests in
  // flight on that one process, so one thread per process is the default.
  int workers = 4;
  int threads = 1;
  // CPU seconds one request may use in a worker before that process is killed (and replaced);
  // 0: no limit. Apple's messages take milliseconds; a request that spins is an attack or a bug.
  int request_cpu_seconds = 10;
  // A worker's SQL statement that runs longer is canceled and the client gets a 503: below
  // nginx's fastcgi_read_timeout (30 s), so a lock held elsewhere does not hold the worker
  // after the client is gone. 0: no limit.
  int statement_timeout_seconds = 25;
  // Requests one device identity may make a minute, over all workers, and as many at once after
  // a quiet minute; more get 429. A device working through a long queue makes a few a second; one
  // that loops makes hundreds. 0: no limit.
  int device_requests_per_minute = 600;
  log::Level log_level = log::Level::kInfo;
  std::string admin_api_key;         // empty: the admin API answers 401 to everyone
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger request bodies get 413 unread
  std::string client_cert_sources = "signature";  // which device identities are trusted (see docs)

  std::string source_path;           // the file this came from, for messages
};

constexpr const char* kDefaultConfigPath = "/etc/mdm/mdm.conf";

// The path to read: the flag if given, else $MDM_CONFIG, else the default.
std::string ResolveConfigPath(const std::string& flag_value);

// Reads and checks the file. Unknown keys and bad values are errors naming the line.
Result<Config> LoadConfig(const std::string& path);
Result<Config> ParseConfig(const std::string& text, const std::string& path_for_messages);

}  // namespace mdm
