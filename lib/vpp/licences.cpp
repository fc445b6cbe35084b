#include "vpp/licences.h"

#include <chrono>
#include <ctime>
#include <map>
#include <thread>

#include "core/log.h"
#include "store/sql_util.h"
#include "vpp/client.h"
#include "vpp/responses.h"
#include "vpp/sync.h"
#include "vpp/tokens.h"

namespace mdm::vpp {
namespace {

// (serial number, adamId, pricing) each enrolled device's groups (and their ancestors) ask a
// licence for, from location $1. The same ancestry as the reconcile's.
constexpr const char* kWanted =
    "WITH RECURSIVE anc(group_id, ancestor_id) AS ("
    "  SELECT id, id FROM groups "
    "  UNION SELECT a.group_id, g.parent_id FROM anc a JOIN groups g ON g.id = a.ancestor_id "
    "  WHERE g.parent_id IS NOT NULL), "
    "wanted AS (SELECT DISTINCT d.serial_number, a.itunes_store_id::text AS adam_id, v.pricing_param "
    "  FROM group_devices gd JOIN enrollments e ON e.id = gd.device_id AND e.status = 'enrolled' "
    "  JOIN devices d ON d.id = gd.device_id AND d.serial_number IS NOT NULL AND d.serial_number <> '' "
    "  JOIN anc ON anc.group_id = gd.group_id JOIN group_apps ga ON ga.group_id = anc.ancestor_id "
    "  JOIN apps a ON a.id = ga.app_id AND a.vpp_token_id = $1 "
    "  JOIN vpp_assets v ON v.token_id = $1 AND v.adam_id = a.itunes_store_id::text) ";

struct Batch {
  std::string adam_id, pricing;
  std::vector<std::string> serials;
};

std::vector<Batch> Batches(const pqxx::result& rows, int limit) {
  std::vector<Batch> out;
  for (const auto& row : rows) {
    std::string adam = row[0].as<std::string>(), pricing = row[1].as<std::string>();
    if (out.empty() || out.back().adam_id != adam || out.back().pricing != pricing ||
        static_cast<int>(out.back().serials.size()) >= limit)
      out.push_back({adam, pricing, {}});
    out.back().serials.push_back(row[2].as<std::string>());
  }
  return out;
}

class Location {
 public:
  Location(pqxx::connection& conn, const StoredToken& token, const LicenceOptions& options, LicenceReport& report)
      : conn_(conn), token_(token), options_(options), report_(report), client_(token.config) {}

  Status Run() {
    auto limits = client_.GetServiceConfig();
    if (!limits.ok()) return limits.status();
    limits_ = *limits;
    if (Status s = PollPending(false); !s.ok()) return s;
    if (Status s = Release(); !s.ok()) return s;
    if (Status s = Assign(); !s.ok()) return s;
    return Status::Ok();
  }

  int requests() const { return client_.requests(); }

 private:
  // Settles one event Apple reports done: failures per serial, the rest as asked.
  void Settle(const std::string& event_id, const EventStatus& e) {
    std::vector<std::string> serials, numbers, details;
    for (const auto& f : e.failures) {
      if (f.serial_number.empty()) continue;
      serials.push_back(f.serial_number);
      numbers.push_back(std::to_string(f.error_number));
      std::string meaning = ErrorMeaning(f.error_number);
      details.push_back("Apple refused the licence (error " + std::to_string(f.error_number) + ": " +
                        (meaning.empty() ? (f.error_message.empty() ? "no explanation given" : f.error_message)
                                         : meaning) +
                        ")");
      log::Warn().kv("event", "vpp_licence_failed").kv("location", token_.location_name).kv("serial", f.serial_number)
          .kv("adam_id", f.adam_id).kv("error_number", static_cast<long long>(f.error_number)).msg(details.back());
    }
    const bool failed_whole = e.status == "FAILED" && serials.empty();
    pqxx::work tx(conn_);
    auto r = store::Exec(
        tx, "vpp_settle",
        "WITH ev AS (UPDATE vpp_events SET status = $2, checked_at = now(), completed_at = now() "
        "  WHERE event_id = $1 RETURNING kind), "
        "f AS (SELECT * FROM unnest($3::text[], $4::int[], $5::text[]) AS x(serial_number, error_number, detail)), "
        "failed AS (UPDATE vpp_licences l SET state = CASE WHEN ev.kind <> 'associate' THEN 'associated' "
        "    WHEN f.error_number = 9709 THEN 'short' ELSE 'failed' END, "
        "    event_id = NULL, error_number = f.error_number, detail = f.detail, updated_at = now() "
        "  FROM ev, f WHERE l.event_id = $1 AND l.serial_number = f.serial_number RETURNING 1), "
        "whole AS (UPDATE vpp_licences l SET state = CASE WHEN ev.kind = 'associate' THEN 'failed' ELSE 'associated' END, "
        "    event_id = NULL, error_number = NULL, detail = 'Apple reported the whole request failed', updated_at = now() "
        "  FROM ev WHERE $6 AND l.event_id = $1 RETURNING 1), "
        "done AS (UPDATE vpp_licences l SET state = 'associated', event_id = NULL, error_number = NULL, detail = NULL, "
        "    updated_at = now() FROM ev WHERE NOT $6 AND ev.kind = 'associate' AND l.event_id = $1 "
        "    AND NOT EXISTS (SELECT 1 FROM f WHERE f.serial_number = l.serial_number) RETURNING 1), "
        "released AS (DELETE FROM vpp_licences l USING ev WHERE NOT $6 AND ev.kind = 'disassociate' AND l.event_id = $1 "
        "    AND NOT EXISTS (SELECT 1 FROM f WHERE f.serial_number = l.serial_number) RETURNING 1), "
        // Apple's counts as they now are, until the next asset sync reads them again.
        "counts AS (UPDATE vpp_assets v SET "
        "    assigned_count = greatest(v.assigned_count + (SELECT count(*) FROM done) - (SELECT count(*) FROM released), 0), "
        "    available_count = greatest(v.available_count - (SELECT count(*) FROM done) + (SELECT count(*) FROM released), 0) "
        "  FROM vpp_events e WHERE e.event_id = $1 AND v.token_id = e.token_id AND v.adam_id = e.adam_id "
        "    AND v.pricing_param = e.pricing_param) "
        "SELECT (SELECT count(*) FROM failed) + (SELECT count(*) FROM whole), (SELECT count(*) FROM done), "
        "  (SELECT count(*) FROM released)",
        event_id, e.status, store::TextArray(serials), store::TextArray(numbers), store::TextArray(details),
        failed_whole);
    tx.commit();
    report_.failed += r[0][0].as<long long>();
    report_.associated += r[0][1].as<long long>();
    report_.released += r[0][2].as<long long>();
  }

  // Polls the location's pending events once each; with `wait`, again until none is pending
  // or the wait is over.
  Status PollPending(bool wait) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(
                                                                 static_cast<long long>(options_.wait_seconds * 1000));
    while (true) {
      std::vector<std::string> pending;
      {
        pqxx::read_transaction tx(conn_);
        for (const auto& row : store::Exec(tx, "vpp_pending_events",
                                           "SELECT event_id FROM vpp_events WHERE token_id = $1 AND status = 'PENDING' "
                                           "ORDER BY created_at",
                                           token_.id))
          pending.push_back(row[0].as<std::string>());
      }
      size_t still = 0;
      for (const auto& id : pending) {
        auto e = client_.GetEvent(id);
        if (!e.ok()) return e.status();
        if (e->status == "COMPLETE" || e->status == "FAILED") {
          Settle(id, *e);
        } else {
          ++still;
          pqxx::work tx(conn_);
          store::Exec(tx, "vpp_event_checked", "UPDATE vpp_events SET checked_at = now() WHERE event_id = $1", id);
          tx.commit();
        }
      }
      if (!wait || still == 0 || std::chrono::steady_clock::now() >= deadline) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long long>(options_.poll_every * 1000)));
    }
  }

  // Files one associate or disassociate request per batch and marks its serials.
  Status Request(const char* kind, const std::vector<Batch>& batches) {
    const bool associate = std::string(kind) == "associate";
    for (const auto& b : batches) {
      auto event = associate ? client_.Associate(b.adam_id, b.pricing, b.serials)
                             : client_.Disassociate(b.adam_id, b.pricing, b.serials);
      if (!event.ok()) return event.status();
      pqxx::work tx(conn_);
      store::Exec(tx, "vpp_event_new",
                  "INSERT INTO vpp_events (event_id, token_id, kind, adam_id, pricing_param, serials) "
                  "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING",
                  *event, token_.id, kind, b.adam_id, b.pricing, static_cast<long long>(b.serials.size()));
      store::Exec(tx, "vpp_mark",
                  "INSERT INTO vpp_licences AS l (token_id, adam_id, pricing_param, serial_number, state, event_id) "
                  "SELECT $1, $2, $3, s, $5, $6 FROM unnest($4::text[]) s "
                  "ON CONFLICT (token_id, adam_id, serial_number) DO UPDATE SET state = EXCLUDED.state, "
                  "  event_id = EXCLUDED.event_id, error_number = NULL, detail = NULL, updated_at = now()",
                  token_.id, b.adam_id, b.pricing, store::TextArray(b.serials),
                  associate ? "associating" : "disassociating", *event);
      tx.commit();
      (associate ? report_.requested : report_.disassociated) += static_cast<long long>(b.serials.size());
    }
    return Status::Ok();
  }

  // Licences no device of ours needs any more, once the app is off it.
  Status Release() {
    pqxx::result rows;
    {
      pqxx::work tx(conn_);
      // Rows that were never licences (short, failed) simply go.
      store::Exec(tx, "vpp_forget_unwanted",
                  (std::string(kWanted) +
                   "DELETE FROM vpp_licences l WHERE l.token_id = $1 AND l.state IN ('short', 'failed') AND NOT EXISTS "
                   "(SELECT 1 FROM wanted w WHERE w.serial_number = l.serial_number AND w.adam_id = l.adam_id)")
                      .c_str(),
                  token_.id);
      // A licence goes back only from a device we manage, when no group asks for the app and the
      // app is off the device: no deployment of it left, or its RemoveApplication acknowledged.
      rows = store::Exec(
          tx, "vpp_to_release",
          (std::string(kWanted) +
           "SELECT l.adam_id, l.pricing_param, l.serial_number FROM vpp_licences l "
           "JOIN devices d ON d.serial_number = l.serial_number "
           "WHERE l.token_id = $1 AND l.state = 'associated' AND NOT EXISTS (SELECT 1 FROM wanted w "
           "  WHERE w.serial_number = l.serial_number AND w.adam_id = l.adam_id) "
           // Unenrolled, the device lost its managed apps with the MDM profile.
           "AND (NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.id = d.id AND e.status = 'enrolled') "
           "  OR NOT EXISTS (SELECT 1 FROM device_deployments dd JOIN apps a ON a.id = dd.item_id "
           "  LEFT JOIN command_queue q ON q.command_uuid = dd.command_uuid AND q.enrollment_id = dd.device_id "
           "  WHERE dd.device_id = d.id AND dd.kind = 'app' AND a.vpp_token_id = $1 "
           "    AND a.itunes_store_id::text = l.adam_id "
           "    AND NOT (dd.status = 'removing' AND q.status = 'Acknowledged'))) "
           "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
              .c_str(),
          token_.id);
      tx.commit();
    }
    if (rows.empty()) return Status::Ok();
    if (Status s = Request("disassociate", Batches(rows, limits_.max_serial_numbers)); !s.ok()) return s;
    // The licences come back only once the events are done: wait for them, so this run can give
    // them to the devices that were short.
    return PollPending(true);
  }

  Status Assign() {
    // Who still needs a licence: wanted, without one under way or held, and not refused lately.
    long long need = 0;
    {
      pqxx::read_transaction tx(conn_);
      need = store::Exec(tx, "vpp_need_count",
                         (std::string(kWanted) +
                          "SELECT count(*) FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM vpp_licences l "
                          "  WHERE l.token_id = $1 AND l.adam_id = w.adam_id AND l.serial_number = w.serial_number "
                          "  AND (l.state IN ('associated', 'associating', 'disassociating') "
                          "    OR (l.state = 'failed' AND l.updated_at > now() - make_interval(secs => $2))))")
                             .c_str(),
                         token_.id, options_.retry_failed_after_seconds)[0][0]
                 .as<long long>();
    }
    if (need == 0) return Status::Ok();
    // Fresh counts before giving any out (a licence bought or freed in ABM since).
    auto assets = SyncAssets(conn_, client_, token_.id);
    if (!assets.ok()) return assets.status();
    pqxx::result rows, shortfall;
    {
      pqxx::work tx(conn_);
      // Who needs one, computed once (as the count above), then ranked per asset: the first
      // `available` (less those under way) in serial-number order get one.
      store::Exec(tx, "vpp_need_table",
                  (std::string("CREATE TEMP TABLE vpp_need ON COMMIT DROP AS ") + kWanted +
                   "SELECT w.*, row_number() OVER (PARTITION BY w.adam_id, w.pricing_param ORDER BY w.serial_number) "
                   "  AS n FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM vpp_licences l WHERE l.token_id = $1 "
                   "  AND l.adam_id = w.adam_id AND l.serial_number = w.serial_number "
                   "  AND (l.state IN ('associated', 'associating', 'disassociating') "
                   "    OR (l.state = 'failed' AND l.updated_at > now() - make_interval(secs => $2))))")
                      .c_str(),
                  token_.id, options_.retry_failed_after_seconds);
      const std::string ranked =
          "WITH room AS (SELECT v.adam_id, v.pricing_param, greatest(v.available_count - (SELECT count(*) "
          "    FROM vpp_licences l WHERE l.token_id = $1 AND l.adam_id = v.adam_id AND l.state = 'associating'), 0) "
          "    AS available, v.device_assignable FROM vpp_assets v WHERE v.token_id = $1) ";
      rows = store::Exec(tx, "vpp_to_assign",
                         (ranked +
                          "SELECT need.adam_id, need.pricing_param, need.serial_number FROM vpp_need need JOIN room "
                          "USING (adam_id, pricing_param) WHERE room.device_assignable AND need.n <= room.available "
                          "ORDER BY 1, 2, 3")
                             .c_str(),
                         token_.id);
      // The others: recorded per device, so device show and app show say why.
      shortfall = store::Exec(
          tx, "vpp_short",
          (ranked +
           ", short AS (SELECT need.*, room.available, room.device_assignable FROM vpp_need need JOIN room "
           "    USING (adam_id, pricing_param) WHERE NOT room.device_assignable OR need.n > room.available), "
           "marked AS (INSERT INTO vpp_licences AS l (token_id, adam_id, pricing_param, serial_number, state, detail) "
           "  SELECT $1, adam_id, pricing_param, serial_number, 'short', CASE WHEN device_assignable THEN "
           "    'no licence left for this app in location ' || $2 || ': buy more in ABM/ASM or free one' "
           "    ELSE 'this app cannot be assigned to devices, only to users (Apple: deviceAssignable false)' END "
           "  FROM short ON CONFLICT (token_id, adam_id, serial_number) DO UPDATE SET state = 'short', "
           "    event_id = NULL, error_number = NULL, detail = EXCLUDED.detail, updated_at = now() "
           "  WHERE l.state IN ('short', 'failed')) "
           "SELECT adam_id, count(*), min(available) FROM short GROUP BY 1 ORDER BY 1")
              .c_str(),
          token_.id, token_.location_name);
      tx.commit();
    }
    for (const auto& row : shortfall) {
      report_.short_of_licences += row[1].as<long long>();
      report_.shortfalls.push_back(row[0].as<std::string>() + ": " + row[1].as<std::string>() +
                                   " device(s) without a licence (" + row[2].as<std::string>() + " available)");
    }
    if (!rows.empty()) {
      if (Status s = Request("associate", Batches(rows, limits_.max_serial_numbers)); !s.ok()) return s;
    }
    return PollPending(options_.wait_seconds > 0);
  }

  pqxx::connection& conn_;
  const StoredToken& token_;
  const LicenceOptions& options_;
  LicenceReport& report_;
  VppClient client_;
  ServiceLimits limits_;
};

}  // namespace

Result<LicenceReport> LicenceStep(pqxx::connection& conn, const LicenceOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  LicenceReport report;
  std::vector<StoredToken> tokens;
  {
    pqxx::read_transaction tx(conn);
    tokens = StoredTokens(tx);
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const auto& t : tokens) {
    ++report.locations;
    std::string error;
    if (t.expires_at <= now) {
      error = "the Apps and Books token of location " + t.location_name +
              " has expired: download a new one in ABM/ASM and run mdm-console vpp token upload FILE.vpptoken";
    } else {
      Location loc(conn, t, options, report);
      Status s = loc.Run();
      report.requests += loc.requests();
      if (!s.ok()) error = s.message();
    }
    if (!error.empty()) report.errors.push_back(error);
    RecordError(conn, t.id, error);
  }
  // Thousands of rows in one run: fresh statistics, so the next run (and the reconcile that
  // follows) plan with them rather than wait for autovacuum (4 s instead of 0.2 s otherwise).
  if (report.requested + report.disassociated + report.short_of_licences + report.failed > 500) {
    pqxx::nontransaction tx(conn);
    tx.exec("ANALYZE vpp_licences");
  }
  if (!tokens.empty()) {
    pqxx::read_transaction tx(conn);
    report.pending = store::Exec(tx, "vpp_pending_count",
                                 "SELECT count(*) FROM vpp_licences WHERE state IN ('associating', 'disassociating')")[0][0]
                         .as<long long>();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace mdm::vpp
