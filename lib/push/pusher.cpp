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

// What is recorded as an enrollment's last_push_error: the status and reason, or libcurl's text.
std::string RawError(const PushResult& r) {
  if (r.outcome == Outcome::kSent) return "";
  return (r.status ? std::to_string(r.status) + " " : "") + r.reason;
}

// The host and port of apns-url (https://HOST[:PORT]).
struct Endpoint {
  std::string host, port;
};

Endpoint EndpointOf(const std::string& url) {
  std::string rest = url;
  if (auto p = rest.find("://"); p != std::string::npos) rest = rest.substr(p + 3);
  rest = rest.substr(0, rest.find('/'));
  Endpoint e{rest, "443"};
  size_t colon = rest.rfind(':');
  size_t bracket = rest.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    e.host = rest.substr(0, colon);
    e.port = rest.substr(colon + 1);
  }
  return e;
}

bool IsSandbox(const std::string& host) {
  return host.find("sandbox") != std::string::npos || host.find("development") != std::string::npos;
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
  if (targets.empty()) return PushSummary{};
  auto loaded = LoadApnsOptions(conn);
  if (!loaded.ok()) return loaded.status();
  const ApnsOptions options = std::move(loaded).value();
  ApnsClient client(options);
  std::vector<PushResult> results = client.Send(targets);
  PushSummary summary = Summarize(results, options);
  summary.max_in_flight = client.max_in_flight();

  std::vector<std::string> ids, apns_ids, errors;
  std::vector<bool> sent, dead;
  for (const auto& r : results) {
    ids.push_back(r.enrollment_id);
    sent.push_back(r.outcome == Outcome::kSent);
    dead.push_back(r.outcome == Outcome::kTokenDead);
    apns_ids.push_back(r.apns_id);
    errors.push_back(RawError(r));
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
  log::Line line(summary.failure == FailureKind::kNone ? log::Level::kInfo : log::Level::kError);
  line.kv("event", "push").kv("selected", static_cast<long long>(summary.selected))
      .kv("sent", static_cast<long long>(summary.sent)).kv("dead", static_cast<long long>(summary.dead))
      .kv("failed", static_cast<long long>(summary.failed));
  if (summary.failure != FailureKind::kNone) line.kv("failure", FailureKindName(summary.failure)).msg(summary.message);
  return summary;
}

}  // namespace

std::string DescribeFailure(FailureKind kind, const std::string& detail, const ApnsOptions& o) {
  const Endpoint ep = EndpointOf(o.base_url);
  const std::string at = ep.host + ":" + ep.port;
  const std::string d = detail.empty() ? "" : " (" + detail + ")";
  const std::string not_tried = "; the push certificate was not tried yet, so it is not the cause";
  switch (kind) {
    case FailureKind::kNone:
      return "";
    case FailureKind::kCaFileUnreadable:
      if (o.ca_file.empty())
        return "cannot read this machine's CA bundle" + d +
               ": install the ca-certificates package, or name a CA file with mdm-console settings set "
               "apns-ca-file FILE" + not_tried;
      return "cannot use apns-ca-file " + o.ca_file + d +
             ": make it a readable PEM file of the CA that issued the APNs server's certificate "
             "(mdm-console settings set apns-ca-file FILE)" + not_tried;
    case FailureKind::kCertificateUnusable:
      return "the stored push certificate or its key cannot be used" + d +
             ": upload the push certificate issued for this server's push key with mdm-console apns cert FILE "
             "(mdm-console status shows the one stored)";
    case FailureKind::kDns:
      return "cannot resolve the APNs host " + ep.host + d +
             ": check this machine's DNS, and apns-url (mdm-console settings get apns-url; Apple's is "
             "https://api.push.apple.com)" + not_tried;
    case FailureKind::kUnreachable:
      return "cannot reach APNs at " + at + d +
             ": check the network, a firewall or proxy (outbound TCP 443 or 2197 to api.push.apple.com), and "
             "apns-url (mdm-console settings get apns-url)" + not_tried;
    case FailureKind::kServerUntrusted:
      if (!o.ca_file.empty())
        return "the TLS certificate of the server at " + at + " is not trusted" + d + ": apns-ca-file (" + o.ca_file +
               ") must hold the CA that issued it (mdm-console settings set apns-ca-file FILE), unless a proxy "
               "intercepts TLS; this is the server's certificate, not the push certificate";
      return "the TLS certificate of the server at " + at + " is not trusted by this machine's CAs" + d +
             ": a proxy or firewall may be intercepting TLS (let outbound TCP 443 to api.push.apple.com through "
             "untouched), or apns-url is not Apple's (mdm-console settings get apns-url); this is the server's "
             "certificate, not the push certificate";
    case FailureKind::kTlsFailed:
      return "the TLS handshake with " + at + " failed" + d +
             ": check that apns-url is APNs (mdm-console settings get apns-url) and that no proxy or firewall "
             "interferes with TLS";
    case FailureKind::kCertificateRefused:
      return "APNs refused the push certificate" + d +
             ": it may be wrong, expired, revoked or for the other environment; check it with mdm-console status, "
             "renew it at Apple's push certificate portal and upload it with mdm-console apns cert FILE";
    case FailureKind::kWrongEnvironment:
      if (IsSandbox(ep.host))
        return "APNs at " + ep.host + " says the push certificate is for the other environment" + d +
               ": apns-url is the sandbox, and MDM push certificates are for production: "
               "mdm-console settings set apns-url https://api.push.apple.com";
      return "APNs at " + ep.host + " says the push certificate is for the other environment" + d +
             ": apns-url is the production service and the certificate is not for it: upload a production push "
             "certificate with mdm-console apns cert FILE, or, for a test setup only, "
             "mdm-console settings set apns-url https://api.sandbox.push.apple.com";
    case FailureKind::kForbidden:
      return "APNs refused the pushes" + d +
             ": check the push certificate with mdm-console status; renew it at Apple's push certificate portal "
             "and upload it with mdm-console apns cert FILE";
    case FailureKind::kTopic:
      return "APNs refused the topic " + o.topic + d +
             ": the push certificate's topic does not match what the devices enrolled with; upload the push "
             "certificate they enrolled with (mdm-console apns cert FILE; a renewal keeps the topic, "
             "mdm-console status shows it), or enroll the devices again";
    case FailureKind::kNotApns:
      return "the server at apns-url (" + o.base_url + ") does not answer as APNs does" + d +
             ": set Apple's with mdm-console settings set apns-url https://api.push.apple.com";
    case FailureKind::kRejected:
      return "APNs refused the push request itself" + d +
             ": this server built a request APNs does not accept, not a setup problem; report it with that reason";
    case FailureKind::kThrottled:
      return "APNs asked to slow down" + d +
             ": nothing to fix; the commands stay queued and mdmcron pushes again at its next run";
    case FailureKind::kUnavailable:
      return "APNs is unavailable" + d +
             ": nothing to fix here; the commands stay queued and mdmcron pushes again at its next run (Apple's "
             "status: https://developer.apple.com/system-status/)";
    case FailureKind::kConnectionLost:
      return "APNs at " + at + " cut the push off before any answer (the connection dropped, or the stream was "
             "reset), also when it was sent again" + d +
             ": check the network, a firewall or proxy; mdmcron pushes again at its next run";
    case FailureKind::kNoAnswer:
      return "APNs at " + at + " did not answer within " + std::to_string(o.timeout_ms / 1000) +
             " s (apns-timeout-seconds)" + d +
             ": check the network, a firewall or proxy; mdmcron pushes again at its next run";
    case FailureKind::kOther:
      break;
  }
  return "pushing to APNs at " + at + " failed" + d +
         ": check the network and apns-url (mdm-console settings get apns-url); mdmcron pushes again at its next run";
}

PushSummary Summarize(const std::vector<PushResult>& results, const ApnsOptions& options) {
  PushSummary summary;
  summary.selected = results.size();
  const PushResult* worst = nullptr;  // the first result of the most fundamental kind
  for (const auto& r : results) {
    switch (r.outcome) {
      case Outcome::kSent: ++summary.sent; break;
      case Outcome::kTokenDead: ++summary.dead; break;
      case Outcome::kFailed:
        ++summary.failed;
        if (summary.first_error.empty()) summary.first_error = RawError(r);
        if (!worst || r.kind < worst->kind) worst = &r;
        break;
    }
  }
  if (!worst) return summary;
  summary.failure = worst->kind == FailureKind::kNone ? FailureKind::kOther : worst->kind;
  std::string detail = RawError(*worst);
  if (summary.failure == FailureKind::kThrottled || summary.failure == FailureKind::kUnavailable)
    detail += ", still after " + std::to_string(worst->attempts) + " attempt(s)";
  summary.message = DescribeFailure(summary.failure, detail, options);
  return summary;
}

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
  o.timeout_ms = store::GetTimeoutSeconds(tx, setting::kApnsTimeout, o.timeout_ms / 1000) * 1000;
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

Result<PushSummary> PushPending(pqxx::connection& conn) {
  pqxx::result rows;
  {
    pqxx::read_transaction tx(conn);
    rows = store::Exec(tx, "push_pending",
                       "SELECT e.id, e.push_token, e.push_magic FROM enrollments e "
                       "WHERE e.status = 'enrolled' AND e.push_token IS NOT NULL AND e.push_magic IS NOT NULL "
                       "  AND e.push_token_invalid_at IS NULL "
                       "  AND EXISTS (SELECT 1 FROM command_queue q WHERE q.enrollment_id = e.id "
                       "              AND q.status IN ('Pending', 'NotNow'))");
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
