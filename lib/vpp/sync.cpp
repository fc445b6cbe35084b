#include "vpp/sync.h"

#include <ctime>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "store/sql_util.h"

namespace mdm::vpp {
namespace {

constexpr int kMaxPages = 100000;  // a guard against a service that never says "last page"

void Str(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, const std::string& v) {
  w.Key(key);
  w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

std::string AssetsJson(const std::vector<Asset>& assets) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& a : assets) {
    w.StartObject();
    Str(w, "adam_id", a.adam_id);
    Str(w, "pricing_param", a.pricing_param);
    Str(w, "product_type", a.product_type);
    w.Key("device_assignable");
    w.Bool(a.device_assignable);
    w.Key("revocable");
    w.Bool(a.revocable);
    w.Key("platforms");
    w.StartArray();
    for (const auto& p : a.supported_platforms) w.String(p.c_str(), static_cast<rapidjson::SizeType>(p.size()));
    w.EndArray();
    w.Key("total");
    w.Int64(a.total);
    w.Key("assigned");
    w.Int64(a.assigned);
    w.Key("available");
    w.Int64(a.available);
    w.Key("retired");
    w.Int64(a.retired);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

bool SyncReport::failed() const {
  for (const auto& l : locations)
    if (!l.error.empty()) return true;
  return false;
}

void RecordError(pqxx::connection& conn, int64_t token_id, const std::string& error) {
  pqxx::work tx(conn);
  store::Exec(tx, "vpp_record_error", "UPDATE vpp_tokens SET last_error = nullif($2, '') WHERE id = $1", token_id,
              error);
  tx.commit();
}

Result<long long> SyncAssets(pqxx::connection& conn, VppClient& client, int64_t token_id) {
  std::vector<Asset> all;
  int page = 0;
  for (int guard = 0; guard < kMaxPages; ++guard) {
    auto r = client.GetAssets(page);
    if (!r.ok()) return r.status();
    for (auto& a : r->assets) all.push_back(std::move(a));
    if (!r->page.next || *r->page.next <= page) break;
    page = *r->page.next;
  }
  pqxx::work tx(conn);
  store::Exec(tx, "vpp_assets_store",
              "WITH page AS (SELECT DISTINCT ON (a->>'adam_id', a->>'pricing_param') a FROM "
              "  jsonb_array_elements($2::jsonb) a), "
              "gone AS (DELETE FROM vpp_assets v WHERE v.token_id = $1 AND NOT EXISTS (SELECT 1 FROM page "
              "  WHERE page.a->>'adam_id' = v.adam_id AND page.a->>'pricing_param' = v.pricing_param)) "
              "INSERT INTO vpp_assets AS v (token_id, adam_id, pricing_param, product_type, device_assignable, revocable, "
              "  supported_platforms, total_count, assigned_count, available_count, retired_count, synced_at) "
              "SELECT $1, a->>'adam_id', a->>'pricing_param', nullif(a->>'product_type', ''), "
              "  (a->>'device_assignable')::boolean, (a->>'revocable')::boolean, "
              "  ARRAY(SELECT jsonb_array_elements_text(a->'platforms')), (a->>'total')::int, (a->>'assigned')::int, "
              "  (a->>'available')::int, (a->>'retired')::int, now() FROM page "
              "ON CONFLICT (token_id, adam_id, pricing_param) DO UPDATE SET product_type = EXCLUDED.product_type, "
              "  device_assignable = EXCLUDED.device_assignable, revocable = EXCLUDED.revocable, "
              "  supported_platforms = EXCLUDED.supported_platforms, total_count = EXCLUDED.total_count, "
              "  assigned_count = EXCLUDED.assigned_count, available_count = EXCLUDED.available_count, "
              "  retired_count = EXCLUDED.retired_count, synced_at = now()",
              token_id, AssetsJson(all));
  store::Exec(tx, "vpp_assets_synced", "UPDATE vpp_tokens SET assets_synced_at = now() WHERE id = $1", token_id);
  tx.commit();
  return static_cast<long long>(all.size());
}

Status SyncAssignments(pqxx::connection& conn, VppClient& client, int64_t token_id, LocationSync* out) {
  std::vector<std::string> adam, pricing, serials;
  int page = 0;
  for (int guard = 0; guard < kMaxPages; ++guard) {
    auto r = client.GetAssignments(page);
    if (!r.ok()) return r.status();
    for (auto& a : r->assignments) {
      if (a.serial_number.empty()) continue;  // a user's licence (clientUserId): not ours to manage
      adam.push_back(std::move(a.adam_id));
      pricing.push_back(std::move(a.pricing_param));
      serials.push_back(std::move(a.serial_number));
    }
    if (!r->page.next || *r->page.next <= page) break;
    page = *r->page.next;
  }
  out->assignments = static_cast<long long>(serials.size());
  // Apple is the truth for settled rows; rows with an event under way are left to the event.
  pqxx::work tx(conn);
  auto r = store::Exec(
      tx, "vpp_assignments_merge",
      "WITH apple AS (SELECT DISTINCT ON (adam_id, serial_number) * FROM "
      "  unnest($2::text[], $3::text[], $4::text[]) AS x(adam_id, pricing_param, serial_number)), "
      "gone AS (DELETE FROM vpp_licences l WHERE l.token_id = $1 AND l.state = 'associated' AND NOT EXISTS "
      "  (SELECT 1 FROM apple WHERE apple.adam_id = l.adam_id AND apple.serial_number = l.serial_number) RETURNING 1), "
      "added AS (INSERT INTO vpp_licences AS l (token_id, adam_id, pricing_param, serial_number, state) "
      "  SELECT $1, adam_id, pricing_param, serial_number, 'associated' FROM apple "
      "  ON CONFLICT (token_id, adam_id, serial_number) DO UPDATE SET state = 'associated', event_id = NULL, "
      "    error_number = NULL, detail = NULL, updated_at = now() WHERE l.state IN ('failed', 'short') "
      "  RETURNING (xmax = 0) AS inserted) "
      "SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM gone)",
      token_id, store::TextArray(adam), store::TextArray(pricing), store::TextArray(serials));
  store::Exec(tx, "vpp_assignments_synced", "UPDATE vpp_tokens SET assignments_synced_at = now() WHERE id = $1",
              token_id);
  tx.commit();
  out->added = r[0][0].as<long long>();
  out->removed = r[0][1].as<long long>();
  return Status::Ok();
}

Result<SyncReport> SyncAll(pqxx::connection& conn, const SyncOptions& options) {
  std::vector<StoredToken> tokens;
  {
    pqxx::read_transaction tx(conn);
    tokens = StoredTokens(tx);
  }
  SyncReport report;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (auto& t : tokens) {
    LocationSync loc;
    loc.location = t.location_name;
    if (t.expires_at <= now) {
      loc.error = "the Apps and Books token of location " + t.location_name +
                  " has expired: download a new one in ABM/ASM and run mdm-console vpp token upload FILE.vpptoken";
    } else {
      if (t.expires_at - now < 30LL * 86400)
        loc.expiry_warning = "the Apps and Books token of location " + t.location_name + " expires in " +
                             std::to_string((t.expires_at - now) / 86400) + " days: download a new one before then";
      VppClient client(t.config);
      auto assets = SyncAssets(conn, client, t.id);
      if (!assets.ok()) {
        loc.error = assets.status().message();
      } else {
        loc.assets = *assets;
        if (options.assignments) {
          Status s = SyncAssignments(conn, client, t.id, &loc);
          if (!s.ok()) loc.error = s.message();
        }
      }
      report.requests += client.requests();
    }
    RecordError(conn, t.id, loc.error);
    report.locations.push_back(std::move(loc));
  }
  return report;
}

}  // namespace mdm::vpp
