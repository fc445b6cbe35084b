#include "abm/sync.h"

#include <ctime>
#include <optional>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "abm/client.h"
#include "abm/responses.h"
#include "store/event_store.h"
#include "crypto/crypto.h"
#include "json/json.h"
#include "store/settings.h"
#include "store/sql_util.h"

namespace mdm::abm {
namespace {

namespace setting = store::setting;

// Serialises applesync runs across hosts ("mdm-abms").
constexpr long long kSyncLock = 0x6d646d2d61626d73LL;

std::string Json(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string CursorRequest(int limit, const std::string& cursor) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("limit");
  w.Int(limit);
  if (!cursor.empty()) {
    w.Key("cursor");
    w.String(cursor.c_str());
  }
  w.EndObject();
  return buf.GetString();
}

Result<AbmConfig> LoadConfig(pqxx::connection& conn, SyncReport& report) {
  pqxx::read_transaction tx(conn);
  auto token = store::GetSetting(tx, setting::kAbmToken);
  if (!token)
    return Status::Conflict("no ABM/ASM server token: mdm-console token cert, upload it in ABM/ASM, then "
                            "mdm-console token upload FILE.p7m");
  rapidjson::Document d;
  Status parsed = json::Parse(*token, &d);
  auto field = [&d](const char* name) -> std::optional<std::string> {
    if (!d.IsObject()) return std::nullopt;
    auto m = d.FindMember(name);
    if (m == d.MemberEnd() || !m->value.IsString()) return std::nullopt;
    return std::string(m->value.GetString(), m->value.GetStringLength());
  };
  auto key = field("consumer_key"), secret = field("consumer_secret"), access = field("access_token"),
       access_secret = field("access_secret");
  if (!parsed.ok() || !key || !secret || !access || !access_secret)
    return Status::Conflict("the stored ABM/ASM server token is not readable" +
                            (parsed.ok() ? std::string(" (it lacks a key)") : " (" + parsed.message() + ")") +
                            ": upload it again with mdm-console token upload FILE.p7m");
  AbmConfig c;
  c.credentials = {*key, *secret, *access, *access_secret};
  if (auto url = store::GetSetting(tx, setting::kAbmUrl)) c.base_url = *url;
  if (auto ca = store::GetSetting(tx, setting::kAbmCaFile)) c.ca_file = *ca;
  c.timeout_seconds = store::GetTimeoutSeconds(tx, setting::kAbmTimeout, c.timeout_seconds);
  if (auto exp = store::GetSetting(tx, setting::kAbmTokenExpires)) {
    long long left = std::stoll(*exp) - static_cast<long long>(std::time(nullptr));
    if (left <= 0) return Status::Unauthorized("the ABM/ASM server token has expired: download a new one and run mdm-console token upload FILE.p7m");
    if (left < 30LL * 86400)
      report.token_warning = "the ABM/ASM server token expires in " + std::to_string(left / 86400) +
                             " days: download a new one before then";
  }
  return c;
}

// One page of devices into dep_devices, with the cursor, in one transaction: a crash between
// pages resumes from the last saved page. The latest op_date per serial wins.
long long StorePage(pqxx::connection& conn, const std::string& devices_json, const std::string& cursor,
                    const std::string& mode, long long* deleted) {
  pqxx::work tx(conn);
  // Each device changed also files abm.DeviceChanged for the webhooks (nothing when there are none).
  static const std::string sql =
      "WITH page AS ("
      "  SELECT DISTINCT ON (d->>'serial_number') d->>'serial_number' AS serial, d "
      "  FROM jsonb_array_elements($1::jsonb) d WHERE jsonb_typeof(d->'serial_number') = 'string' "
      "  ORDER BY d->>'serial_number', d->>'op_date' DESC NULLS LAST"
      "), up AS ("
      "  INSERT INTO dep_devices AS t (serial_number, source, model, description, color, asset_tag, os, device_family, "
      "    profile_status, profile_uuid, op_type, op_date, deleted_at, updated_at) "
      "  SELECT serial, 'abm', d->>'model', d->>'description', d->>'color', d->>'asset_tag', d->>'os', "
      "    d->>'device_family', d->>'profile_status', d->>'profile_uuid', d->>'op_type', "
      "    (d->>'op_date')::timestamptz, CASE WHEN d->>'op_type' = 'deleted' THEN now() END, now() FROM page "
      "  ON CONFLICT (serial_number) DO UPDATE SET source = 'abm', "
      "    model = coalesce(EXCLUDED.model, t.model), description = coalesce(EXCLUDED.description, t.description), "
      "    color = coalesce(EXCLUDED.color, t.color), asset_tag = coalesce(EXCLUDED.asset_tag, t.asset_tag), "
      "    os = coalesce(EXCLUDED.os, t.os), device_family = coalesce(EXCLUDED.device_family, t.device_family), "
      "    profile_status = coalesce(EXCLUDED.profile_status, t.profile_status), "
      "    profile_uuid = coalesce(EXCLUDED.profile_uuid, t.profile_uuid), op_type = EXCLUDED.op_type, "
      "    op_date = EXCLUDED.op_date, deleted_at = EXCLUDED.deleted_at, updated_at = now() "
      "  WHERE t.op_date IS NULL OR EXCLUDED.op_date IS NULL OR EXCLUDED.op_date >= t.op_date "
      "  RETURNING t.*, (t.deleted_at IS NOT NULL) AS gone"
      "), " + store::AbmDeviceEventCtes("up") + " SELECT count(*), count(*) FILTER (WHERE gone) FROM up";
  auto r = store::Exec(tx, "abm_upsert", sql.c_str(), devices_json);
  store::SetSetting(tx, setting::kAbmCursor, cursor);
  store::SetSetting(tx, setting::kAbmCursorMode, mode);
  tx.commit();
  *deleted += r[0][1].as<long long>();
  return r[0][0].as<long long>();
}

Status SyncDevices(pqxx::connection& conn, AbmClient& client, const SyncOptions& opts, SyncReport& report,
                   const std::function<void(const SyncProgress&)>& progress) {
  std::string cursor, mode;
  {
    pqxx::read_transaction tx(conn);
    cursor = store::GetSetting(tx, setting::kAbmCursor).value_or("");
    mode = store::GetSetting(tx, setting::kAbmCursorMode).value_or("fetch");
  }
  SyncProgress p;
  for (int guard = 0; guard < 1000000; ++guard) {
    const bool fetch = mode == "fetch";
    report.mode = mode;
    p.phase = mode;
    auto r = client.Call("POST", fetch ? "/server/devices" : "/devices/sync", CursorRequest(opts.page_size, cursor));
    if (!r.ok()) return r.status();
    switch (ClassifyCursorError(r->status, r->body)) {
      case CursorError::kExhausted:  // the full fetch is done: changes from here on
        mode = "sync";
        continue;
      case CursorError::kRestart:
        if (report.cursor_restarted) return Status::Unavailable("ABM/ASM refused a fresh cursor too");
        report.cursor_restarted = true;
        cursor.clear();
        mode = "fetch";
        continue;
      case CursorError::kNone:
        break;
    }
    if (r->status != 200)
      return Status::Unavailable("ABM/ASM answered " + std::to_string(r->status) + " to " +
                                 (fetch ? "/server/devices" : "/devices/sync") + ": " + r->body.substr(0, 200));
    auto page = ReadDevicePage(r->body);
    if (!page.ok()) return page.status();
    cursor = page->cursor;
    const bool more = page->more_to_follow;
    // After the last page of a full fetch, the next run continues with changes.
    std::string next_mode = fetch && !more ? "sync" : mode;
    report.devices_seen += StorePage(conn, page->devices_json, cursor, next_mode, &report.deleted);
    report.pages++;
    p.pages = report.pages;
    p.devices = report.devices_seen;
    if (progress) progress(p);
    mode = next_mode;
    if (!more) return Status::Ok();
  }
  return Status::Unavailable("ABM/ASM kept sending pages; stopped");
}

Status SyncProfile(pqxx::connection& conn, AbmClient& client, SyncReport& report) {
  std::string profile, hash, stored_hash, uuid;
  {
    pqxx::read_transaction tx(conn);
    auto p = store::GetSetting(tx, setting::kActivationProfile);
    if (!p) return Status::Ok();  // nothing to define: devices sync all the same
    profile = *p;
    hash = crypto::Hex(crypto::Sha256(profile));
    stored_hash = store::GetSetting(tx, setting::kAbmProfileHash).value_or("");
    uuid = store::GetSetting(tx, setting::kAbmProfileUuid).value_or("");
  }
  if (hash != stored_hash || uuid.empty()) {
    auto r = client.Call("POST", "/profile", profile);
    if (!r.ok()) return r.status();
    auto defined = ReadProfileUuid(r->status, r->body);
    if (!defined.ok()) return defined.status();
    uuid = std::move(defined).value();
    pqxx::work tx(conn);
    store::SetSetting(tx, setting::kAbmProfileUuid, uuid);
    store::SetSetting(tx, setting::kAbmProfileHash, hash);
    tx.commit();
    report.profile_defined = true;
  }
  // Devices that are neither assigned this profile nor already tried with it.
  while (true) {
    std::vector<std::string> serials;
    {
      pqxx::read_transaction tx(conn);
      auto rows = store::Exec(tx, "abm_to_assign",
                              "SELECT serial_number FROM dep_devices WHERE source = 'abm' AND deleted_at IS NULL "
                              "  AND profile_uuid IS DISTINCT FROM $1 AND assign_profile_uuid IS DISTINCT FROM $1 "
                              "ORDER BY serial_number LIMIT 1000",
                              uuid);
      for (const auto& row : rows) serials.push_back(row[0].as<std::string>());
    }
    if (serials.empty()) return Status::Ok();
    rapidjson::Document body(rapidjson::kObjectType);
    auto& a = body.GetAllocator();
    body.AddMember("profile_uuid", rapidjson::Value(uuid.c_str(), a), a);
    rapidjson::Value list(rapidjson::kArrayType);
    for (const auto& s : serials) list.PushBack(rapidjson::Value(s.c_str(), a), a);
    body.AddMember("devices", list, a);
    auto r = client.Call("PUT", "/profile/devices", Json(body));
    if (!r.ok()) return r.status();
    auto results = ReadAssignResults(r->status, r->body);
    if (!results.ok()) return results.status();
    // FAILED results are tried again next run; the others are final for this profile.
    pqxx::work tx(conn);
    auto counts = store::Exec(
        tx, "abm_assigned",
        "WITH res AS (SELECT key AS serial, value AS result FROM jsonb_each_text($1::jsonb)), "
        "up AS (UPDATE dep_devices t SET assign_result = res.result, assigned_at = now(), "
        "    assign_profile_uuid = CASE WHEN res.result = 'FAILED' THEN t.assign_profile_uuid ELSE $2 END, "
        "    profile_uuid = CASE WHEN res.result = 'SUCCESS' THEN $2 ELSE t.profile_uuid END, "
        "    profile_status = CASE WHEN res.result = 'SUCCESS' THEN 'assigned' ELSE t.profile_status END "
        "  FROM res WHERE t.serial_number = res.serial RETURNING res.result) "
        "SELECT count(*) FILTER (WHERE result = 'SUCCESS'), count(*) FILTER (WHERE result = 'NOT_ACCESSIBLE'), "
        "  count(*) FILTER (WHERE result NOT IN ('SUCCESS', 'NOT_ACCESSIBLE')) FROM up",
        *results, uuid);
    // Serials ABM did not mention are not retried forever within this run.
    store::Exec(tx, "abm_unanswered",
                "UPDATE dep_devices SET assign_result = 'FAILED', assigned_at = now() "
                "WHERE serial_number = ANY($1::text[]) AND assigned_at IS NULL",
                store::TextArray(serials));
    tx.commit();
    report.assigned += counts[0][0].as<long long>();
    report.not_accessible += counts[0][1].as<long long>();
    long long failed = counts[0][2].as<long long>();
    report.failed += failed;
    if (failed == static_cast<long long>(serials.size())) return Status::Ok();  // all failed: try next run
  }
}

}  // namespace

void ForgetServer(pqxx::transaction_base& tx) {
  store::Exec(tx, "abm_forget_settings", "DELETE FROM settings WHERE name = ANY($1::text[])",
              store::TextArray({setting::kAbmCursor, setting::kAbmCursorMode, setting::kAbmAccount,
                                setting::kAbmProfileUuid, setting::kAbmProfileHash}));
  store::Exec(tx, "abm_forget_assignments",
              "UPDATE dep_devices SET assign_result = NULL, assign_profile_uuid = NULL, assigned_at = NULL "
              "WHERE assign_profile_uuid IS NOT NULL OR assign_result IS NOT NULL OR assigned_at IS NOT NULL");
}

Result<SyncReport> AppleSync(pqxx::connection& conn, const SyncOptions& opts,
                             const std::function<void(const SyncProgress&)>& progress) {
  SyncReport report;
  {
    pqxx::nontransaction tx(conn);
    if (!tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(kSyncLock) + ")")[0][0].as<bool>()) {
      report.skipped_locked = true;
      return report;
    }
  }
  auto config = LoadConfig(conn, report);
  if (!config.ok()) return config.status();
  AbmClient client(std::move(config).value());

  auto account = client.Call("GET", "/account");
  if (!account.ok()) return account.status();
  if (account->status != 200)
    return Status::Unavailable("ABM/ASM answered " + std::to_string(account->status) + " to /account");
  // Stored as text below: what does not parse (invalid UTF-8 above all) stays out of PostgreSQL.
  auto org_name = ReadOrgName(account->body);
  if (!org_name.ok()) return org_name.status();
  report.org_name = std::move(org_name).value();
  {
    // A token uploaded for another server resets this state at upload; this catches the rest (a
    // token restored from a backup, a setting changed by hand): the server's UUID decides.
    pqxx::work tx(conn);
    auto before = store::GetSetting(tx, setting::kAbmAccount);
    auto was = before ? ReadServerUuid(*before) : std::string();
    auto is = ReadServerUuid(account->body);
    if (!was.empty() && !is.empty() && was != is) {
      ForgetServer(tx);
      report.server_changed = true;
    }
    store::SetSetting(tx, setting::kAbmAccount, account->body);
    tx.commit();
  }
  if (Status s = SyncDevices(conn, client, opts, report, progress); !s.ok()) {
    // Each page was stored with its cursor: say how far this run got, the next one goes on from there.
    if (s.code() != Status::Code::kUnavailable || report.pages == 0) return s;
    return Status::Unavailable(s.message() + "; this run stored " + std::to_string(report.pages) + " page(s), " +
                               std::to_string(report.devices_seen) + " device(s), before that");
  }
  if (Status s = SyncProfile(conn, client, report); !s.ok()) return s;
  report.requests = client.requests();
  pqxx::nontransaction tx(conn);
  tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kSyncLock) + ")");
  return report;
}

}  // namespace mdm::abm
