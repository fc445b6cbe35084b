#include "webhook/webhooks.h"

#include <algorithm>

#include "store/event_store.h"
#include "store/sql_util.h"

namespace mdm::webhook {
namespace {


std::vector<std::string> ParseTextArray(const pqxx::field& f) {
  std::vector<std::string> out;
  auto parser = f.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done; item = parser.get_next())
    if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
  return out;
}

const char* kListSql =
    "SELECT w.id, w.url, w.secret IS NOT NULL, w.topics, "
    "  count(o.seq) FILTER (WHERE o.failed_at IS NULL), count(o.seq) FILTER (WHERE o.failed_at IS NOT NULL), "
    "  coalesce(to_char(min(o.created_at) FILTER (WHERE o.failed_at IS NULL) AT TIME ZONE 'UTC', "
    "    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "
    "  coalesce((array_agg(o.last_error ORDER BY o.seq DESC) FILTER (WHERE o.failed_at IS NULL "
    "    AND o.last_error IS NOT NULL))[1], '') "
    "FROM webhooks w LEFT JOIN webhook_outbox o ON o.webhook_id = w.id ";

Webhook FromRow(const pqxx::row& r) {
  Webhook w;
  w.id = r[0].as<long long>();
  w.url = r[1].as<std::string>();
  w.has_secret = r[2].as<bool>();
  w.topics = ParseTextArray(r[3]);
  w.pending = r[4].as<long long>();
  w.failed = r[5].as<long long>();
  w.oldest_pending = r[6].as<std::string>();
  w.last_error = r[7].as<std::string>();
  return w;
}

}  // namespace

Result<long long> Add(pqxx::connection& conn, const std::string& url, const std::optional<std::string>& secret,
                      const std::vector<std::string>& topics) {
  bool https = url.rfind("https://", 0) == 0, http = url.rfind("http://", 0) == 0;
  if (!https && !http) return Status::Invalid("the webhook URL must start with https:// (or http:// for a receiver on this host), got '" + url.substr(0, 100) + "'");
  std::string rest = url.substr(https ? 8 : 7);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return Status::Invalid("the webhook URL '" + url.substr(0, 100) + "' names no host");
  if (authority.find('@') != std::string::npos)
    return Status::Invalid("the webhook URL must not carry credentials (user:password@); sign the events with --secret instead");
  if (url.size() > 2000) return Status::Invalid("the webhook URL is longer than 2000 characters");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return Status::Invalid("the webhook URL holds a space or a control character");
  if (secret && secret->size() < 16)
    return Status::Invalid("the webhook secret is shorter than 16 characters: use a long random one (openssl rand -hex 32)");
  const auto& known = store::WebhookTopics();
  for (const auto& t : topics)
    if (std::find(known.begin(), known.end(), t) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::Invalid("unknown event '" + t.substr(0, 64) + "': the events are " + list);
    }
  pqxx::work tx(conn);
  auto r = store::Exec(tx, "webhook_add",
                       "INSERT INTO webhooks (url, secret, topics) VALUES ($1, $2, $3::text[]) "
                       "ON CONFLICT (url) DO NOTHING RETURNING id",
                       url, store::Nullable(secret), store::TextArray(topics));
  if (r.empty()) return Status::Conflict("a webhook for " + url + " exists already (mdm-console webhook list)");
  tx.commit();
  return r[0][0].as<long long>();
}

std::vector<Webhook> List(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::vector<Webhook> out;
  for (const auto& r : tx.exec(std::string(kListSql) + "GROUP BY w.id ORDER BY w.id")) out.push_back(FromRow(r));
  return out;
}

Result<Webhook> Find(pqxx::connection& conn, const std::string& id_or_url) {
  pqxx::read_transaction tx(conn);
  auto r = store::Exec(tx, "webhook_find",
                       (std::string(kListSql) + "WHERE w.url = $1 OR w.id::text = $1 GROUP BY w.id").c_str(), id_or_url);
  if (r.empty())
    return Status::NotFound("no webhook '" + id_or_url.substr(0, 100) + "' (mdm-console webhook list shows their ids and URLs)");
  return FromRow(r[0]);
}

Status Remove(pqxx::connection& conn, const std::string& id_or_url) {
  auto w = Find(conn, id_or_url);
  if (!w.ok()) return w.status();
  pqxx::work tx(conn);
  store::Exec(tx, "webhook_remove", "DELETE FROM webhooks WHERE id = $1", w->id);
  tx.commit();
  return Status::Ok();
}

// The id of the webhook named, or 0 (every webhook) when none is.
static Result<long long> IdOrAll(pqxx::connection& conn, const std::string& id_or_url) {
  if (id_or_url.empty()) return 0LL;
  auto w = Find(conn, id_or_url);
  if (!w.ok()) return w.status();
  return w->id;
}

Result<std::vector<Failure>> Failures(pqxx::connection& conn, const std::string& id_or_url, int limit) {
  auto id = IdOrAll(conn, id_or_url);
  if (!id.ok()) return id.status();
  pqxx::read_transaction tx(conn);
  auto rows = store::Exec(
      tx, "webhook_failures",
      "SELECT seq, webhook_id, event_id::text, topic, device_key, "
      "  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "  to_char(failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(last_error, ''), attempts "
      "FROM webhook_outbox WHERE failed_at IS NOT NULL AND ($1 = 0 OR webhook_id = $1) ORDER BY seq LIMIT $2",
      *id, limit);
  std::vector<Failure> out;
  for (const auto& r : rows)
    out.push_back({r[0].as<long long>(), r[1].as<long long>(), r[2].as<std::string>(), r[3].as<std::string>(),
                   r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<std::string>(), r[7].as<std::string>(),
                   r[8].as<int>()});
  return out;
}

Result<long long> Retry(pqxx::connection& conn, const std::string& id_or_url) {
  auto id = IdOrAll(conn, id_or_url);
  if (!id.ok()) return id.status();
  pqxx::work tx(conn);
  // Back in line with their seq: a device's later events (delivered since) stay delivered; these
  // go out before anything newer of that device.
  auto r = store::Exec(tx, "webhook_retry",
                       "UPDATE webhook_outbox SET failed_at = NULL, attempts = 0, next_attempt_at = now() "
                       "WHERE failed_at IS NOT NULL AND ($1 = 0 OR webhook_id = $1)",
                       *id);
  tx.commit();
  return static_cast<long long>(r.affected_rows());
}

}  // namespace mdm::webhook
