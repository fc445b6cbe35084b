#include "deploy/reconcile.h"

#include <map>
#include <stdexcept>

#include <rapidjson/document.h>

#include "crypto/crypto.h"
#include "json/json.h"
#include "plist/property_list.h"
#include "service/commands.h"
#include "store/sql_util.h"

namespace mdm::deploy {
namespace {

// A transaction that counts its statements (the benchmark reports them).
class Tx {
 public:
  Tx(pqxx::connection& conn, ReconcileReport& report) : tx_(conn), report_(report) {}
  template <class... Args>
  pqxx::result Run(const std::string& sql, Args&&... args) {
    ++report_.statements;
    return tx_.exec_params(sql, std::forward<Args>(args)...);
  }
  long long Count(const std::string& sql) { return Run(sql)[0][0].as<long long>(); }
  void Commit() { tx_.commit(); }

 private:
  pqxx::work tx_;
  ReconcileReport& report_;
};

// Groups and all their ancestors, for "a device in a child group gets what its ancestors carry".
constexpr const char* kAncestors =
    "WITH RECURSIVE anc(group_id, ancestor_id) AS ("
    "  SELECT id, id FROM groups "
    "  UNION SELECT a.group_id, g.parent_id FROM anc a JOIN groups g ON g.id = a.ancestor_id "
    "  WHERE g.parent_id IS NOT NULL) ";

// Device-channel enrollments that take commands.
constexpr const char* kEnrolled = "JOIN enrollments e ON e.id = gd.device_id AND e.status = 'enrolled' ";

plist::Owned Command(const char* request_type) {
  plist::Owned c(plist_new_dict());
  plist::SetString(c.get(), "RequestType", request_type);
  return c;
}

// New commands, inserted in one statement: (uuid, request type, body).
struct NewCommands {
  std::vector<std::string> uuids, types, bodies;
  std::string Add(plist_t command) {
    std::string uuid = crypto::NewUuid();
    uuids.push_back(uuid);
    types.push_back(*plist::GetString(command, "RequestType"));
    bodies.push_back(crypto::Hex(service::CommandBody(uuid, command)));
    return uuid;
  }
  void Insert(Tx& tx, int expires_days) {
    if (uuids.empty()) return;
    tx.Run("INSERT INTO commands (command_uuid, request_type, body, source, expires_at) "
           "SELECT u, t, decode(b, 'hex'), 'mdmcron', now() + make_interval(days => $4) "
           "FROM unnest($1::text[], $2::text[], $3::text[]) AS x(u, t, b)",
           store::TextArray(uuids), store::TextArray(types), store::TextArray(bodies), expires_days);
  }
};

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// The profile's XML with every $$name$$ replaced by the device's value (XML-escaped).
std::string Fill(std::string xml, const rapidjson::Value& params) {
  for (auto m = params.MemberBegin(); m != params.MemberEnd(); ++m) {
    std::string token = "$$" + std::string(m->name.GetString(), m->name.GetStringLength()) + "$$";
    std::string value = XmlEscape(std::string(m->value.GetString(), m->value.GetStringLength()));
    for (size_t p = xml.find(token); p != std::string::npos; p = xml.find(token, p + value.size()))
      xml.replace(p, token.size(), value);
  }
  return xml;
}

void SettleDeployments(Tx& tx) {
  // Results of what we sent: installs become installed or failed; acknowledged removals go.
  tx.Run(
      "WITH done AS ("
      "  SELECT dd.device_id, dd.kind, dd.item_id, dd.status AS was, q.status AS result, q.error_chain "
      "  FROM device_deployments dd JOIN command_queue q "
      "    ON q.command_uuid = dd.command_uuid AND q.enrollment_id = dd.device_id "
      "  WHERE dd.status IN ('pending', 'removing') AND q.status NOT IN ('Pending', 'NotNow')), "
      "gone AS (DELETE FROM device_deployments t USING done "
      "  WHERE t.device_id = done.device_id AND t.kind = done.kind AND t.item_id = done.item_id "
      "    AND done.was = 'removing' AND done.result = 'Acknowledged' RETURNING 1) "
      "UPDATE device_deployments t SET "
      "  status = CASE WHEN done.result = 'Acknowledged' THEN 'installed' ELSE 'failed' END, "
      "  detail = CASE WHEN done.result = 'Acknowledged' THEN NULL "
      "    ELSE done.result || coalesce(': ' || (done.error_chain -> 0 ->> 'LocalizedDescription'), '') END, "
      "  updated_at = now() "
      "FROM done WHERE t.device_id = done.device_id AND t.kind = done.kind AND t.item_id = done.item_id "
      "  AND NOT (done.was = 'removing' AND done.result = 'Acknowledged')");
}

void Membership(Tx& tx, ReconcileReport& r) {
  auto rows = tx.Run(
      "WITH want AS ("
      "  SELECT g.id AS group_id, d.id AS device_id FROM groups g JOIN devices d ON "
      "    (g.rule->>'model' IS NULL OR coalesce(d.model_name, '') LIKE g.rule->>'model' "
      "       OR coalesce(d.model, '') LIKE g.rule->>'model') "
      "    AND (g.rule->>'product' IS NULL OR coalesce(d.product_name, '') LIKE g.rule->>'product') "
      "    AND (g.rule->>'os_min' IS NULL AND g.rule->>'os_max' IS NULL OR CASE "
      "      WHEN d.os_version ~ '^[0-9]+(\\.[0-9]+)*$' THEN "
      "        (g.rule->>'os_min' IS NULL OR string_to_array(d.os_version, '.')::int[] >= "
      "           string_to_array(g.rule->>'os_min', '.')::int[]) "
      "        AND (g.rule->>'os_max' IS NULL OR string_to_array(d.os_version, '.')::int[] <= "
      "           string_to_array(g.rule->>'os_max', '.')::int[]) "
      "      ELSE false END) "
      "  WHERE g.rule IS NOT NULL), "
      "left_ AS (DELETE FROM group_devices gd WHERE gd.source = 'rule' AND NOT EXISTS "
      "  (SELECT 1 FROM want w WHERE w.group_id = gd.group_id AND w.device_id = gd.device_id) RETURNING 1), "
      "joined AS (INSERT INTO group_devices (group_id, device_id, source) SELECT group_id, device_id, 'rule' "
      "  FROM want ON CONFLICT DO NOTHING RETURNING 1), "
      "serial AS (INSERT INTO group_devices (group_id, device_id, source) "
      "  SELECT gs.group_id, d.id, 'serial' FROM group_serials gs JOIN devices d ON d.serial_number = gs.serial_number "
      "  ON CONFLICT DO NOTHING RETURNING 1) "
      "SELECT (SELECT count(*) FROM joined), (SELECT count(*) FROM left_), (SELECT count(*) FROM serial)");
  r.rule_joined = rows[0][0].as<long long>();
  r.rule_left = rows[0][1].as<long long>();
  r.serial_joined = rows[0][2].as<long long>();
}

void Desired(Tx& tx) {
  tx.Run(std::string("CREATE TEMP TABLE rc_desired ON COMMIT DROP AS ") + kAncestors +
         "SELECT DISTINCT gd.device_id, 'profile'::text AS kind, p.id AS item_id, p.identifier, p.content_hash, "
         "  p.placeholders FROM group_devices gd " + kEnrolled +
         "JOIN anc ON anc.group_id = gd.group_id JOIN group_profiles gp ON gp.group_id = anc.ancestor_id "
         "JOIN profiles p ON p.id = gp.profile_id "
         "UNION "
         "SELECT DISTINCT gd.device_id, 'app', a.id, a.identifier, NULL, '{}'::text[] FROM group_devices gd " +
         kEnrolled +
         "JOIN anc ON anc.group_id = gd.group_id JOIN group_apps ga ON ga.group_id = anc.ancestor_id "
         "JOIN apps a ON a.id = ga.app_id "
         // An Apps and Books app only once the device's serial number holds a licence for it
         // (mdmcron's licence step, vpp/licences.h, associates them before this runs).
         // Uncorrelated, so PostgreSQL hashes it once (a correlated EXISTS was planned as a nested
         // loop over vpp_licences before its statistics caught up: 17 s for 10,000 devices).
         "WHERE a.vpp_token_id IS NULL OR (gd.device_id, a.id) IN (SELECT dv.id, ap.id FROM vpp_licences l "
         "  JOIN devices dv ON dv.serial_number = l.serial_number "
         "  JOIN apps ap ON ap.vpp_token_id = l.token_id AND ap.itunes_store_id::text = l.adam_id "
         "  WHERE l.state = 'associated')");
  tx.Run("CREATE INDEX ON rc_desired (device_id, kind, item_id)");
}

void Held(Tx& tx, ReconcileReport& r) {
  auto rows = tx.Run(
      "WITH missing AS ("
      "  SELECT d.device_id, d.item_id, d.identifier, string_agg('$$' || n || '$$', ', ' ORDER BY n) AS names "
      "  FROM rc_desired d CROSS JOIN LATERAL unnest(d.placeholders) n "
      "  WHERE NOT EXISTS (SELECT 1 FROM device_params dp WHERE dp.device_id = d.device_id AND dp.name = n) "
      "  GROUP BY 1, 2, 3), "
      "marked AS (INSERT INTO device_deployments (device_id, kind, item_id, identifier, status, detail) "
      "  SELECT device_id, 'profile', item_id, identifier, 'held', 'missing ' || names FROM missing "
      "  ON CONFLICT (device_id, kind, item_id) DO UPDATE SET detail = EXCLUDED.detail, updated_at = now() "
      "    WHERE device_deployments.status = 'held' RETURNING 1) "
      "SELECT device_id || ': ' || identifier || ' (missing ' || names || ')', count(*) OVER () FROM missing "
      "ORDER BY 1 LIMIT 10");
  for (const auto& row : rows) {
    r.held = row[1].as<long long>();
    r.held_examples.push_back(row[0].as<std::string>());
  }
}

// Installs: what is desired and neither sent nor held, one shared command per item, and one per
// device for profiles with placeholders.
void Install(Tx& tx, ReconcileReport& r) {
  tx.Run(
      "CREATE TEMP TABLE rc_needs ON COMMIT DROP AS "
      "SELECT d.* FROM rc_desired d WHERE NOT EXISTS (SELECT 1 FROM device_deployments dd "
      "  WHERE dd.device_id = d.device_id AND dd.kind = d.kind AND dd.item_id = d.item_id "
      "    AND dd.status IN ('pending', 'installed', 'failed') AND dd.content_hash IS NOT DISTINCT FROM d.content_hash) "
      "AND NOT EXISTS (SELECT 1 FROM unnest(d.placeholders) n WHERE NOT EXISTS "
      "  (SELECT 1 FROM device_params dp WHERE dp.device_id = d.device_id AND dp.name = n))");
  NewCommands cmds;
  std::vector<std::string> kinds, items, uuids;  // shared commands: item -> CommandUUID
  auto shared = tx.Run(
      "SELECT n.kind, n.item_id, p.xml, a.identifier, a.itunes_store_id, a.management_flags, "
      "  a.vpp_token_id IS NOT NULL "
      "FROM (SELECT DISTINCT kind, item_id FROM rc_needs WHERE cardinality(placeholders) = 0) n "
      "LEFT JOIN profiles p ON n.kind = 'profile' AND p.id = n.item_id "
      "LEFT JOIN apps a ON n.kind = 'app' AND a.id = n.item_id");
  for (const auto& row : shared) {
    std::string kind = row[0].as<std::string>();
    plist::Owned c = Command(kind == "profile" ? "InstallProfile" : "InstallApplication");
    if (kind == "profile") {
      plist::SetData(c.get(), "Payload", row[2].as<std::string>());
    } else {
      if (!row[4].is_null()) plist::SetInt(c.get(), "iTunesStoreID", row[4].as<long long>());
      else plist::SetString(c.get(), "Identifier", row[3].as<std::string>());
      plist::SetInt(c.get(), "ManagementFlags", row[5].as<int>());
      if (row[6].as<bool>()) {
        // The licence is the device's (its serial number), not an Apple Account's.
        plist_t options = plist_new_dict();
        plist::SetInt(options, "PurchaseMethod", 1);
        plist::Set(c.get(), "Options", options);
      }
    }
    kinds.push_back(kind);
    items.push_back(row[1].as<std::string>());
    uuids.push_back(cmds.Add(c.get()));
  }
  // Profiles with placeholders: filled per device.
  std::vector<std::string> p_devices, p_items, p_uuids;
  auto personal = tx.Run(
      "SELECT n.device_id, n.item_id, p.xml, (SELECT jsonb_object_agg(dp.name, dp.value) FROM device_params dp "
      "  WHERE dp.device_id = n.device_id AND dp.name = ANY (n.placeholders))::text "
      "FROM rc_needs n JOIN profiles p ON p.id = n.item_id WHERE cardinality(n.placeholders) > 0");
  for (const auto& row : personal) {
    // PostgreSQL's own jsonb_object_agg text: a failure here is a bug, not bad input.
    rapidjson::Document params;
    Status parsed = json::Parse(std::string_view(row[3].c_str(), row[3].size()), &params, json::kStoredLimits);
    if (!parsed.ok() || !params.IsObject())
      throw std::runtime_error("the parameters of device " + row[0].as<std::string>() +
                               " read back from the database are not a JSON object" +
                               (parsed.ok() ? std::string() : ": " + parsed.message()));
    plist::Owned c = Command("InstallProfile");
    plist::SetData(c.get(), "Payload", Fill(row[2].as<std::string>(), params));
    p_devices.push_back(row[0].as<std::string>());
    p_items.push_back(row[1].as<std::string>());
    p_uuids.push_back(cmds.Add(c.get()));
  }
  cmds.Insert(tx, 30);
  // Which command each needed (device, item) gets.
  tx.Run(
      "CREATE TEMP TABLE rc_sent ON COMMIT DROP AS "
      "SELECT n.device_id, n.kind, n.item_id, n.identifier, n.content_hash, m.uuid FROM rc_needs n "
      "JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS m(kind, item_id, uuid) "
      "  ON m.kind = n.kind AND m.item_id = n.item_id WHERE cardinality(n.placeholders) = 0 "
      "UNION ALL "
      "SELECT n.device_id, n.kind, n.item_id, n.identifier, n.content_hash, m.uuid FROM rc_needs n "
      "JOIN unnest($4::text[], $5::bigint[], $6::text[]) AS m(device_id, item_id, uuid) "
      "  ON m.device_id = n.device_id AND m.item_id = n.item_id AND n.kind = 'profile'",
      store::TextArray(kinds), store::TextArray(items), store::TextArray(uuids), store::TextArray(p_devices),
      store::TextArray(p_items), store::TextArray(p_uuids));
  auto counts = tx.Run(
      "WITH q AS (INSERT INTO command_queue (enrollment_id, command_uuid) SELECT device_id, uuid FROM rc_sent), "
      "d AS (INSERT INTO device_deployments (device_id, kind, item_id, identifier, content_hash, command_uuid, status) "
      "  SELECT device_id, kind, item_id, identifier, content_hash, uuid, 'pending' FROM rc_sent "
      "  ON CONFLICT (device_id, kind, item_id) DO UPDATE SET content_hash = EXCLUDED.content_hash, "
      "    command_uuid = EXCLUDED.command_uuid, status = 'pending', detail = NULL, updated_at = now()) "
      "SELECT count(*) FILTER (WHERE kind = 'profile'), count(*) FILTER (WHERE kind = 'app') FROM rc_sent");
  r.profiles_installed = counts[0][0].as<long long>();
  r.apps_installed = counts[0][1].as<long long>();
}

// Removals: only what we installed and no group asks for any more (never the MDM profile, which
// we did not install through deployment).
void Remove(Tx& tx, ReconcileReport& r) {
  tx.Run(
      "DELETE FROM device_deployments dd WHERE dd.status IN ('held', 'failed') AND NOT EXISTS "
      "(SELECT 1 FROM rc_desired d WHERE d.device_id = dd.device_id AND d.kind = dd.kind AND d.item_id = dd.item_id)");
  tx.Run(
      "CREATE TEMP TABLE rc_remove ON COMMIT DROP AS "
      "SELECT dd.device_id, dd.kind, dd.item_id, dd.identifier FROM device_deployments dd "
      "JOIN enrollments e ON e.id = dd.device_id AND e.status = 'enrolled' "
      "WHERE dd.status IN ('installed', 'pending') AND NOT EXISTS (SELECT 1 FROM rc_desired d "
      "  WHERE d.device_id = dd.device_id AND d.kind = dd.kind AND d.item_id = dd.item_id)");
  NewCommands cmds;
  std::vector<std::string> kinds, identifiers, uuids;
  for (const auto& row : tx.Run("SELECT DISTINCT kind, identifier FROM rc_remove")) {
    std::string kind = row[0].as<std::string>();
    plist::Owned c = Command(kind == "profile" ? "RemoveProfile" : "RemoveApplication");
    plist::SetString(c.get(), "Identifier", row[1].as<std::string>());
    kinds.push_back(kind);
    identifiers.push_back(row[1].as<std::string>());
    uuids.push_back(cmds.Add(c.get()));
  }
  if (uuids.empty()) return;
  cmds.Insert(tx, 30);
  auto counts = tx.Run(
      "WITH m AS (SELECT r.*, x.uuid FROM rc_remove r JOIN unnest($1::text[], $2::text[], $3::text[]) "
      "  AS x(kind, identifier, uuid) ON x.kind = r.kind AND x.identifier = r.identifier), "
      "q AS (INSERT INTO command_queue (enrollment_id, command_uuid) SELECT device_id, uuid FROM m), "
      "d AS (UPDATE device_deployments dd SET status = 'removing', command_uuid = m.uuid, updated_at = now() FROM m "
      "  WHERE dd.device_id = m.device_id AND dd.kind = m.kind AND dd.item_id = m.item_id) "
      "SELECT count(*) FILTER (WHERE kind = 'profile'), count(*) FILTER (WHERE kind = 'app') FROM m",
      store::TextArray(kinds), store::TextArray(identifiers), store::TextArray(uuids));
  r.profiles_removed = counts[0][0].as<long long>();
  r.apps_removed = counts[0][1].as<long long>();
}

// Queues one shared command for every enrollment in temp table `table` (column id).
long long QueueShared(Tx& tx, const std::string& table, plist_t command, int expires_days) {
  if (tx.Count("SELECT count(*) FROM " + table) == 0) return 0;
  NewCommands cmds;
  std::string uuid = cmds.Add(command);
  cmds.Insert(tx, expires_days);
  return tx.Run("WITH q AS (INSERT INTO command_queue (enrollment_id, command_uuid) SELECT id, $1 FROM " + table +
                " RETURNING 1) SELECT count(*) FROM q",
                uuid)[0][0]
      .as<long long>();
}

void Declarations(Tx& tx, ReconcileReport& r) {
  tx.Run(std::string("CREATE TEMP TABLE rc_decl ON COMMIT DROP AS ") + kAncestors +
         "SELECT DISTINCT gd.device_id AS enrollment_id, gdl.declaration_identifier FROM group_devices gd " + kEnrolled +
         "JOIN anc ON anc.group_id = gd.group_id "
         "JOIN group_declarations gdl ON gdl.group_id = anc.ancestor_id");
  tx.Run(
      "WITH gone AS (DELETE FROM enrollment_declarations ed WHERE NOT EXISTS (SELECT 1 FROM rc_decl d "
      "  WHERE d.enrollment_id = ed.enrollment_id AND d.declaration_identifier = ed.declaration_identifier) "
      "  RETURNING 1) "
      "INSERT INTO enrollment_declarations SELECT enrollment_id, declaration_identifier FROM rc_decl "
      "ON CONFLICT DO NOTHING");
  // The same token the DeclarativeManagement check-in serves; a change means the device must sync.
  tx.Run(
      "CREATE TEMP TABLE rc_ddm ON COMMIT DROP AS "
      "SELECT t.id, t.token FROM (SELECT e.id, e.declarations_token, encode(sha256(convert_to(coalesce(string_agg("
      "    d.identifier || ':' || d.server_token, ',' ORDER BY d.identifier), ''), 'UTF8')), 'hex') AS token "
      "  FROM enrollments e LEFT JOIN enrollment_declarations ed ON ed.enrollment_id = e.id "
      "  LEFT JOIN declarations d ON d.identifier = ed.declaration_identifier "
      "  WHERE e.status = 'enrolled' AND e.channel = 'device' GROUP BY e.id) t "
      "WHERE t.token <> coalesce(t.declarations_token, encode(sha256(''::bytea), 'hex'))");
  plist::Owned c = Command("DeclarativeManagement");
  r.declarations_notified = QueueShared(tx, "rc_ddm", c.get(), 30);
  if (r.declarations_notified)
    tx.Run("UPDATE enrollments e SET declarations_token = d.token FROM rc_ddm d WHERE e.id = d.id");
}

void Inventory(Tx& tx, ReconcileReport& r, int interval_seconds) {
  tx.Run(
      "CREATE TEMP TABLE rc_inv ON COMMIT DROP AS "
      "SELECT e.id FROM enrollments e JOIN devices d ON d.id = e.id "
      "WHERE e.channel = 'device' AND e.status = 'enrolled' "
      "  AND coalesce(d.device_information_at, '-infinity') < now() - make_interval(secs => $1) "
      "  AND NOT EXISTS (SELECT 1 FROM command_queue q JOIN commands c USING (command_uuid) "
      "    WHERE q.enrollment_id = e.id AND q.status IN ('Pending', 'NotNow') AND c.request_type = 'DeviceInformation')",
      static_cast<double>(interval_seconds));
  plist::Owned info = Command("DeviceInformation");
  plist_t queries = plist_new_array();
  for (const char* q : {"DeviceName", "Model", "ModelName", "ProductName", "OSVersion", "BuildVersion", "SerialNumber",
                        "UDID", "IMEI", "MEID", "DeviceCapacity", "AvailableDeviceCapacity", "BatteryLevel",
                        "IsSupervised", "WiFiMAC", "BluetoothMAC"})
    plist_array_append_item(queries, plist::NewString(q));
  plist::Set(info.get(), "Queries", queries);
  r.inventory_queued = QueueShared(tx, "rc_inv", info.get(), 2);
  if (!r.inventory_queued) return;
  for (const char* type : {"SecurityInfo", "ProfileList", "InstalledApplicationList"}) {
    plist::Owned c = Command(type);
    r.inventory_queued += QueueShared(tx, "rc_inv", c.get(), 2);
  }
}

void DeviceConfigured(Tx& tx, ReconcileReport& r) {
  // ADE devices wait in Setup Assistant until every profile meant for them was answered.
  tx.Run(
      "CREATE TEMP TABLE rc_conf ON COMMIT DROP AS "
      "SELECT e.id FROM enrollments e WHERE e.channel = 'device' AND e.status = 'enrolled' "
      "  AND e.awaiting_configuration AND e.device_configured_at IS NULL "
      "  AND NOT EXISTS (SELECT 1 FROM rc_desired d WHERE d.device_id = e.id AND NOT EXISTS ("
      "    SELECT 1 FROM device_deployments dd WHERE dd.device_id = d.device_id AND dd.kind = d.kind "
      "      AND dd.item_id = d.item_id AND dd.status IN ('installed', 'held', 'failed') "
      "      AND (dd.status <> 'installed' OR dd.content_hash IS NOT DISTINCT FROM d.content_hash)))");
  plist::Owned c = Command("DeviceConfigured");
  r.device_configured = QueueShared(tx, "rc_conf", c.get(), 30);
  if (r.device_configured)
    tx.Run("UPDATE enrollments e SET device_configured_at = now() FROM rc_conf c WHERE e.id = c.id");
}

void Housekeeping(Tx& tx, ReconcileReport& r, int keep_days) {
  r.expired = tx.Run(
                    "WITH x AS (UPDATE command_queue q SET status = 'Expired', result_at = now() FROM commands c "
                    "  WHERE c.command_uuid = q.command_uuid AND q.status IN ('Pending', 'NotNow') "
                    "    AND c.expires_at < now() RETURNING 1) SELECT count(*) FROM x")[0][0]
                  .as<long long>();
  r.deleted = tx.Run(
                    "WITH x AS (DELETE FROM command_queue WHERE status NOT IN ('Pending', 'NotNow') "
                    "  AND coalesce(result_at, created_at) < now() - make_interval(days => $1) RETURNING 1) "
                    "SELECT count(*) FROM x",
                    keep_days)[0][0]
                  .as<long long>();
  tx.Run(
      "DELETE FROM commands c WHERE c.created_at < now() - make_interval(days => $1) "
      "AND NOT EXISTS (SELECT 1 FROM command_queue q WHERE q.command_uuid = c.command_uuid)",
      keep_days);
}

}  // namespace

Result<ReconcileReport> Reconcile(pqxx::connection& conn, const ReconcileOptions& options) {
  ReconcileReport r;
  Tx tx(conn, r);
  SettleDeployments(tx);
  Membership(tx, r);
  Desired(tx);
  Held(tx, r);
  Install(tx, r);
  Remove(tx, r);
  Declarations(tx, r);
  Inventory(tx, r, options.inventory_interval_seconds);
  DeviceConfigured(tx, r);
  Housekeeping(tx, r, options.keep_finished_days);
  tx.Commit();
  return r;
}

}  // namespace mdm::deploy
