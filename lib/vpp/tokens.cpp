#include "vpp/tokens.h"

#include <ctime>

#include "crypto/crypto.h"
#include "store/settings.h"
#include "store/sql_util.h"
#include "vpp/token.h"

namespace mdm::vpp {
namespace {

namespace setting = store::setting;

VppConfig BaseConfig(pqxx::transaction_base& tx) {
  VppConfig c;
  if (auto url = store::GetSetting(tx, setting::kVppUrl)) c.base_url = *url;
  if (auto ca = store::GetSetting(tx, setting::kVppCaFile)) c.ca_file = *ca;
  c.timeout_seconds = store::GetTimeoutSeconds(tx, setting::kVppTimeout, c.timeout_seconds);
  return c;
}

}  // namespace

MdmInfo ServerInfo(pqxx::connection& conn) {
  pqxx::work tx(conn);
  MdmInfo info;
  info.id = store::SetSettingIfAbsent(tx, setting::kServerUuid, crypto::NewUuid());
  std::string host = "this server";
  if (auto url = store::GetSetting(tx, setting::kApiUrl)) {
    auto start = url->find("://");
    auto rest = start == std::string::npos ? *url : url->substr(start + 3);
    host = rest.substr(0, rest.find('/'));
  }
  tx.commit();
  info.name = "MDM at " + host;
  info.metadata = std::string("mdm ") + MDM_VERSION;
  return info;
}

Result<UploadReport> UploadToken(pqxx::connection& conn, std::string_view file_bytes, bool take_over) {
  auto token = ReadTokenFile(file_bytes);
  if (!token.ok()) return token.status();
  if (token->expires_at <= static_cast<int64_t>(std::time(nullptr)))
    return Status::Invalid("this Apps and Books content token (" + token->org_name + ") expired on " +
                           crypto::FormatTime(token->expires_at) +
                           ": download a new one in ABM/ASM (Preferences, Payments and Billing, Apps and Books)");
  MdmInfo ours = ServerInfo(conn);
  VppConfig config;
  {
    pqxx::read_transaction tx(conn);
    config = BaseConfig(tx);
  }
  config.stoken = token->stoken;
  config.location = token->org_name;
  VppClient client(config);
  auto current = client.GetClientConfig();
  if (!current.ok()) return current.status();
  UploadReport report;
  if (current->mdm_info && !current->mdm_info->id.empty() && current->mdm_info->id != ours.id) {
    const auto& other = *current->mdm_info;
    if (!take_over)
      return Status::Conflict("this content token (location " + current->location_name + ") is in use by another MDM "
                              "server, '" + other.name + "' (id " + other.id + "): a location's licences belong to one "
                              "server. Run again with --take-over to move it here; the other server then stops "
                              "managing its licences");
    report.taken_from = other.name + " (id " + other.id + ")";
  }
  auto claimed = client.SetClientConfig(ours);
  if (!claimed.ok()) return claimed.status();
  report.location_name = !claimed->location_name.empty() ? claimed->location_name : current->location_name;
  if (report.location_name.empty()) report.location_name = token->org_name;
  report.uid = !claimed->uid.empty() ? claimed->uid : current->uid;
  report.org_name = token->org_name;
  report.expires_at = token->expires_at;
  pqxx::work tx(conn);
  // One row per location: its uId when Apple gave one, else its name.
  auto r = store::Exec(
      tx, "vpp_token_upsert",
      "WITH old AS (SELECT id FROM vpp_tokens WHERE ($1 <> '' AND location_uid = $1) OR "
      "  (location_uid IS NULL AND location_name = $2) LIMIT 1), "
      "up AS (UPDATE vpp_tokens t SET location_uid = nullif($1, ''), location_name = $2, org_name = $3, token = $4, "
      "  expires_at = to_timestamp($5), country = nullif($6, ''), claimed_at = now(), last_error = NULL, "
      "  updated_at = now() FROM old WHERE t.id = old.id RETURNING t.id), "
      "ins AS (INSERT INTO vpp_tokens (location_uid, location_name, org_name, token, expires_at, country, claimed_at) "
      "  SELECT nullif($1, ''), $2, $3, $4, to_timestamp($5), nullif($6, ''), now() "
      "  WHERE NOT EXISTS (SELECT 1 FROM old) RETURNING id) "
      "SELECT EXISTS (SELECT 1 FROM up)",
      report.uid, report.location_name, report.org_name, token->stoken, std::to_string(token->expires_at),
      claimed->country.empty() ? current->country : claimed->country);
  report.replaced = r[0][0].as<bool>();
  tx.commit();
  return report;
}

std::string TokenListJson(pqxx::transaction_base& tx) {
  return store::Exec(tx, "vpp_token_list",
                     "SELECT coalesce(jsonb_agg(jsonb_build_object('id', t.id, 'location_name', t.location_name, "
                     "  'org_name', t.org_name, 'uid', t.location_uid, 'expires_at', t.expires_at, "
                     "  'claimed_at', t.claimed_at, 'assets_synced_at', t.assets_synced_at, "
                     "  'assignments_synced_at', t.assignments_synced_at, 'last_error', t.last_error, "
                     "  'assets', (SELECT count(*) FROM vpp_assets a WHERE a.token_id = t.id), "
                     "  'licences', (SELECT count(*) FROM vpp_licences l WHERE l.token_id = t.id "
                     "     AND l.state = 'associated')) ORDER BY t.id), '[]'::jsonb)::text FROM vpp_tokens t")[0][0]
      .as<std::string>();
}

std::string AssetListJson(pqxx::transaction_base& tx) {
  return store::Exec(tx, "vpp_assets_list",
                     "SELECT coalesce(jsonb_agg(jsonb_build_object('location', t.location_name, "
                     "  'adam_id', v.adam_id, 'pricing_param', v.pricing_param, 'product_type', v.product_type, "
                     "  'device_assignable', v.device_assignable, 'total', v.total_count, "
                     "  'assigned', v.assigned_count, 'available', v.available_count, "
                     "  'retired', v.retired_count, 'app', (SELECT identifier FROM apps a "
                     "    WHERE a.vpp_token_id = t.id AND a.itunes_store_id::text = v.adam_id LIMIT 1), "
                     "  'synced_at', v.synced_at) ORDER BY t.location_name, v.adam_id), '[]'::jsonb)::text "
                     "FROM vpp_assets v JOIN vpp_tokens t ON t.id = v.token_id")[0][0]
      .as<std::string>();
}

Status RemoveToken(pqxx::connection& conn, const std::string& location) {
  pqxx::work tx(conn);
  auto r = store::Exec(tx, "vpp_token_remove",
                       "DELETE FROM vpp_tokens WHERE location_name = $1 OR location_uid = $1 RETURNING id", location);
  if (r.empty()) return Status::NotFound("no Apps and Books token for location '" + location + "' (see mdm-console vpp token list)");
  if (r.size() > 1)
    return Status::Conflict("more than one token matches '" + location + "': name it by its uId (mdm-console vpp token list)");
  tx.commit();
  return Status::Ok();
}

std::vector<StoredToken> StoredTokens(pqxx::transaction_base& tx) {
  std::vector<StoredToken> out;
  VppConfig base = BaseConfig(tx);
  for (const auto& row : store::Exec(tx, "vpp_tokens_stored",
                                     "SELECT id, location_name, token, extract(epoch FROM expires_at)::bigint "
                                     "FROM vpp_tokens ORDER BY id")) {
    StoredToken t;
    t.id = row[0].as<int64_t>();
    t.location_name = row[1].as<std::string>();
    t.expires_at = row[3].as<int64_t>();
    t.config = base;
    t.config.stoken = row[2].as<std::string>();
    t.config.location = t.location_name;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace mdm::vpp
