#include "deploy/catalog.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.h"
#include "enroll/profile.h"
#include "json/json.h"
#include "plist/property_list.h"
#include "store/settings.h"
#include "store/sql_util.h"

namespace mdm::deploy {
namespace {

// Runs an action in a transaction of its own, committed when it succeeded.
template <class Fn>
auto Committed(pqxx::connection& conn, Fn&& fn) {
  pqxx::work tx(conn);
  auto r = fn(tx);
  if (r.ok()) tx.commit();
  return r;
}

using store::Exec;
using store::TextArray;

// "no device 'a'" or "no devices 'a', 'b'", with the verb that lists them.
Status Missing(const std::string& noun, const std::vector<std::string>& names) {
  std::string quoted;
  for (const auto& n : names) quoted += (quoted.empty() ? "'" : ", '") + n + "'";
  return Status::NotFound("no " + noun + (names.size() > 1 ? "s " : " ") + quoted + " (see mdm-console " + noun +
                          " list)");
}

std::vector<std::string> Column(const pqxx::result& r) {
  std::vector<std::string> out;
  for (const auto& row : r) out.push_back(row[0].as<std::string>());
  return out;
}

// The group's id as text (it travels back as a parameter), or nullopt.
std::optional<std::string> GroupId(pqxx::transaction_base& tx, const std::string& name) {
  auto r = Exec(tx, "deploy_group_id", "SELECT id FROM groups WHERE name = $1", name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

Status MissingGroups(pqxx::transaction_base& tx, const std::vector<std::string>& names) {
  auto r = Exec(tx, "deploy_missing_groups",
                "SELECT n FROM unnest($1::text[]) WITH ORDINALITY u(n, i) "
                "WHERE NOT EXISTS (SELECT 1 FROM groups g WHERE g.name = u.n) ORDER BY i",
                TextArray(names));
  return r.empty() ? Status::Ok() : Missing("group", Column(r));
}

Status MissingDevices(pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  auto r = Exec(tx, "deploy_missing_devices",
                "SELECT n FROM unnest($1::text[]) WITH ORDINALITY u(n, i) "
                "WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = u.n) ORDER BY i",
                TextArray(ids));
  return r.empty() ? Status::Ok() : Missing("device", Column(r));
}

Status CheckGroupName(const std::string& name) {
  if (name.empty()) return Status::Invalid("a group needs a name");
  if (name[0] == '-') return Status::Invalid("a group name cannot start with '-' (it would read as an option)");
  if (plist::ValidUtf8(name) != name) return Status::Invalid("a group name must be UTF-8 text");
  return Status::Ok();
}

// "17", "17.4", "17.4.1" as numbers; nullopt for anything else. Compared as PostgreSQL compares
// the int[] mdmcron makes of them (17 < 17.0), and small enough for its int cast.
std::optional<std::vector<int>> Version(std::string_view s) {
  std::vector<int> parts(1, 0);
  size_t digits = 0;
  for (char c : s) {
    if (c == '.' && digits > 0 && parts.size() < 3) {
      parts.push_back(0);
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 6) {
      parts.back() = parts.back() * 10 + (c - '0');
      ++digits;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0) return std::nullopt;
  return parts;
}

// PostgreSQL refuses a LIKE pattern that ends in its escape character, and mdmcron would fail
// on it for every group; an even run of backslashes is escaped backslashes.
bool EndsInLoneEscape(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && s[s.size() - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

Status CheckRule(const std::string& rule) {
  rapidjson::Document d;
  if (Status s = json::Parse(rule, &d); !s.ok())
    return Status::Invalid("the rule is not a JSON object (" + s.message() +
                           "): give one such as {\"model\": \"iPad%\", \"os_min\": \"17.0\"}");
  if (!d.IsObject())
    return Status::Invalid("the rule is not a JSON object such as {\"model\": \"iPad%\", \"os_min\": \"17.0\"}");
  if (d.MemberCount() == 0)
    return Status::Invalid("the rule names nothing: give model, product, os_min or os_max (or 'none' to clear it)");
  std::set<std::string> seen;
  for (const auto& m : d.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (key != "model" && key != "product" && key != "os_min" && key != "os_max")
      return Status::Invalid("unknown key '" + key + "' in the rule (it takes model, product, os_min, os_max)");
    if (!seen.insert(key).second) return Status::Invalid("the rule names '" + key + "' twice");
    if (!m.value.IsString() || m.value.GetStringLength() == 0)
      return Status::Invalid("'" + key + "' in the rule must be a non-empty string");
    std::string value(m.value.GetString(), m.value.GetStringLength());
    if (key.rfind("os_", 0) == 0 && !Version(value))
      return Status::Invalid("'" + key + "' in the rule must be a dotted version such as 17.0 or 18.4.1, not '" +
                             value + "'");
    if (key.rfind("os_", 0) != 0 && EndsInLoneEscape(value))
      return Status::Invalid("the " + key + " pattern ends in a lone backslash (an escape with nothing to escape)");
  }
  if (d.HasMember("os_min") && d.HasMember("os_max") &&
      *Version(d["os_min"].GetString()) > *Version(d["os_max"].GetString()))
    return Status::Invalid(std::string("os_min ") + d["os_min"].GetString() + " is above os_max " +
                           d["os_max"].GetString() + ": no device would match");
  return Status::Ok();
}

Result<std::string> FindGroup(pqxx::transaction_base& tx, const std::string& group) {
  auto id = GroupId(tx, group);
  if (!id) return Missing("group", {group});
  return *id;
}

// Non-empty, and every character passes `ok`.
template <class Pred>
bool MadeOf(const std::string& s, Pred ok) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return ok(static_cast<unsigned char>(c)); });
}

// Serial numbers as devices report them: letters and digits, upper case.
Result<std::vector<std::string>> NormalizeSerials(const std::vector<std::string>& serials) {
  std::vector<std::string> out;
  for (std::string s : serials) {
    if (!MadeOf(s, [](unsigned char c) { return std::isalnum(c); }))
      return Status::Invalid("'" + s + "' is not a serial number (letters and digits)");
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(std::move(s));
  }
  return out;
}

// What the three kinds of catalog items share: a table keyed by `identifier`, and a link table
// to groups on `key` (a bigserial id, or the identifier for declarations).
struct KindInfo {
  std::string noun, table, key, link_table, link_column;
};

const KindInfo& Info(Kind kind) {
  static const KindInfo kinds[] = {
      {"profile", "profiles", "id", "group_profiles", "profile_id"},
      {"app", "apps", "id", "group_apps", "app_id"},
      {"declaration", "declarations", "identifier", "group_declarations", "declaration_identifier"},
  };
  return kinds[static_cast<int>(kind)];
}

bool ItemExists(pqxx::transaction_base& tx, const KindInfo& k, const std::string& identifier) {
  std::string sql = "SELECT 1 FROM " + k.table + " WHERE identifier = $1";
  return !Exec(tx, ("deploy_exists_" + k.noun).c_str(), sql.c_str(), identifier).empty();
}

// Checks the item and the groups, then runs `sql` ($1 identifier, $2 group names).
Result<size_t> ChangeAssignments(pqxx::transaction_base& tx, Kind kind, const std::string& identifier,
                                 const std::vector<std::string>& groups, const std::string& statement,
                                 const std::string& sql) {
  const KindInfo& k = Info(kind);
  if (!ItemExists(tx, k, identifier)) return Missing(k.noun, {identifier});
  if (Status s = MissingGroups(tx, groups); !s.ok()) return s;
  auto r = Exec(tx, statement.c_str(), sql.c_str(), identifier, TextArray(groups));
  return r.size();
}



void WriteCanonical(rapidjson::Writer<rapidjson::StringBuffer>& w, const rapidjson::Value& v) {
  if (v.IsObject()) {
    std::vector<const rapidjson::Value::Member*> members;
    for (const auto& m : v.GetObject()) members.push_back(&m);
    auto name = [](const rapidjson::Value::Member* m) {
      return std::string_view(m->name.GetString(), m->name.GetStringLength());
    };
    std::sort(members.begin(), members.end(), [&](auto* a, auto* b) { return name(a) < name(b); });
    w.StartObject();
    for (const auto* m : members) {
      w.Key(m->name.GetString(), m->name.GetStringLength());
      WriteCanonical(w, m->value);
    }
    w.EndObject();
  } else if (v.IsArray()) {
    w.StartArray();
    for (const auto& item : v.GetArray()) WriteCanonical(w, item);
    w.EndArray();
  } else {
    v.Accept(w);
  }
}

// Keys sorted at every level, no whitespace: equal declarations give equal text.
std::string CanonicalJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  WriteCanonical(w, v);
  return std::string(buf.GetString(), buf.GetSize());
}

bool IsDeclarationType(const std::string& type) {
  for (const char* prefix : {"com.apple.activation.", "com.apple.configuration.", "com.apple.asset.",
                             "com.apple.management."}) {
    std::string_view p(prefix);
    if (type.size() > p.size() && type.compare(0, p.size(), p) == 0) return true;
  }
  return false;
}

bool IsBundleIdentifier(const std::string& id) {
  return MadeOf(id, [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; });
}

// The names ReadProfile finds between $$ and $$.
bool IsParamName(const std::string& name) {
  return MadeOf(name, [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
}

// The groups of item row `i`, as a JSON array of names.
std::string GroupsOf(const KindInfo& k) {
  return "(SELECT coalesce(jsonb_agg(g.name ORDER BY g.name), '[]'::jsonb) FROM " + k.link_table +
         " l JOIN groups g ON g.id = l.group_id WHERE l." + k.link_column + " = i." + k.key + ")";
}

std::string ProfileObject() {
  return "'identifier', i.identifier, 'display_name', i.display_name, 'payload_uuid', i.payload_uuid, "
         "'version', i.version, 'signer', i.signer, 'placeholders', to_jsonb(i.placeholders), "
         "'content_hash', i.content_hash, 'updated_at', i.updated_at, 'groups', " +
         GroupsOf(Info(Kind::kProfile)) +
         ", 'deployments', (SELECT jsonb_build_object('installed', count(*) FILTER (WHERE status = 'installed'), "
         "  'pending', count(*) FILTER (WHERE status = 'pending'), 'failed', count(*) FILTER (WHERE status = 'failed'), "
         "  'held', count(*) FILTER (WHERE status = 'held'), 'removing', count(*) FILTER (WHERE status = 'removing')) "
         "  FROM device_deployments x WHERE x.kind = 'profile' AND x.item_id = i.id)";
}

}  // namespace

// --- groups --------------------------------------------------------------------------------

Status CreateGroup(pqxx::transaction_base& tx, const std::string& name, const std::string& parent) {
  if (Status s = CheckGroupName(name); !s.ok()) return s;
  std::optional<std::string> parent_id;
  if (!parent.empty() && !(parent_id = GroupId(tx, parent)))
    return Status::NotFound("no parent group '" + parent + "' (see mdm-console group list)");
  auto r = Exec(tx, "deploy_group_create",
                "INSERT INTO groups (name, parent_id) VALUES ($1, $2::bigint) "
                "ON CONFLICT (name) DO NOTHING RETURNING id",
                name, store::Nullable(parent_id));
  if (r.empty()) return Status::Conflict("a group named '" + name + "' already exists");
  return Status::Ok();
}

Status CreateGroup(pqxx::connection& conn, const std::string& name, const std::string& parent) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return CreateGroup(tx, name, parent); });
}


Status DeleteGroup(pqxx::connection& conn, const std::string& name) {
  pqxx::work tx(conn);
  // FOR UPDATE: a child created meanwhile waits for us, then fails on its foreign key.
  auto r = Exec(tx, "deploy_group_delete_check",
                "SELECT g.id, (SELECT string_agg(c.name, ', ' ORDER BY c.name) FROM groups c "
                "  WHERE c.parent_id = g.id) FROM groups g WHERE g.name = $1 FOR UPDATE",
                name);
  if (r.empty()) return Missing("group", {name});
  if (!r[0][1].is_null())
    return Status::Conflict("group '" + name + "' has child groups (" + r[0][1].as<std::string>() +
                            "): delete them or move them elsewhere first");
  Exec(tx, "deploy_group_delete", "DELETE FROM groups WHERE id = $1", r[0][0].as<std::string>());
  tx.commit();
  return Status::Ok();
}

Status SetGroupParent(pqxx::connection& conn, const std::string& name, const std::string& parent) {
  pqxx::work tx(conn);
  // Two moves at once could each pass the cycle check and together close a loop: one at a time.
  tx.exec0("LOCK TABLE groups IN SHARE ROW EXCLUSIVE MODE");
  auto id = GroupId(tx, name);
  if (!id) return Missing("group", {name});
  std::optional<std::string> parent_id;
  if (!parent.empty()) {
    if (!(parent_id = GroupId(tx, parent)))
      return Status::NotFound("no parent group '" + parent + "' (see mdm-console group list)");
    if (*parent_id == *id) return Status::Invalid("a group cannot be its own parent");
    auto loop = Exec(tx, "deploy_group_cycle",
                     "WITH RECURSIVE up(id, parent_id) AS ("
                     "  SELECT id, parent_id FROM groups WHERE id = $2::bigint "
                     "  UNION SELECT g.id, g.parent_id FROM groups g JOIN up ON g.id = up.parent_id) "
                     "SELECT 1 FROM up WHERE id = $1::bigint",
                     *id, *parent_id);
    if (!loop.empty())
      return Status::Invalid("'" + parent + "' is inside '" + name + "': putting '" + name +
                             "' under it would make a cycle");
  }
  Exec(tx, "deploy_group_set_parent", "UPDATE groups SET parent_id = $2::bigint, updated_at = now() WHERE id = $1",
       *id, store::Nullable(parent_id));
  tx.commit();
  return Status::Ok();
}

Status SetGroupRule(pqxx::connection& conn, const std::string& name, const std::string& rule) {
  bool clear = rule.empty() || rule == "none";
  if (!clear)
    if (Status s = CheckRule(rule); !s.ok()) return s;
  pqxx::work tx(conn);
  auto r = Exec(tx, "deploy_group_set_rule",
                "UPDATE groups SET rule = $2::jsonb, updated_at = now() WHERE name = $1 RETURNING id", name,
                clear ? nullptr : rule.c_str());
  if (r.empty()) return Missing("group", {name});
  tx.commit();
  return Status::Ok();
}

namespace {

// One membership statement ($1 the group's id, $2 the items) for a group named by the operator;
// device IDs must all exist first. Returns the rows it changed.
Result<size_t> ChangeMembers(pqxx::transaction_base& tx, const std::string& group, const std::vector<std::string>& items,
                             bool are_devices, const char* name, const char* sql) {
  auto gid = FindGroup(tx, group);
  if (!gid.ok()) return gid.status();
  if (are_devices)
    if (Status s = MissingDevices(tx, items); !s.ok()) return s;
  auto r = Exec(tx, name, sql, *gid, TextArray(items));
  return r.size();
}



}  // namespace

Result<size_t> AddGroupDevices(pqxx::transaction_base& tx, const std::string& group, const std::vector<std::string>& ids) {
  // A member by rule or serial that the operator adds by hand stays when the rule stops matching.
  return ChangeMembers(tx, group, ids, true, "deploy_group_add_devices",
                       "INSERT INTO group_devices (group_id, device_id) "
                       "SELECT DISTINCT $1::bigint, n FROM unnest($2::text[]) n "
                       "ON CONFLICT (group_id, device_id) DO UPDATE SET source = 'manual' "
                       "WHERE group_devices.source <> 'manual' RETURNING 1");
}

Result<size_t> AddGroupDevices(pqxx::connection& conn, const std::string& group, const std::vector<std::string>& ids) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return AddGroupDevices(tx, group, ids); });
}


Result<size_t> RemoveGroupDevices(pqxx::transaction_base& tx, const std::string& group,
                                  const std::vector<std::string>& ids) {
  return ChangeMembers(tx, group, ids, true, "deploy_group_remove_devices",
                       "DELETE FROM group_devices WHERE group_id = $1 AND device_id = ANY($2::text[]) RETURNING 1");
}

Result<size_t> RemoveGroupDevices(pqxx::connection& conn, const std::string& group,
                                  const std::vector<std::string>& ids) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return RemoveGroupDevices(tx, group, ids); });
}


Result<size_t> AddGroupSerials(pqxx::transaction_base& tx, const std::string& group,
                               const std::vector<std::string>& serials) {
  auto normal = NormalizeSerials(serials);
  if (!normal.ok()) return normal.status();
  return ChangeMembers(tx, group, *normal, false, "deploy_group_add_serials",
                       "INSERT INTO group_serials (group_id, serial_number) "
                       "SELECT DISTINCT $1::bigint, s FROM unnest($2::text[]) s ON CONFLICT DO NOTHING RETURNING 1");
}

Result<size_t> AddGroupSerials(pqxx::connection& conn, const std::string& group,
                               const std::vector<std::string>& serials) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return AddGroupSerials(tx, group, serials); });
}


Result<size_t> RemoveGroupSerials(pqxx::transaction_base& tx, const std::string& group,
                                  const std::vector<std::string>& serials) {
  auto normal = NormalizeSerials(serials);
  if (!normal.ok()) return normal.status();
  return ChangeMembers(tx, group, *normal, false, "deploy_group_remove_serials",
                       "DELETE FROM group_serials WHERE group_id = $1 AND serial_number = ANY($2::text[]) RETURNING 1");
}

Result<size_t> RemoveGroupSerials(pqxx::connection& conn, const std::string& group,
                                  const std::vector<std::string>& serials) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return RemoveGroupSerials(tx, group, serials); });
}


std::string GroupListJson(pqxx::transaction_base& tx) {
  return Exec(tx, "deploy_group_list",
              "WITH RECURSIVE tree(id, path) AS ("
              "  SELECT id, ARRAY[name] FROM groups WHERE parent_id IS NULL "
              "  UNION ALL SELECT g.id, t.path || g.name FROM groups g JOIN tree t ON g.parent_id = t.id) "
              "SELECT coalesce(jsonb_agg(jsonb_build_object("
              "  'name', g.name, 'parent', p.name, 'depth', cardinality(t.path) - 1, 'rule', g.rule, "
              "  'devices', (SELECT count(*) FROM group_devices x WHERE x.group_id = g.id), "
              "  'serials', (SELECT count(*) FROM group_serials x WHERE x.group_id = g.id), "
              "  'profiles', (SELECT count(*) FROM group_profiles x WHERE x.group_id = g.id), "
              "  'apps', (SELECT count(*) FROM group_apps x WHERE x.group_id = g.id), "
              "  'declarations', (SELECT count(*) FROM group_declarations x WHERE x.group_id = g.id)"
              ") ORDER BY t.path), '[]'::jsonb)::text "
              "FROM tree t JOIN groups g ON g.id = t.id LEFT JOIN groups p ON p.id = g.parent_id")[0][0]
      .as<std::string>();
}

std::optional<std::string> GroupJson(pqxx::transaction_base& tx, const std::string& name) {
  // The path walk is bounded should the table ever hold a loop made by hand in SQL.
  auto r = Exec(
      tx, "deploy_group_show",
      "SELECT jsonb_build_object("
      "  'name', g.name, 'parent', p.name, 'rule', g.rule, 'created_at', g.created_at, 'updated_at', g.updated_at, "
      "  'path', (WITH RECURSIVE up(id, parent_id, name, n) AS ("
      "      SELECT g.id, g.parent_id, g.name, 0 "
      "      UNION SELECT a.id, a.parent_id, a.name, up.n + 1 FROM groups a JOIN up ON a.id = up.parent_id "
      "      WHERE up.n < 100) "
      "    SELECT jsonb_agg(up.name ORDER BY up.n DESC) FROM up), "
      "  'children', (SELECT coalesce(jsonb_agg(c.name ORDER BY c.name), '[]'::jsonb) FROM groups c "
      "    WHERE c.parent_id = g.id), "
      "  'devices', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'serial_number', d.serial_number, "
      "      'device_name', d.device_name, 'source', m.source) ORDER BY d.id), '[]'::jsonb) "
      "    FROM group_devices m JOIN devices d ON d.id = m.device_id WHERE m.group_id = g.id), "
      "  'serials', (SELECT coalesce(jsonb_agg(s.serial_number ORDER BY s.serial_number), '[]'::jsonb) "
      "    FROM group_serials s WHERE s.group_id = g.id), "
      "  'profiles', (SELECT coalesce(jsonb_agg(jsonb_build_object('identifier', x.identifier, "
      "      'display_name', x.display_name, 'version', x.version) ORDER BY x.identifier), '[]'::jsonb) "
      "    FROM group_profiles l JOIN profiles x ON x.id = l.profile_id WHERE l.group_id = g.id), "
      "  'apps', (SELECT coalesce(jsonb_agg(jsonb_build_object('identifier', x.identifier, 'name', x.name, "
      "      'itunes_store_id', x.itunes_store_id) ORDER BY x.identifier), '[]'::jsonb) "
      "    FROM group_apps l JOIN apps x ON x.id = l.app_id WHERE l.group_id = g.id), "
      "  'declarations', (SELECT coalesce(jsonb_agg(jsonb_build_object('identifier', x.identifier, "
      "      'type', x.type) ORDER BY x.identifier), '[]'::jsonb) "
      "    FROM group_declarations l JOIN declarations x ON x.identifier = l.declaration_identifier "
      "    WHERE l.group_id = g.id)"
      ")::text FROM groups g LEFT JOIN groups p ON p.id = g.parent_id WHERE g.name = $1",
      name);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

// --- profiles, apps, declarations ------------------------------------------------------------

Result<ProfileSaved> AddProfile(pqxx::transaction_base& tx, const ProfileFile& profile) {
  if (auto api = store::GetSetting(tx, store::setting::kApiUrl);
      api && profile.identifier == enroll::EnrollmentProfileIdentifier(*api))
    return Status::Invalid("PayloadIdentifier " + profile.identifier +
                           " is this server's enrollment profile: installing it would take devices out of management; "
                           "give the profile another PayloadIdentifier");
  // The same bytes again change nothing, so re-running a deployment script reinstalls nothing.
  auto r = Exec(tx, "deploy_profile_add",
                "INSERT INTO profiles (identifier, payload_uuid, display_name, xml, original, signer, placeholders, "
                "  content_hash) VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7::text[], $8) "
                "ON CONFLICT (identifier) DO UPDATE SET payload_uuid = EXCLUDED.payload_uuid, "
                "  display_name = EXCLUDED.display_name, xml = EXCLUDED.xml, original = EXCLUDED.original, "
                "  signer = EXCLUDED.signer, placeholders = EXCLUDED.placeholders, "
                "  content_hash = EXCLUDED.content_hash, version = profiles.version + 1, updated_at = now() "
                "WHERE profiles.original <> EXCLUDED.original RETURNING version",
                profile.identifier, profile.payload_uuid, store::NullIfEmpty(profile.display_name), profile.xml,
                crypto::Hex(profile.original), store::NullIfEmpty(profile.signer), TextArray(profile.placeholders),
                profile.content_hash);
  if (r.empty()) {
    auto v = Exec(tx, "deploy_profile_version", "SELECT version FROM profiles WHERE identifier = $1",
                  profile.identifier);
    return ProfileSaved{Change::kUnchanged, v[0][0].as<int>()};
  }
  int version = r[0][0].as<int>();
  return ProfileSaved{version == 1 ? Change::kAdded : Change::kEdited, version};
}

Result<ProfileSaved> AddProfile(pqxx::connection& conn, const ProfileFile& profile) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return AddProfile(tx, profile); });
}


Result<Change> AddApp(pqxx::transaction_base& tx, const AppSpec& app) {
  if (!IsBundleIdentifier(app.identifier))
    return Status::Invalid("'" + app.identifier + "' is not a bundle identifier (letters, digits, '.' and '-')");
  if (app.itunes_store_id && *app.itunes_store_id <= 0)
    return Status::Invalid("the iTunes Store ID (adamId) is a positive number");
  if (app.management_flags && (*app.management_flags & ~5) != 0)
    return Status::Invalid(
        "the management flags combine 1 (removed with the MDM profile) and 4 (no backup of its data)");
  std::optional<std::string> store_id, flags, token_id;
  if (app.itunes_store_id) store_id = std::to_string(*app.itunes_store_id);
  if (app.management_flags) flags = std::to_string(*app.management_flags);
  using Vpp = AppSpec::Vpp;
  if (app.vpp == Vpp::kRequired && !store_id)
    return Status::Invalid("an Apps and Books app needs its adamId: app add BUNDLE-ID --vpp ADAMID");
  if (store_id && app.vpp != Vpp::kNever) {
    // The locations whose synced assets hold this adamId (mdm-console vpp sync reads them).
    auto owners = Exec(tx, "deploy_app_vpp_owners",
                       "SELECT t.id, t.location_name, v.device_assignable FROM vpp_assets v "
                       "JOIN vpp_tokens t ON t.id = v.token_id WHERE v.adam_id = $1 "
                       "  AND ($2::text IS NULL OR t.location_name = $2 OR t.location_uid = $2) ORDER BY t.id",
                       *store_id, store::Nullable(app.vpp_location));
    if (owners.size() == 1) {
      if (!owners[0][2].as<bool>() && app.vpp == Vpp::kRequired)
        return Status::Invalid("adamId " + *store_id + " cannot be assigned to devices in location " +
                               owners[0][1].as<std::string>() + " (Apple: deviceAssignable false)");
      token_id = owners[0][0].as<std::string>();
    } else if (owners.size() > 1 && app.vpp == Vpp::kRequired) {
      std::string names;
      for (const auto& o : owners) names += (names.empty() ? "" : ", ") + o[1].as<std::string>();
      return Status::Invalid("adamId " + *store_id + " is owned by several locations (" + names +
                             "): name one with --location NAME");
    } else if (owners.empty() && app.vpp == Vpp::kRequired) {
      return Status::Invalid("no Apps and Books location" +
                             (app.vpp_location ? " named '" + *app.vpp_location + "'" : std::string()) +
                             " owns adamId " + *store_id +
                             ": check the number, buy the app in ABM/ASM, then run mdm-console vpp sync");
    }
  }
  auto r = Exec(tx, "deploy_app_add",
                "WITH old AS (SELECT 1 FROM apps WHERE identifier = $1) "
                "INSERT INTO apps (identifier, itunes_store_id, name, management_flags, vpp_token_id) "
                "VALUES ($1, $2::bigint, $3, coalesce($4::integer, 1), $5::bigint) "
                "ON CONFLICT (identifier) DO UPDATE SET "
                "  itunes_store_id = coalesce(EXCLUDED.itunes_store_id, apps.itunes_store_id), "
                "  name = coalesce(EXCLUDED.name, apps.name), "
                "  management_flags = coalesce($4::integer, apps.management_flags), "
                "  vpp_token_id = CASE WHEN $6 THEN NULL WHEN $2::bigint IS NULL THEN apps.vpp_token_id "
                "    ELSE EXCLUDED.vpp_token_id END "
                "RETURNING NOT EXISTS (SELECT 1 FROM old)",
                app.identifier, store::Nullable(store_id), store::Nullable(app.name), store::Nullable(flags),
                store::Nullable(token_id), app.vpp == Vpp::kNever);
  return r[0][0].as<bool>() ? Change::kAdded : Change::kEdited;
}

Result<Change> AddApp(pqxx::connection& conn, const AppSpec& app) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return AddApp(tx, app); });
}


Result<DeclarationSaved> AddDeclaration(pqxx::connection& conn, std::string_view json) {
  rapidjson::Document d;
  if (Status s = json::Parse(json, &d); !s.ok())
    return Status::Invalid("not a usable declaration: " + s.message() +
                           " (a declaration is a JSON object with Type, Identifier and Payload)");
  if (!d.IsObject()) return Status::Invalid("a declaration is a JSON object with Type, Identifier and Payload");
  // A ServerToken in the file (one exported from elsewhere) is ignored: ours follows the content.
  for (const auto& m : d.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (key != "Type" && key != "Identifier" && key != "Payload" && key != "ServerToken")
      return Status::Invalid("unknown key '" + key + "' in the declaration (it takes Type, Identifier, Payload)");
  }
  std::string type = d.HasMember("Type") && d["Type"].IsString()
                         ? std::string(d["Type"].GetString(), d["Type"].GetStringLength())
                         : "";
  if (!IsDeclarationType(type))
    return Status::Invalid("the declaration's Type must start with com.apple.activation., com.apple.configuration., "
                           "com.apple.asset. or com.apple.management. (it is '" + type + "')");
  if (!d.HasMember("Identifier") || !d["Identifier"].IsString() || d["Identifier"].GetStringLength() == 0)
    return Status::Invalid("the declaration has no Identifier (a non-empty string)");
  rapidjson::Value empty(rapidjson::kObjectType);
  const rapidjson::Value& payload = d.HasMember("Payload") ? d["Payload"] : empty;
  if (!payload.IsObject()) return Status::Invalid("the declaration's Payload must be a JSON object");

  DeclarationSaved out{Change::kUnchanged, std::string(d["Identifier"].GetString(), d["Identifier"].GetStringLength()),
                       ""};
  rapidjson::Value type_value(type.c_str(), static_cast<rapidjson::SizeType>(type.size()));
  rapidjson::Document signed_part(rapidjson::kObjectType);  // what the ServerToken stands for
  signed_part.AddMember("Type", type_value, signed_part.GetAllocator());
  signed_part.AddMember("Payload", rapidjson::Value(payload, signed_part.GetAllocator()), signed_part.GetAllocator());
  out.server_token = crypto::Hex(crypto::Sha256(CanonicalJson(signed_part)));

  pqxx::work tx(conn);
  auto r = Exec(tx, "deploy_declaration_add",
                "WITH old AS (SELECT 1 FROM declarations WHERE identifier = $1) "
                "INSERT INTO declarations (identifier, type, payload, server_token) VALUES ($1, $2, $3::jsonb, $4) "
                "ON CONFLICT (identifier) DO UPDATE SET type = EXCLUDED.type, payload = EXCLUDED.payload, "
                "  server_token = EXCLUDED.server_token, updated_at = now() "
                "WHERE declarations.server_token <> EXCLUDED.server_token "
                "RETURNING NOT EXISTS (SELECT 1 FROM old)",
                out.identifier, type, CanonicalJson(payload), out.server_token);
  tx.commit();
  if (!r.empty()) out.change = r[0][0].as<bool>() ? Change::kAdded : Change::kEdited;
  return out;
}

Status Remove(pqxx::connection& conn, Kind kind, const std::string& identifier, bool force) {
  const KindInfo& k = Info(kind);
  pqxx::work tx(conn);
  // FOR UPDATE: an assignment made meanwhile waits for us (its foreign key), then fails.
  std::string check = "SELECT (SELECT string_agg(g.name, ', ' ORDER BY g.name) FROM " + k.link_table +
                      " l JOIN groups g ON g.id = l.group_id WHERE l." + k.link_column + " = i." + k.key +
                      ") FROM " + k.table + " i WHERE i.identifier = $1 FOR UPDATE";
  auto r = Exec(tx, ("deploy_remove_check_" + k.noun).c_str(), check.c_str(), identifier);
  if (r.empty()) return Missing(k.noun, {identifier});
  if (!r[0][0].is_null() && !force)
    return Status::Conflict(k.noun + " '" + identifier + "' is assigned to group(s) " + r[0][0].as<std::string>() +
                            ": unassign it first, or remove it with --force");
  std::string remove = "DELETE FROM " + k.table + " WHERE identifier = $1";
  Exec(tx, ("deploy_remove_" + k.noun).c_str(), remove.c_str(), identifier);
  tx.commit();
  return Status::Ok();
}

Result<size_t> Assign(pqxx::transaction_base& tx, Kind kind, const std::string& identifier,
                      const std::vector<std::string>& groups) {
  const KindInfo& k = Info(kind);
  return ChangeAssignments(tx, kind, identifier, groups, "deploy_assign_" + k.noun,
                           "INSERT INTO " + k.link_table + " (group_id, " + k.link_column + ") " +
                               "SELECT g.id, i." + k.key + " FROM groups g, " + k.table + " i " +
                               "WHERE i.identifier = $1 AND g.name = ANY($2::text[]) "
                               "ON CONFLICT DO NOTHING RETURNING 1");
}

Result<size_t> Assign(pqxx::connection& conn, Kind kind, const std::string& identifier,
                      const std::vector<std::string>& groups) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return Assign(tx, kind, identifier, groups); });
}


Result<size_t> Unassign(pqxx::transaction_base& tx, Kind kind, const std::string& identifier,
                        const std::vector<std::string>& groups) {
  const KindInfo& k = Info(kind);
  return ChangeAssignments(tx, kind, identifier, groups, "deploy_unassign_" + k.noun,
                           "DELETE FROM " + k.link_table + " l USING groups g, " + k.table +
                               " i WHERE l.group_id = g.id AND l." + k.link_column + " = i." + k.key +
                               " AND i.identifier = $1 AND g.name = ANY($2::text[]) RETURNING 1");
}

Result<size_t> Unassign(pqxx::connection& conn, Kind kind, const std::string& identifier,
                        const std::vector<std::string>& groups) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return Unassign(tx, kind, identifier, groups); });
}


std::string ProfileListJson(pqxx::transaction_base& tx) {
  static const std::string sql = "SELECT coalesce(jsonb_agg(jsonb_build_object(" + ProfileObject() +
                                 ") ORDER BY i.identifier), '[]'::jsonb)::text FROM profiles i";
  return Exec(tx, "deploy_profile_list", sql.c_str())[0][0].as<std::string>();
}

std::optional<std::string> ProfileJson(pqxx::transaction_base& tx, const std::string& identifier) {
  static const std::string sql = "SELECT jsonb_build_object(" + ProfileObject() +
                                 ", 'xml', i.xml, 'created_at', i.created_at, "
                                 "'devices', (SELECT coalesce(jsonb_agg(jsonb_build_object('device_id', x.device_id, "
                                 "  'device_name', d.device_name, 'status', x.status, 'detail', x.detail, "
                                 "  'updated_at', x.updated_at) ORDER BY x.device_id), '[]'::jsonb) "
                                 "  FROM device_deployments x JOIN devices d ON d.id = x.device_id "
                                 "  WHERE x.kind = 'profile' AND x.item_id = i.id))::text "
                                 "FROM profiles i WHERE i.identifier = $1";
  auto r = Exec(tx, "deploy_profile_show", sql.c_str(), identifier);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

namespace {
// An app's columns with its Apps and Books location and licence counts (Apple's, and ours per state).
std::string AppObject() {
  return "jsonb_build_object('identifier', i.identifier, "
         "  'itunes_store_id', i.itunes_store_id, 'name', i.name, 'management_flags', i.management_flags, "
         "  'groups', " + GroupsOf(Info(Kind::kApp)) + ", 'vpp_location', t.location_name, "
         "  'licences_total', v.total_count, 'licences_assigned', v.assigned_count, "
         "  'licences_available', v.available_count, "
         "  'licences_here', CASE WHEN t.id IS NOT NULL THEN (SELECT coalesce(jsonb_object_agg(state, n), '{}') FROM "
         "    (SELECT l.state, count(*) AS n FROM vpp_licences l WHERE l.token_id = t.id "
         "     AND l.adam_id = i.itunes_store_id::text GROUP BY 1) c) END) ";
}
constexpr const char* kAppJoins =
    "LEFT JOIN vpp_tokens t ON t.id = i.vpp_token_id "
    "LEFT JOIN LATERAL (SELECT * FROM vpp_assets v WHERE v.token_id = t.id AND v.adam_id = i.itunes_store_id::text "
    "  ORDER BY v.pricing_param LIMIT 1) v ON true ";
}  // namespace

std::string AppListJson(pqxx::transaction_base& tx) {
  static const std::string sql = "SELECT coalesce(jsonb_agg(" + AppObject() +
                                 " ORDER BY i.identifier), '[]'::jsonb)::text FROM apps i " + kAppJoins;
  return Exec(tx, "deploy_app_list", sql.c_str())[0][0].as<std::string>();
}

std::optional<std::string> AppJson(pqxx::transaction_base& tx, const std::string& identifier) {
  static const std::string sql =
      "SELECT (" + AppObject() + " || jsonb_build_object('devices', (SELECT coalesce(jsonb_agg(jsonb_build_object("
      "  'serial_number', l.serial_number, 'device_id', d.id, 'state', l.state, 'detail', l.detail, "
      "  'error_number', l.error_number, 'updated_at', l.updated_at) ORDER BY l.serial_number), '[]') "
      "  FROM vpp_licences l LEFT JOIN LATERAL (SELECT id FROM devices WHERE serial_number = l.serial_number "
      "    ORDER BY updated_at DESC LIMIT 1) d ON true "
      "  WHERE l.token_id = t.id AND l.adam_id = i.itunes_store_id::text)))::text "
      "FROM apps i " + std::string(kAppJoins) + "WHERE i.identifier = $1";
  auto r = Exec(tx, "deploy_app_show", sql.c_str(), identifier);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::string DeclarationListJson(pqxx::transaction_base& tx) {
  static const std::string sql =
      "SELECT coalesce(jsonb_agg(jsonb_build_object('identifier', i.identifier, 'type', i.type, "
      "  'server_token', i.server_token, 'payload', i.payload, 'updated_at', i.updated_at, "
      "  'groups', " + GroupsOf(Info(Kind::kDeclaration)) + ") ORDER BY i.identifier), '[]'::jsonb)::text "
      "FROM declarations i";
  return Exec(tx, "deploy_declaration_list", sql.c_str())[0][0].as<std::string>();
}

namespace {
// The status report's array of one kind of declaration, or [] when the device sent none (or
// something else there).
std::string ReportedItems(const char* kind) {
  std::string path = std::string("s.report #> '{StatusItems,management,declarations,") + kind + "}'";
  return "(CASE WHEN jsonb_typeof(" + path + ") = 'array' THEN " + path + " ELSE '[]'::jsonb END)";
}
}  // namespace

std::optional<std::string> DeclarationJson(pqxx::transaction_base& tx, const std::string& identifier) {
  // Per enrollment it is deployed to: its item in the newest status report that names it (a
  // report may carry only what changed, so the newest report overall may not).
  static const std::string sql =
      "SELECT jsonb_build_object('identifier', i.identifier, 'type', i.type, 'server_token', i.server_token, "
      "  'payload', i.payload, 'created_at', i.created_at, 'updated_at', i.updated_at, "
      "  'groups', " + GroupsOf(Info(Kind::kDeclaration)) + ", "
      "  'devices', (SELECT coalesce(jsonb_agg(jsonb_build_object('device_id', e.device_id, "
      "    'device_name', d.device_name, 'enrollment_id', e.id, 'active', st.item->'active', "
      "    'valid', st.item->'valid', 'server_token', st.item->'server-token', 'reasons', st.item->'reasons', "
      "    'received_at', st.received_at) ORDER BY d.device_name, e.id), '[]'::jsonb) "
      "    FROM enrollment_declarations ed JOIN enrollments e ON e.id = ed.enrollment_id "
      "    JOIN devices d ON d.id = e.device_id "
      "    LEFT JOIN LATERAL (SELECT x.item, s.received_at FROM declarative_status_reports s, "
      "      jsonb_array_elements(" + ReportedItems("configurations") + " || " + ReportedItems("activations") +
      " || " + ReportedItems("assets") + " || " + ReportedItems("management") + ") x(item) "
      "      WHERE s.enrollment_id = e.id AND x.item->>'identifier' = i.identifier "
      "      ORDER BY s.id DESC LIMIT 1) st ON true "
      "    WHERE ed.declaration_identifier = i.identifier))::text "
      "FROM declarations i WHERE i.identifier = $1";
  auto r = Exec(tx, "deploy_declaration_show", sql.c_str(), identifier);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

// --- device params -------------------------------------------------------------------------

Status SetDeviceParam(pqxx::transaction_base& tx, const std::string& device_id, const std::string& name,
                      const std::string& value) {
  if (!IsParamName(name))
    return Status::Invalid("'" + name + "' is not a parameter name (letters, digits, '_', '.' and '-', as in " +
                           "$$name$$)");
  if (plist::ValidUtf8(value) != value) return Status::Invalid("the value must be UTF-8 text");
  auto r = Exec(tx, "deploy_param_set",
                "INSERT INTO device_params (device_id, name, value) SELECT d.id, $2, $3 FROM devices d "
                "WHERE d.id = $1 ON CONFLICT (device_id, name) DO UPDATE SET value = EXCLUDED.value RETURNING 1",
                device_id, name, value);
  if (r.empty()) return Missing("device", {device_id});
  return Status::Ok();
}

Status SetDeviceParam(pqxx::connection& conn, const std::string& device_id, const std::string& name,
                      const std::string& value) {
  return Committed(conn, [&](pqxx::transaction_base& tx) { return SetDeviceParam(tx, device_id, name, value); });
}


Status UnsetDeviceParam(pqxx::connection& conn, const std::string& device_id, const std::string& name) {
  pqxx::work tx(conn);
  auto r = Exec(tx, "deploy_param_unset",
                "WITH gone AS (DELETE FROM device_params WHERE device_id = $1 AND name = $2 RETURNING 1) "
                "SELECT EXISTS (SELECT 1 FROM gone), EXISTS (SELECT 1 FROM devices WHERE id = $1)",
                device_id, name);
  if (!r[0][1].as<bool>()) return Missing("device", {device_id});
  if (!r[0][0].as<bool>()) return Status::NotFound("device '" + device_id + "' has no parameter '" + name + "'");
  tx.commit();
  return Status::Ok();
}

}  // namespace mdm::deploy
