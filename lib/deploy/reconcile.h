// mdmcron's reconcile: for all devices at once, what they should have (from their groups and
// the groups' ancestors) minus what they have, turned into commands; inventory refresh; ADE's
// DeviceConfigured; housekeeping. A fixed number of statements, whatever the device count.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::deploy {

struct ReconcileOptions {
  int inventory_interval_seconds = 86400;  // refresh inventory older than this
  int keep_finished_days = 30;             // finished commands kept this long
};

struct ReconcileReport {
  long long rule_joined = 0, rule_left = 0, serial_joined = 0;
  long long profiles_installed = 0, profiles_removed = 0, held = 0;
  long long apps_installed = 0, apps_removed = 0;
  long long declarations_notified = 0;
  long long inventory_queued = 0;
  long long device_configured = 0;
  long long expired = 0, deleted = 0;
  int statements = 0;
  std::vector<std::string> held_examples;  // "device: profile (missing $$name$$)", a few
  long long queued() const {
    return profiles_installed + profiles_removed + apps_installed + apps_removed + declarations_notified +
           inventory_queued + device_configured;
  }
};

// Runs in one transaction: either everything it decided is queued, or nothing.
Result<ReconcileReport> Reconcile(pqxx::connection& conn, const ReconcileOptions& options);

}  // namespace mdm::deploy
