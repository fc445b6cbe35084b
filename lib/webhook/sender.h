// Delivery of the webhook outbox: posts every due event, one device's events in order, a few
// at a time, and keeps what failed for a later attempt (backing off) or, past the give-up
// window, for the operator (webhook failures / retry). A device request never waits for this.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::webhook {

struct DeliveryOptions {
  int concurrency = 8;        // posts in flight at once, over all receivers
  int timeout_seconds = 10;   // one post, connection included
  int give_up_hours = 24;     // an event still failing this long after it was filed is set aside
  int max_backoff_seconds = 300;
};

struct DeliveryReport {
  long long delivered = 0;        // posts a receiver took (2xx)
  long long failed = 0;           // posts that failed, to be tried again
  long long gave_up = 0;          // events set aside for `webhook failures`
  long long waiting = 0;          // events still in line after the run (backing off)
  std::vector<std::string> problems;  // one sentence per receiver that failed, with its last error
};

// One run: posts until nothing is due. Returns the counts; Status only when the database fails.
Result<DeliveryReport> DeliverDue(pqxx::connection& conn, const DeliveryOptions& opts);

// Seconds until the next waiting event is due (0: now or nothing waits; -1: nothing waits).
long long SecondsUntilNextDue(pqxx::connection& conn);

// Posts one event of topic "mdm.Test" to a webhook now, outside the outbox, signed like the
// others: the receiver's HTTP status, or why there was none.
Result<long> PostTest(pqxx::connection& conn, const std::string& id_or_url, const DeliveryOptions& opts);

// The HMAC-SHA256 of `body` with `secret`, base64: the X-Hmac-Signature header's value.
std::string Signature(const std::string& secret, const std::string& body);

}  // namespace mdm::webhook
