// The operator's webhooks: receivers of device events in the MicroMDM / NanoMDM webhook format
// (see store/event_store.h for what is filed), and what is waiting for them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::webhook {

struct Webhook {
  long long id = 0;
  std::string url;
  bool has_secret = false;
  std::vector<std::string> topics;  // empty: all
  long long pending = 0, failed = 0;
  std::string oldest_pending;       // when the oldest waiting event was filed ("" if none)
  std::string last_error;           // of the newest failed attempt still waiting
};

// Checks and stores a webhook; `topics` must be known (store::WebhookTopics), the URL http(s)
// without credentials in it. The secret, when given, signs each body (X-Hmac-Signature).
Result<long long> Add(pqxx::connection& conn, const std::string& url, const std::optional<std::string>& secret,
                      const std::vector<std::string>& topics);
std::vector<Webhook> List(pqxx::connection& conn);
// A webhook by its id or URL.
Result<Webhook> Find(pqxx::connection& conn, const std::string& id_or_url);
// Removes it and every event still waiting for it.
Status Remove(pqxx::connection& conn, const std::string& id_or_url);

struct Failure {
  long long seq = 0, webhook_id = 0;
  std::string event_id, topic, device_key, created_at, failed_at, last_error;
  int attempts = 0;
};
// Events delivery gave up on, oldest first (of one webhook, or of all when `id_or_url` is empty).
Result<std::vector<Failure>> Failures(pqxx::connection& conn, const std::string& id_or_url, int limit);
// Puts them back in line: the next delivery posts them again, in their order. Returns how many.
Result<long long> Retry(pqxx::connection& conn, const std::string& id_or_url);

}  // namespace mdm::webhook
