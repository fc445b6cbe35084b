#include "store/device_reads.h"

#include <cctype>

#include "store/sql_util.h"

namespace mdm::store {

std::string DeviceListJson(pqxx::transaction_base& tx) {
  return Exec(tx, "read_device_list",
              "SELECT coalesce(jsonb_agg(jsonb_build_object("
              "  'id', d.id, 'serial_number', d.serial_number, 'device_name', d.device_name, "
              "  'model', coalesce(d.model_name, d.product_name, d.model), 'os_version', d.os_version, "
              "  'status', e.status, 'last_seen_at', e.last_seen_at, 'imported_not_seen', e.bind_on_contact, "
              "  'pending_commands', coalesce(p.n, 0)) ORDER BY d.id), '[]'::jsonb)::text "
              "FROM devices d JOIN enrollments e ON e.id = d.id "
              "LEFT JOIN (SELECT enrollment_id, count(*) AS n FROM command_queue "
              "  WHERE status IN ('Pending', 'NotNow') GROUP BY enrollment_id) p ON p.enrollment_id = d.id")[0][0]
      .as<std::string>();
}

std::optional<std::string> DeviceJson(pqxx::transaction_base& tx, const std::string& device_id) {
  auto r = Exec(
      tx, "read_device",
      "SELECT jsonb_build_object("
      "  'device', to_jsonb(d) - 'device_information' - 'security_info', "
      "  'device_information', d.device_information, "
      "  'security_info', d.security_info, "
      "  'enrollments', (SELECT coalesce(jsonb_agg(jsonb_build_object("
      "      'id', e.id, 'channel', e.channel, 'kind', e.kind, 'status', e.status, 'topic', e.topic, "
      "      'user_short_name', e.user_short_name, 'has_push_token', e.push_token IS NOT NULL, "
      "      'awaiting_configuration', e.awaiting_configuration, 'token_update_count', e.token_update_count, "
      "      'authenticated_at', e.authenticated_at, 'token_updated_at', e.token_updated_at, "
      "      'checked_out_at', e.checked_out_at, 'last_seen_at', e.last_seen_at, "
      "      'imported_not_seen', e.bind_on_contact) ORDER BY e.channel, e.id), "
      "    '[]'::jsonb) FROM enrollments e WHERE e.device_id = d.id), "
      "  'queue', (SELECT coalesce(jsonb_agg(jsonb_build_object("
      "      'enrollment_id', q.enrollment_id, 'command_uuid', q.command_uuid, 'request_type', c.request_type, "
      "      'status', q.status, 'priority', q.priority, 'sent_count', q.sent_count, "
      "      'created_at', q.created_at) ORDER BY q.priority DESC, q.seq), '[]'::jsonb) "
      "    FROM command_queue q JOIN commands c USING (command_uuid) JOIN enrollments e ON e.id = q.enrollment_id "
      "    WHERE e.device_id = d.id AND q.status IN ('Pending', 'NotNow')), "
      "  'recent_results', (SELECT coalesce(jsonb_agg(x ORDER BY x->>'result_at' DESC), '[]'::jsonb) FROM ("
      "      SELECT jsonb_build_object('enrollment_id', q.enrollment_id, 'command_uuid', q.command_uuid, "
      "        'request_type', c.request_type, 'status', q.status, 'result_at', q.result_at, "
      "        'error_chain', q.error_chain) AS x "
      "      FROM command_queue q JOIN commands c USING (command_uuid) JOIN enrollments e ON e.id = q.enrollment_id "
      "      WHERE e.device_id = d.id AND q.result_at IS NOT NULL AND q.status NOT IN ('Pending', 'NotNow') "
      "      ORDER BY q.result_at DESC LIMIT 20) t), "
      "  'profiles', (SELECT coalesce(jsonb_agg(jsonb_build_object('enrollment_id', p.enrollment_id, "
      "      'identifier', p.payload_identifier, 'display_name', p.display_name, 'uuid', p.payload_uuid, "
      "      'is_managed', p.is_managed) ORDER BY p.payload_identifier), '[]'::jsonb) "
      "    FROM device_profiles p WHERE p.device_id = d.id), "
      "  'apps', (SELECT coalesce(jsonb_agg(jsonb_build_object('identifier', a.identifier, 'name', a.name, "
      "      'version', a.short_version, 'build', a.version) ORDER BY a.identifier), '[]'::jsonb) "
      "    FROM device_apps a WHERE a.device_id = d.id), "
      "  'certificates', (SELECT coalesce(jsonb_agg(jsonb_build_object('common_name', c.common_name, "
      "      'is_identity', c.is_identity, 'sha256', encode(c.sha256, 'hex')) ORDER BY c.common_name), '[]'::jsonb) "
      "    FROM device_certificates c WHERE c.device_id = d.id), "
      "  'deployments', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', x.kind, 'identifier', x.identifier, "
      "      'status', x.status, 'detail', x.detail, 'updated_at', x.updated_at) ORDER BY x.kind, x.identifier), "
      "    '[]'::jsonb) FROM device_deployments x WHERE x.device_id = d.id), "
      "  'params', (SELECT coalesce(jsonb_object_agg(p.name, p.value), '{}'::jsonb) FROM device_params p "
      "    WHERE p.device_id = d.id), "
      // Apps and Books licences of its serial number, with Apple's reason when one was refused.
      "  'vpp_licences', (SELECT coalesce(jsonb_agg(jsonb_build_object('location', t.location_name, "
      "      'adam_id', l.adam_id, 'app', (SELECT a.identifier FROM apps a WHERE a.vpp_token_id = l.token_id "
      "        AND a.itunes_store_id::text = l.adam_id LIMIT 1), 'state', l.state, 'error_number', l.error_number, "
      "      'detail', l.detail, 'updated_at', l.updated_at) ORDER BY l.adam_id), '[]'::jsonb) "
      "    FROM vpp_licences l JOIN vpp_tokens t ON t.id = l.token_id "
      "    WHERE d.serial_number IS NOT NULL AND l.serial_number = d.serial_number), "
      "  'declarative_status', (SELECT s.report FROM declarative_status_reports s JOIN enrollments e "
      "      ON e.id = s.enrollment_id WHERE e.device_id = d.id ORDER BY s.id DESC LIMIT 1)"
      ")::text FROM devices d WHERE d.id = $1",
      device_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<std::string> CommandJson(pqxx::transaction_base& tx, const std::string& command_uuid, bool with_body) {
  auto r = Exec(tx, "read_command",
                "SELECT jsonb_build_object('command_uuid', c.command_uuid, 'request_type', c.request_type, "
                "  'source', c.source, 'created_at', c.created_at, 'expires_at', c.expires_at, "
                "  'body', CASE WHEN $2 THEN translate(encode(c.body, 'base64'), E'\\n', '') END, "
                "  'enrollments', (SELECT coalesce(jsonb_agg(jsonb_build_object("
                "      'enrollment_id', q.enrollment_id, 'status', q.status, 'priority', q.priority, "
                "      'sent_count', q.sent_count, 'not_now_count', q.not_now_count, 'queued_at', q.created_at, "
                "      'last_sent_at', q.last_sent_at, 'result_at', q.result_at, 'error_chain', q.error_chain, "
                "      'result', q.result) ORDER BY q.enrollment_id), '[]'::jsonb) "
                "    FROM command_queue q WHERE q.command_uuid = c.command_uuid))::text "
                "FROM commands c WHERE c.command_uuid = $1",
                command_uuid, with_body);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<std::string> CommandHistoryJson(pqxx::transaction_base& tx, const CommandHistoryQuery& q) {
  // The primary key (enrollment_id, command_uuid) finds the enrollment's rows (its history, which
  // mdmcron trims to --keep-days) and a top-N sort on seq (the order they were queued) picks the
  // page; only the page's rows are joined to commands. One row past the page says whether
  // another page follows.
  auto r = Exec(tx, "read_command_history",
                "WITH page AS ("
                "  SELECT q.seq, q.command_uuid, q.status, q.priority, q.sent_count, q.created_at, q.last_sent_at, "
                "    q.result_at, q.error_chain "
                "  FROM command_queue q "
                "  WHERE q.enrollment_id = $1 AND ($2::text IS NULL OR q.status = $2::text) "
                "  ORDER BY q.seq DESC LIMIT $3::bigint + 1 OFFSET $4::bigint"
                ") "
                "SELECT jsonb_build_object('enrollment_id', e.id, 'device_id', e.device_id, 'status_filter', $2::text, "
                "  'limit', $3::bigint, 'offset', $4::bigint, "
                "  'more', (SELECT count(*) FROM page) > $3::bigint, "
                "  'commands', (SELECT coalesce(jsonb_agg(jsonb_build_object("
                "      'command_uuid', p.command_uuid, 'request_type', c.request_type, 'source', c.source, "
                "      'status', p.status, 'priority', p.priority, 'sent_count', p.sent_count, "
                "      'queued_at', p.created_at, 'last_sent_at', p.last_sent_at, 'result_at', p.result_at, "
                "      'error_chain', p.error_chain) ORDER BY p.seq DESC), '[]'::jsonb) "
                "    FROM (SELECT * FROM page ORDER BY seq DESC LIMIT $3::bigint) p "
                "    JOIN commands c USING (command_uuid)))::text "
                "FROM enrollments e WHERE e.id = $1",
                q.enrollment_id, Nullable(q.status), q.limit, q.offset);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

bool EnrollmentExists(pqxx::transaction_base& tx, const std::string& enrollment_id) {
  return !Exec(tx, "read_enrollment_exists", "SELECT 1 FROM enrollments WHERE id = $1", enrollment_id).empty();
}

namespace {

// The text the device list searches (the expression of the index devices_search).
constexpr const char* kSearchText =
    "lower(coalesce(d.serial_number, '') || ' ' || coalesce(d.device_name, '') || ' ' || d.id || ' ' || "
    "coalesce(d.model, '') || ' ' || coalesce(d.model_name, '') || ' ' || coalesce(d.product_name, '') || ' ' || "
    "coalesce(d.os_version, ''))";

// ORDER BY for a sort key, matching its index forwards or backwards: the key, then the ID.
std::string DeviceOrder(const std::string& key, bool descending) {
  struct Key {
    const char* name;
    const char* expr;
    const char* id;
    bool index_descending;  // the index's own direction (nulls last in it)
  };
  static const Key kKeys[] = {
      {"serial_number", "d.serial_number", "d.id", false},
      {"device_name", "d.device_name", "d.id", false},
      {"os_version", "d.os_version", "d.id", false},
      {"model", "coalesce(d.model_name, d.product_name, d.model)", "d.id", false},
      {"status", "e.status", "e.id", false},
      {"last_seen_at", "e.last_seen_at", "e.id", true},
  };
  const Key* k = &kKeys[5];
  for (const auto& c : kKeys)
    if (key == c.name) k = &c;
  // Forwards the index gives its direction with nulls last; backwards, the reverse with nulls first.
  bool forwards = descending == k->index_descending;
  std::string dir = descending ? " DESC" : " ASC";
  return std::string(k->expr) + dir + (forwards ? " NULLS LAST, " : " NULLS FIRST, ") + k->id + dir;
}

}  // namespace

std::string DevicePageJson(pqxx::transaction_base& tx, const DevicePageQuery& q) {
  // The sort key is one of a fixed list, so it may be part of the statement; the search is a
  // parameter, its LIKE wildcards escaped. Without a search the page and the count are separate, so the page
  // walks the sort key's index and stops after `limit` rows. Planned with its values each time:
  // the connections prefer generic plans (plan_cache_mode), and a generic plan could neither use
  // the trigram index for a pattern it does not know nor see how few rows a page needs, so the
  // values are in the text (the pattern quoted by libpq, the numbers are numbers).
  std::string order = DeviceOrder(q.sort, q.descending);
  std::string pattern = "%";
  for (char c : q.search) {
    if (c == '\\' || c == '%' || c == '_') pattern += '\\';
    pattern += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  pattern += '%';
  const bool all = q.search.empty();
  std::string matches, from = "devices d", total = "(SELECT count(*) FROM enrollments WHERE channel = 'device')";
  if (!all) {
    // The devices whose text matches (its trigram index) and the members of the groups whose
    // name matches, found once: the page sorts only those, and the total counts them.
    const std::string like = " LIKE " + tx.quote(pattern);
    matches = "m AS MATERIALIZED (SELECT d.id FROM devices d WHERE " + std::string(kSearchText) + like +
              " UNION SELECT gd.device_id FROM group_devices gd JOIN groups g ON g.id = gd.group_id "
              "WHERE lower(g.name)" + like + "), ";
    from = "m JOIN devices d ON d.id = m.id";
    total = "(SELECT count(*) FROM m)";
  }
  std::string sql =
      "WITH " + matches + "page AS ("
      "  SELECT d.id, d.serial_number, d.device_name, coalesce(d.model_name, d.product_name, d.model) AS model, "
      "    d.os_version, e.status, e.last_seen_at, e.bind_on_contact "
      "  FROM " + from + " JOIN enrollments e ON e.id = d.id AND e.channel = 'device' "
      "  ORDER BY " + order + " LIMIT " + std::to_string(q.limit) + " OFFSET " +
      std::to_string(q.offset) +
      ") "
      "SELECT jsonb_build_object('total', " + total + ", 'limit', " + std::to_string(q.limit) + ", 'offset', " +
      std::to_string(q.offset) + ", "
      "  'devices', coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'serial_number', p.serial_number, "
      "    'device_name', p.device_name, 'model', p.model, 'os_version', p.os_version, 'status', p.status, "
      "    'last_seen_at', p.last_seen_at, 'imported_not_seen', p.bind_on_contact, "
      "    'pending_commands', (SELECT count(*) FROM command_queue c WHERE c.enrollment_id = p.id "
      "      AND c.status IN ('Pending', 'NotNow'))) ORDER BY n) "
      "    FROM (SELECT page.*, row_number() OVER () AS n FROM page) p), '[]'::jsonb))::text";
  return tx.exec(sql)[0][0].as<std::string>();
}

std::string DepDevicePageJson(pqxx::transaction_base& tx, const DevicePageQuery& q) {
  // Not enrolled: no device with this serial number holds an enrolled device channel. The list is
  // the size of the organisation's ABM account at most, so a plain filter serves.
  std::string pattern = "%";
  for (char c : q.search) {
    if (c == '\\' || c == '%' || c == '_') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return Exec(tx, "read_dep_page",
              "WITH waiting AS ("
              "  SELECT x.* FROM dep_devices x WHERE x.deleted_at IS NULL "
              "  AND NOT EXISTS (SELECT 1 FROM devices d JOIN enrollments e ON e.device_id = d.id "
              "    AND e.channel = 'device' AND e.status = 'enrolled' WHERE d.serial_number = x.serial_number) "
              "  AND ($1 = '%%' OR concat_ws(' ', x.serial_number, x.model, x.description, x.os, x.device_family, "
              "    x.asset_tag) ILIKE $1)) "
              "SELECT jsonb_build_object('total', (SELECT count(*) FROM waiting), 'limit', $2::bigint, "
              "  'offset', $3::bigint, 'devices', coalesce((SELECT jsonb_agg(jsonb_build_object("
              "    'serial_number', p.serial_number, 'model', p.model, 'description', p.description, "
              "    'color', p.color, 'asset_tag', p.asset_tag, 'os', p.os, 'device_family', p.device_family, "
              "    'profile_status', p.profile_status, 'op_type', p.op_type, 'op_date', p.op_date, "
              "    'source', p.source) ORDER BY p.serial_number) "
              "    FROM (SELECT * FROM waiting ORDER BY serial_number LIMIT $2 OFFSET $3) p), '[]'::jsonb))::text",
              pattern, q.limit, q.offset)[0][0]
      .as<std::string>();
}

std::string DashboardJson(pqxx::transaction_base& tx, const std::string& expiries_json) {
  return Exec(tx, "read_dashboard",
              "SELECT jsonb_build_object("
              "  'devices_total', (SELECT count(*) FROM devices), "
              "  'devices_by_status', (SELECT coalesce(jsonb_object_agg(s, n), '{}'::jsonb) FROM ("
              "    SELECT CASE WHEN bind_on_contact THEN 'imported' ELSE status END AS s, count(*) AS n "
              "    FROM enrollments WHERE channel = 'device' GROUP BY 1) x), "
              "  'devices_by_os', (SELECT coalesce(jsonb_object_agg(o, n), '{}'::jsonb) FROM ("
              "    SELECT coalesce(os_version, 'unknown') AS o, count(*) AS n FROM devices GROUP BY 1) x), "
              "  'not_seen_7d', (SELECT count(*) FROM enrollments WHERE channel = 'device' AND status = 'enrolled' "
              "    AND (last_seen_at IS NULL OR last_seen_at < now() - interval '7 days')), "
              "  'not_seen_30d', (SELECT count(*) FROM enrollments WHERE channel = 'device' AND status = 'enrolled' "
              "    AND (last_seen_at IS NULL OR last_seen_at < now() - interval '30 days')), "
              "  'commands_pending', (SELECT count(*) FROM command_queue WHERE status IN ('Pending', 'NotNow')), "
              "  'commands_failed', (SELECT count(*) FROM command_queue WHERE status IN ('Error', 'CommandFormatError') "
              "    AND result_at > now() - interval '7 days'), "
              "  'cron_runs', (SELECT coalesce(jsonb_agg(jsonb_build_object('verb', verb, 'ended_at', finished_at, "
              "    'duration_ms', duration_ms, 'exit_status', exit_status, 'summary', summary) ORDER BY verb), "
              "    '[]'::jsonb) FROM cron_runs), "
              "  'expiries', $1::jsonb)::text",
              expiries_json)[0][0]
      .as<std::string>();
}

}  // namespace mdm::store
