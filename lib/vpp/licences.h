// mdmcron's licence step, before the reconcile: for each Apps and Books location, the licences
// the catalog calls for, set-based.
//   1. events under way (associate / disassociate) are polled and settled per serial number;
//   2. licences of devices that no longer get the app, once its RemoveApplication was
//      acknowledged (or it was never installed), are disassociated, and settled;
//   3. the location's assets are read again (licence counts), then every device whose groups
//      carry a VPP app and that holds no licence gets one, in batches within Apple's per-request
//      limit, never more than the licences available: the rest, in serial-number order, are
//      recorded as short of licences;
//   4. the step waits (bounded) for this run's associations, so the reconcile that follows sends
//      InstallApplication to each device whose licence is in place; the others go next run.
// A refused token stops that location with a sentence naming the verb to fix it.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::vpp {

struct LicenceOptions {
  int wait_seconds = 10;   // how long to wait for this run's events (0: do not wait)
  double poll_every = 0.5;  // seconds between polls of an event while waiting
  int retry_failed_after_seconds = 3600;  // a serial Apple refused is tried again after this
};

struct LicenceReport {
  int locations = 0;
  long long associated = 0, disassociated = 0, requested = 0, released = 0;
  long long short_of_licences = 0, failed = 0, pending = 0;
  int requests = 0;  // HTTP requests to Apple
  double seconds = 0;  // the step's wall time
  std::vector<std::string> errors;      // one sentence per location that stopped
  std::vector<std::string> shortfalls;  // "ADAMID: N device(s) without a licence (M available)"
};

Result<LicenceReport> LicenceStep(pqxx::connection& conn, const LicenceOptions& options);

}  // namespace mdm::vpp
