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
  // Why pushes failed: the most fundamental kind among the failures (FailureKind's order); kNone
  // when none failed (sent, or the token dead).
  FailureKind failure = FailureKind::kNone;
  std::string message;      // the operator's sentence for `failure`, cause and next step; "" when none failed
  std::string first_error;  // the first failure's raw reason ("403 BadCertificate", libcurl's text)
  int max_in_flight = 0;
};

// The sentence for one kind of failure: what went wrong, naming the host, setting or reason seen,
// and the next step. `detail` is what was seen: libcurl's error text, or APNs' status and reason
// ("403 BadCertificateEnvironment"). `options` give apns-url, apns-ca-file and the topic.
std::string DescribeFailure(FailureKind kind, const std::string& detail, const ApnsOptions& options);

// Counts the results and names their failure in one sentence (DescribeFailure): the one place
// that turns the kinds ApnsClient found into the operator's words, for the console and the admin
// API alike.
PushSummary Summarize(const std::vector<PushResult>& results, const ApnsOptions& options);

// The push certificate, key, topic and APNs URL from the settings. kConflict (with what to do)
// when the push certificate is missing.
Result<ApnsOptions> LoadApnsOptions(pqxx::connection& conn);

// Pushes the enrollments named (those with a live push token), records the outcome.
Result<PushSummary> PushEnrollments(pqxx::connection& conn, const std::vector<std::string>& enrollment_ids);

// Pushes every enrollment with a live push token and commands waiting (Pending or NotNow),
// chosen by one statement; records the outcome.
Result<PushSummary> PushPending(pqxx::connection& conn);

struct PushPolicy {
  int pending_after_seconds = 3600;  // pending commands, no contact and no push for this long
  int wakeup_after_seconds = 86400;  // silent this long: a daily wake-up
};
// mdmcron's push step: every enrollment the policy says is due, chosen by one statement.
Result<PushSummary> PushDue(pqxx::connection& conn, const PushPolicy& policy);

}  // namespace mdm::push
