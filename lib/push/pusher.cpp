#include "push/pusher.h"

#include <algorithm>

#include "core/log.h"
#include "crypto/crypto.h"
#include "store/settings.h"
#include "store/sql_util.h"

namespace mdm::push {
namespace {

namespace setting = store::setting;

// The rows of a target query: enrollment ID, token (hex), PushMagic.
std::vector<Target> Targets(const pqxx::result& rows) {
  std::vector<Target> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    Target t;
    t.enrollment_id = row[0].as<std::string>();
    t.token = *store::Bytes(row[1]);
    t.push_magic = row[2].as<std::string>();
    out.push_back(std::move(t));
  }
  return out;
}

std::string BoolArray(const std::vector<bool>& v) {
  std::string s = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += v[i] ? 't' : 'f';
  }
  return s + "}";
}

Result<PushSummary> SendAndRecord(pqxx::connection& conn, std::vector<Target> targets) {
  PushSummary summary;
  summary.selected = targets.size();
  if (targets.empty()) return summary;
  auto options = LoadApnsOptions(conn);
  if (!options.ok()) return options.status();
  ApnsClient client(std::move(options).value());
  std::vector<PushResult> results = client.Send(targets);
  summary.max_in_flight = client.max_in_flight();

  std::vector<std::string> ids, apns_ids, errors;
  std::vector<bool> sent, dead;
  for (const auto& r : results) {
    ids.push_back(r.enrollment_id);
    sent.push_back(r.outcome == Outcome::kSent);
    dead.push_back(r.outcome == Outcome::kTokenDead);
    apns_ids.push_back(r.apns_id);
    errors.push_back(r.outcome == Outcome::kSent ? "" : (r.status ? std::to_string(r.status) + " " : "") + r.reason);
    switch (r.outcome) {
      case Outcome::kSent: ++summary.sent; break;
      case Outcome::kTokenDead: ++summary.dead; break;
      case Outcome::kFailed:
        ++summary.failed;
        if (summary.first_error.empty()) summary.first_error = errors.back();
        break;
      case Outcome::kCertificateRefused:
        ++summary.failed;
        summary.certificate_refused = true;
        summary.message = "APNs refused the push certificate (" + r.reason +
                          "): check it with mdm-console status, renew it at Apple's push certificate portal and "
                          "upload it with mdm-console apns cert FILE";
        break;
    }
  }
  // One statement records every outcome.
  pqxx::work tx(conn);
  store::Exec(tx, "push_record",
              "UPDATE enrollments e SET "
              "  last_push_at = CASE WHEN r.sent THEN now() ELSE e.last_push_at END, "
              "  last_push_apns_id = CASE WHEN r.sent THEN nullif(r.apns_id, '') ELSE e.last_push_apns_id END, "
              "  last_push_error = nullif(r.error, ''), "
              "  push_token_invalid_at = CASE WHEN r.dead THEN now() ELSE e.push_token_invalid_at END "
              "FROM unnest($1::text[], $2::bool[], $3::bool[], $4::text[], $5::text[]) AS r(id, sent, dead, apns_id, error) "
              "WHERE e.id = r.id",
              store::TextArray(ids), BoolArray(sent), BoolArray(dead), store::TextArray(apns_ids),
              store::TextArray(errors));
  tx.commit();
  // Nothing got through and nothing answered at all: the connection itself is refused, which
  // with a reachable APNs means our certificate (or apns-url / apns-ca-file) is wrong.
  if (summary.sent == 0 && summary.dead == 0 && !summary.certificate_refused &&
      std::all_of(results.begin(), results.end(), [](const PushResult& r) { return r.status == 0; })) {
    summary.certificate_refused = true;
    summary.message = "APNs refused the connection (" + results.front().reason +
                      "): the push certificate may be wrong, expired or for the other environment. Check it with "
                      "mdm-console status, renew it at Apple's push certificate portal and upload it with "
                      "mdm-console apns cert FILE; check apns-url and apns-ca-file too";
  }
  log::Line line(summary.certificate_refused ? log::Level::kError : log::Level::kInfo);
  line.kv("event", "push").kv("selected", static_cast<long long>(summary.selected))
      .kv("sent", static_cast<long long>(summary.sent)).kv("dead", static_cast<long long>(summary.dead))
      .kv("failed", static_cast<long long>(summary.failed));
  if (!summary.message.empty()) line.msg(summary.message);
  return summary;
}

}  // namespace

Result<ApnsOptions> LoadApnsOptions(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  auto cert = store::GetSetting(tx, setting::kPushCert);
  auto key = store::GetSetting(tx, setting::kPushKey);
  auto topic = store::GetSetting(tx, setting::kPushTopic);
  if (!cert || !key || !topic)
    return Status::Conflict("no push certificate: mdm-console apns csr, then mdm-console apns cert FILE");
  ApnsOptions o;
  o.cert_pem = *cert;
  o.key_pem = *key;
  o.topic = *topic;
  if (auto url = store::GetSetting(tx, setting::kApnsUrl)) o.base_url = *url;
  if (auto ca = store::GetSetting(tx, setting::kApnsCaFile)) o.ca_file = *ca;
  return o;
}

Result<PushSummary> PushEnrollments(pqxx::connection& conn, const std::vector<std::string>& enrollment_ids) {
  pqxx::result rows;
  {
    pqxx::read_transaction tx(conn);
    rows = store::Exec(tx, "push_named",
                       "SELECT id, push_token, push_magic FROM enrollments WHERE id = ANY($1::text[]) "
                       "AND status = 'enrolled' AND push_token IS NOT NULL AND push_magic IS NOT NULL "
                       "AND push_token_invalid_at IS NULL",
                       store::TextArray(enrollment_ids));
  }
  return SendAndRecord(conn, Targets(rows));
}

Result<PushSummary> PushDue(pqxx::connection& conn, const PushPolicy& policy) {
  pqxx::result rows;
  {
    pqxx::read_transaction tx(conn);
    rows = store::Exec(
        tx, "push_due",
        "SELECT e.id, e.push_token, e.push_magic FROM enrollments e "
        "WHERE e.status = 'enrolled' AND e.push_token IS NOT NULL AND e.push_magic IS NOT NULL "
        "  AND e.push_token_invalid_at IS NULL AND ("
        // Commands waiting, and neither a contact nor a push for a while.
        "    (EXISTS (SELECT 1 FROM command_queue q WHERE q.enrollment_id = e.id AND q.status IN ('Pending', 'NotNow')) "
        "      AND coalesce(e.last_push_at, '-infinity') < now() - make_interval(secs => $1) "
        "      AND coalesce(e.last_seen_at, '-infinity') < now() - make_interval(secs => $1)) "
        // Commands queued since the last push (by mdmcron's reconcile, or a push that failed).
        "    OR EXISTS (SELECT 1 FROM command_queue q WHERE q.enrollment_id = e.id AND q.status = 'Pending' "
        "      AND q.created_at > coalesce(e.last_push_at, '-infinity')) "
        // The device said NotNow since the last push: try again.
        "    OR EXISTS (SELECT 1 FROM command_queue q WHERE q.enrollment_id = e.id AND q.status = 'NotNow' "
        "      AND q.result_at > coalesce(e.last_push_at, '-infinity')) "
        // Silent for a day: a wake-up.
        "    OR (coalesce(e.last_seen_at, '-infinity') < now() - make_interval(secs => $2) "
        "      AND coalesce(e.last_push_at, '-infinity') < now() - make_interval(secs => $2)))",
        static_cast<double>(policy.pending_after_seconds), static_cast<double>(policy.wakeup_after_seconds));
  }
  return SendAndRecord(conn, Targets(rows));
}

}  // namespace mdm::push
