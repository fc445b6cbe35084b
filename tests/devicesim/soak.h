// The soak of devicesim (--mode soak, issue 15): a fleet lives against the stack for minutes, as
// in production, while the server's resources are sampled; they must be flat after the warm-up.
//
// The traffic: an operator queues commands in batches through the admin API and through
// mdm-console (DeviceInformation, ProfileList, InstallProfile, SecurityInfo,
// InstalledApplicationList, CertificateList), pushing them from the worker (the admin API's
// push), from `mdm-console push`, or leaving them to `mdm-console mdmcron`, which runs as crontab
// would (more often; its first run queues every device's inventory: DeviceInformation,
// SecurityInfo, ProfileList, InstalledApplicationList). Pushes go to the fake APNs; a
// device whose token was pushed checks in a moment later (and every few minutes unprompted),
// fetches its commands and answers each: Acknowledged with a realistic payload, sometimes NotNow
// or Error.
//
// The samples: each mdm-fcgi process's resident memory and open file descriptors (/proc), nginx's
// memory, the server's PostgreSQL connections (pg_stat_activity), the size and rows of every table
// (pg_total_relation_size), the queue's depth and the workers replaced (/metrics).
#pragma once

#include "fleet.h"
#include "stack.h"

namespace devicesim {

struct SoakOptions {
  int devices = 1000;
  int threads = 16;         // device threads, each serving its share of the fleet
  int seconds = 600;        // the whole soak, warm-up included
  int warmup = 120;         // seconds before the first sample the verdicts compare
  int sample_every = 10;    // seconds between samples
  int batch_every = 5;      // seconds between command batches
  int batch_size = 100;     // devices per batch
  int cron_every = 30;      // seconds between mdmcron runs
  int workers = 4, worker_threads = 1;
};

// Runs the soak against `stack` (its own, started by devicesim) and prints the samples and the
// verdicts. 0 when every metric stayed within its tolerance and no request failed, 1 otherwise.
int RunSoak(const SoakOptions& o, mdm::test::Stack& stack, const Target& target);

}  // namespace devicesim
