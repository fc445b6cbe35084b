// When and whom to push: the glue between the database and the APNs client.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"
#include "push/apns_client.h"

namespace mdm::push {

struct PushSummary {
  size_t selected = 0, sent = 0, dead = 0, failed = 0;
  bool certificate_refused = false;
  std::string message;  // the operator's sentence when the certificate was refused
  std::string first_error;  // the first failure's reason, for the summary
  int max_in_flight = 0;
};

// The push certificate, key, topic and APNs URL from the settings. kConflict (with what to do)
// when the push certificate is missing.
Result<ApnsOptions> LoadApnsOptions(pqxx::connection& conn);

// Pushes the enrollments named (those with a live push token), records the outcome.
Result<PushSummary> PushEnrollments(pqxx::connection& conn, const std::vector<std::string>& enrollment_ids);

struct PushPolicy {
  int pending_after_seconds = 3600;  // pending commands, no contact and no push for this long
  int wakeup_after_seconds = 86400;  // silent this long: a daily wake-up
};
// mdmcron's push step: every enrollment the policy says is due, chosen by one statement.
Result<PushSummary> PushDue(pqxx::connection& conn, const PushPolicy& policy);

}  // namespace mdm::push
