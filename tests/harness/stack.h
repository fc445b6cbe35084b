// The whole server on localhost for integration tests: a private PostgreSQL, migrations applied,
// mdm-fcgi workers and nginx with a self-signed TLS certificate on a free port.
#pragma once

#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "enroll/device_ca.h"
#include "http_client.h"
#include "pg_cluster.h"
#include "process.h"

namespace mdm::test {

struct StackOptions {
  std::size_t max_body_bytes = 1024 * 1024;
  int workers = 4;  // mdm-fcgi worker processes
  int threads = 1;  // threads in each
  std::string admin_api_key = "test-admin-key-0123456789";
  std::string extra_config;  // more "key = value" lines for mdm.conf
};

class Stack {
 public:
  explicit Stack(StackOptions opts = {});
  ~Stack();

  // https://localhost:PORT/api-mdm.php
  std::string base_url() const { return base_url_; }
  const std::string& root() const { return dir_.path(); }
  const std::string& config_path() const { return config_path_; }
  PgCluster& pg() { return *pg_; }
  const std::string& tls_cert() const { return cert_; }

  HttpResponse Get(const std::string& route, const Headers& headers = {});
  HttpResponse Send(const std::string& method, const std::string& route, const std::string& body,
                    const Headers& headers = {});

  // Runs mdm-console with this stack's configuration.
  CommandResult Console(const std::vector<std::string>& args);

  // mdm-console user add NAME --role ROLE, the password given on stdin; throws when refused.
  void AddConsoleUser(const std::string& name, const std::string& role, const std::string& password);

  // A new connection to the stack's database.
  std::unique_ptr<pqxx::connection> Connect() const;
  enroll::DeviceCa DeviceCa() const;
  void SetSetting(const std::string& name, const std::string& value) const;
  // Runs one SQL query and returns the first column of the first row as text ("" if none/NULL).
  std::string Query(const std::string& sql) const;
  // The push topic the harness configures.
  static constexpr const char* kTopic = "com.apple.mgmt.External.11111111-2222-3333-4444-555555555555";

  void StartWorkers();
  void StopWorkers();
  // kill -9 of the mdm-fcgi master: its workers die with it (PR_SET_PDEATHSIG), requests in
  // flight are cut off. Returns once every one of those processes is gone.
  void KillWorkers();
  // The mdm-fcgi master's pid, and its worker processes' pids (from /proc).
  pid_t master_pid() const { return workers_.pid(); }
  std::vector<pid_t> WorkerPids() const;
  // The workers' log so far (the master's and every worker's lines).
  std::string WorkerLog() const;

  // Stops nginx and the workers and returns what the sanitizers reported in the workers' log
  // (empty when nothing): a memory error in a worker fails the test run.
  std::string Shutdown();

 private:
  TempDir dir_;
  StackOptions opts_;
  std::unique_ptr<PgCluster> pg_;
  std::string config_path_, socket_, cert_, key_, base_url_;
  Process workers_, nginx_;
  HttpClient client_;
};

// The stack shared by the test cases of one test binary, started on first use; with
// ConfigureSharedStack (before the first use) a binary chooses its options.
Stack& SharedStack();
void ConfigureSharedStack(StackOptions opts);
// Shuts the shared stack down (if it was started); returns 1 when a worker reported a
// sanitizer finding, after printing it.
int ShutdownSharedStack();

}  // namespace mdm::test
