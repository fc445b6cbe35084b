#include "import/oco.h"
#include "import/oco_fields.h"

#include <cctype>
#include <chrono>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <rapidjson/document.h>

#include "certs/certs.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "deploy/catalog.h"
#include "deploy/profile_file.h"
#include "json/json.h"
#include "store/import_store.h"
#include "store/settings.h"
#include "store/sql_util.h"

namespace mdm::import {
namespace {

// OCO's settings (table `setting`, columns `key` and `value`) that carry its Apple set-up.
namespace oco_key {
constexpr const char* kApiUrl = "apple-mdm-api-url";
constexpr const char* kPushCert = "apple-mdm-apn-cert";
constexpr const char* kPushKey = "apple-mdm-apn-key";
constexpr const char* kVendorCert = "apple-mdm-vendor-cert";
constexpr const char* kVendorKey = "apple-mdm-vendor-key";
constexpr const char* kTokenCert = "apple-mdm-token-cert";
constexpr const char* kTokenKey = "apple-mdm-token-key";
constexpr const char* kToken = "apple-mdm-token";  // the decrypted server token (JSON)
constexpr const char* kActivationProfile = "apple-mdm-activation-profile";
constexpr const char* kDeviceCaCert = "apple-mdm-deviceca-cert";
}  // namespace oco_key

using Row = MysqlRow;

// The same refusal, with what it was about in front.
Status Prefixed(const Status& s, const std::string& prefix) {
  std::string m = prefix + s.message();
  return s.code() == Status::Code::kConflict ? Status::Conflict(m) : Status::Invalid(m);
}

std::string Text(const std::optional<std::string>& v) { return v ? *v : std::string(); }
std::optional<std::string> NonEmpty(const std::optional<std::string>& v) {
  if (!v || v->empty()) return std::nullopt;
  return v;
}

// A column of `table` if OCO's schema has it, else the SQL literal `fallback`, so one SELECT
// serves the versions of OCO's schema that differ in optional columns.
class Schema {
 public:
  explicit Schema(MysqlSession& s) : s_(s) {}
  Status Load() {
    auto t = s_.Tables();
    if (!t.ok()) return t.status();
    for (auto& name : *t) tables_.insert(name);
    return Status::Ok();
  }
  bool Has(const std::string& table) const { return tables_.count(table) > 0; }
  Result<std::set<std::string>> ColumnsOf(const std::string& table) {
    auto c = s_.Columns(table);
    if (!c.ok()) return c.status();
    return std::set<std::string>(c->begin(), c->end());
  }

 private:
  MysqlSession& s_;
  std::set<std::string> tables_;
};

std::string Col(const std::set<std::string>& cols, const std::string& name, const std::string& fallback = "NULL") {
  return cols.count(name) ? "`" + name + "`" : fallback;
}

// "2026-01-02 03:04:05" (MariaDB's TIMESTAMP text, UTC session) as unix seconds.
std::optional<int64_t> MysqlTime(const std::optional<std::string>& text) {
  if (!text || text->size() < 19) return std::nullopt;
  std::tm tm{};
  const char* end = strptime(text->c_str(), "%Y-%m-%d %H:%M:%S", &tm);
  if (!end) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<std::string> JsonString(const rapidjson::Value& o, const char* key) {
  auto m = o.FindMember(key);
  if (m == o.MemberEnd() || !m->value.IsString()) return std::nullopt;
  return std::string(m->value.GetString(), m->value.GetStringLength());
}

OcoTally& Tally(OcoReport& r, const std::string& kind) {
  for (auto& t : r.tallies)
    if (t.kind == kind) return t;
  r.tallies.push_back(OcoTally{kind});
  return r.tallies.back();
}

class Importer {
 public:
  Importer(MysqlSession& oco, pqxx::work& tx, const OcoOptions& opts) : oco_(oco), schema_(oco), tx_(tx), opts_(opts) {}

  Result<OcoReport> Run() {
    if (Status s = schema_.Load(); !s.ok()) return s;
    for (const char* t : {"setting", "mobile_device"})
      if (!schema_.Has(t))
        return Status::Invalid(std::string("OCO's database has no table `") + t +
                               "`: is dbname the database of an OCO server (1.0 or later)?");
    if (Status s = Settings(); !s.ok()) return s;
    if (Status s = Devices(); !s.ok()) return s;
    if (Status s = Groups(); !s.ok()) return s;
    if (Status s = Profiles(); !s.ok()) return s;
    if (Status s = Apps(); !s.ok()) return s;
    return report_;
  }

 private:
  Result<std::vector<Row>> Read(const std::string& what, const std::string& sql) {
    auto rows = oco_.Query(sql);
    if (!rows.ok()) return Status::Invalid("reading OCO's " + what + ": " + rows.status().message());
    return rows;
  }

  std::optional<std::string> Setting(const char* key) {
    auto it = settings_.find(key);
    if (it == settings_.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }

  void Note(std::string line) { report_.notes.push_back(std::move(line)); }

  // --- settings: certificates, keys, tokens --------------------------------------------------
  Status Settings() {
    auto rows = Read("settings", "SELECT `key`, `value` FROM `setting` WHERE `key` LIKE 'apple-%'");
    if (!rows.ok()) return rows.status();
    for (auto& r : *rows)
      if (r[0] && r[1]) settings_[*r[0]] = *r[1];

    if (auto url = Setting(oco_key::kApiUrl)) {
      OcoTally& t = Tally(report_, "API URL");
      t.found = 1;
      auto ours = store::GetSetting(tx_, store::setting::kApiUrl);
      if (ours && *ours == *url) {
        t.present = 1;
      } else if (ours) {
        t.skipped = 1;
        Note("API URL: kept this server's " + *ours + " (OCO's is " + *url + ")");
      } else {
        std::string warning;
        if (Status s = certs::SetApiUrl(tx_, *url, &warning); !s.ok()) {
          t.skipped = 1;
          Note("API URL: " + s.message());
        } else {
          t.imported = 1;
          if (!warning.empty()) Note(warning);
        }
      }
    }

    // The push certificate: without it the imported devices cannot be woken, so a broken one
    // stops the import.
    auto push_cert = Setting(oco_key::kPushCert), push_key = Setting(oco_key::kPushKey);
    if (push_cert) {
      OcoTally& t = Tally(report_, "push certificate");
      t.found = 1;
      if (!push_key) return Status::Invalid("OCO's push certificate has no key (setting apple-mdm-apn-key)");
      auto r = certs::ImportPushKeyPair(tx_, *push_cert, *push_key, opts_.replace_push_cert);
      if (!r.ok()) return Prefixed(r.status(), "OCO's push certificate: ");
      topic_ = r->topic;
      Count(t, r->change, "push certificate");
    }

    if (auto cert = Setting(oco_key::kVendorCert)) {
      OcoTally& t = Tally(report_, "vendor certificate");
      t.found = 1;
      auto key = Setting(oco_key::kVendorKey);
      if (!key) return Status::Invalid("OCO's MDM vendor certificate has no key (setting apple-mdm-vendor-key)");
      auto r = certs::ImportVendorKeyPair(tx_, *cert, *key);
      if (!r.ok()) return Prefixed(r.status(), "OCO's MDM vendor certificate: ");
      Count(t, r->change, "MDM vendor certificate");
    }

    if (auto cert = Setting(oco_key::kTokenCert)) {
      OcoTally& t = Tally(report_, "ABM token key pair");
      t.found = 1;
      auto key = Setting(oco_key::kTokenKey);
      if (!key) return Status::Invalid("OCO's server token certificate has no key (setting apple-mdm-token-key)");
      auto r = certs::ImportTokenKeyPair(tx_, *cert, *key);
      if (!r.ok()) return Prefixed(r.status(), "OCO's server token key pair: ");
      Count(t, r->change, "server token key pair");
    }

    if (auto token = Setting(oco_key::kToken)) {
      OcoTally& t = Tally(report_, "ABM server token");
      t.found = 1;
      auto ours = store::GetSetting(tx_, store::setting::kAbmToken);
      if (ours && *ours == *token) {
        t.present = 1;
      } else if (ours) {
        t.skipped = 1;
        Note("ABM server token: kept this server's (upload OCO's with mdm-console token upload if it should win)");
      } else if (auto r = certs::SaveAbmToken(tx_, *token); !r.ok()) {
        t.skipped = 1;
        Note("ABM server token: " + r.status().message());
      } else {
        t.imported = 1;
      }
    }

    if (auto profile = Setting(oco_key::kActivationProfile)) {
      OcoTally& t = Tally(report_, "activation profile");
      t.found = 1;
      auto ours = store::GetSetting(tx_, store::setting::kActivationProfile);
      if (ours && *ours == *profile) {
        t.present = 1;
      } else if (ours) {
        t.skipped = 1;
        Note("activation profile: kept this server's");
      } else if (Status s = certs::SetActivationProfile(tx_, *profile); !s.ok()) {
        t.skipped = 1;
        Note("activation profile: " + s.message() + " (set one with mdm-console activation-profile set)");
      } else {
        t.imported = 1;
      }
    }

    if (Setting("apple-vpp-token"))
      Note("Apps and Books token: not imported; it must be claimed for this server at Apple: download it from "
           "ABM/ASM and run mdm-console vpp token upload FILE --take-over");

    // OCO's device CA: the identities its devices hold chain to it.
    if (auto ca_pem = Setting(oco_key::kDeviceCaCert)) {
      OcoTally& t = Tally(report_, "device identity CA");
      t.found = 1;
      auto ca = crypto::CertFromPem(*ca_pem);
      if (!ca.ok()) return Status::Invalid("OCO's device CA (setting apple-mdm-deviceca-cert) is not a PEM certificate");
      int64_t not_after = crypto::NotAfter(ca->get());
      if (not_after <= std::time(nullptr))
        return Status::Invalid("OCO's device CA expired on " + crypto::FormatTime(not_after) +
                               ": its devices' identities no longer verify; they must enroll again");
      bool added = store::AddDeviceTrustCa(tx_, crypto::CertSha256(ca->get()), crypto::CertToPem(ca->get()),
                                           crypto::SubjectCommonName(ca->get()), not_after, "oco");
      (added ? t.imported : t.present) = 1;
      has_ca_ = true;
    }
    return Status::Ok();
  }

  // OCO 1.2.1 keeps a device's variables as a JSON object of names and text values.
  void ReadParams(const std::string& udid, const std::string& json_text) {
    rapidjson::Document doc;
    if (!json::Parse(json_text, &doc, json::kStoredLimits).ok() || !doc.IsObject()) {
      ++bad_params_;
      return;
    }
    for (const auto& m : doc.GetObject()) {
      std::string name(m.name.GetString(), m.name.GetStringLength());
      bool ok = !name.empty() && m.value.IsString();
      for (unsigned char ch : name) ok = ok && (std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-');
      if (!ok) {
        ++bad_params_;
        continue;
      }
      params_.push_back({udid, name, std::string(m.value.GetString(), m.value.GetStringLength())});
    }
  }

  void Count(OcoTally& t, certs::KeyPairChange change, const std::string& what) {
    switch (change) {
      case certs::KeyPairChange::kAdded: t.imported = 1; break;
      case certs::KeyPairChange::kReplaced:
        t.imported = 1;
        Note(what + ": OCO's replaced this server's");
        break;
      case certs::KeyPairChange::kUnchanged: t.present = 1; break;
      case certs::KeyPairChange::kKept:
        t.skipped = 1;
        Note(what + ": kept this server's, which differs from OCO's");
        break;
    }
  }

  // --- devices -------------------------------------------------------------------------------
  Status Devices() {
    auto cols = schema_.ColumnsOf("mobile_device");
    if (!cols.ok()) return cols.status();
    for (const char* c : {"id", "udid", "serial", "push_token", "push_magic"})
      if (!cols->count(c))
        return Status::Invalid(std::string("OCO's table mobile_device has no column `") + c +
                               "`: this OCO version is not one the importer knows");
    const auto& c = *cols;
    std::string sql = "SELECT `id`, `udid`, `serial`, " + Col(c, "device_name") + ", " + Col(c, "model") + ", " +
                      Col(c, "os") + ", `push_token`, `push_magic`, " + Col(c, "unlock_token") + ", " +
                      Col(c, "info") + ", " + Col(c, "last_update") + ", " + Col(c, "vendor_description") + ", " +
                      Col(c, "device_family") + ", " + Col(c, "color") + ", " + Col(c, "profile_uuid") + ", " +
                      Col(c, "parameters") + ", " + Col(c, "state") + " FROM `mobile_device` ORDER BY `id`";
    // TIMESTAMP columns are read in UTC.
    if (auto tz = oco_.Query("SET time_zone = '+00:00'"); !tz.ok()) return tz.status();
    auto rows = Read("devices", sql);
    if (!rows.ok()) return rows.status();
    OcoTally& dev = Tally(report_, "devices");
    OcoTally& abm = Tally(report_, "ABM device records");
    std::vector<store::ImportedDevice> devices;
    std::unordered_set<std::string> seen;
    size_t no_token = 0, bad_token = 0, bad_info = 0, android = 0;
    struct AbmRecord {
      std::string serial;
      std::optional<std::string> model, description, color, os, family, profile_uuid, udid;
    };
    std::vector<AbmRecord> records;
    size_t n = 0;
    for (const Row& r : *rows) {
      if (opts_.progress && (++n % 1000 == 0 || n == rows->size())) opts_.progress("reading devices", n, rows->size());
      std::string oco_id = Text(r[0]);
      auto udid = NonEmpty(r[1]), serial = NonEmpty(r[2]);
      // Android devices share OCO's table: their os names the platform, and only they have a state.
      if (Text(r[5]).find("Android") != std::string::npos || NonEmpty(r[16])) {
        ++android;
        continue;
      }
      // A record from ABM: OCO writes the description and the assigned profile only from there.
      if (serial && (NonEmpty(r[11]) || NonEmpty(r[14]))) {
        ++abm.found;
        records.push_back({*serial, NonEmpty(r[4]), NonEmpty(r[11]), NonEmpty(r[13]), NonEmpty(r[5]),
                           NonEmpty(r[12]), NonEmpty(r[14]), udid});
      }
      if (!udid) continue;  // known from ABM only: never enrolled
      ++dev.found;
      if (!NonEmpty(r[6]) || !NonEmpty(r[7])) {
        ++no_token;
        continue;
      }
      store::ImportedDevice d;
      d.udid = *udid;
      if (!seen.insert(d.udid).second) continue;
      if (!DecodeOcoPushToken(*r[6], &d.push_token)) {
        ++bad_token;
        continue;
      }
      d.push_magic = *r[7];
      d.serial_number = serial;
      d.device_name = NonEmpty(r[3]);
      d.product_name = NonEmpty(r[4]);
      d.os_version = OcoOsVersion(r[5]);
      d.unlock_token = NonEmpty(r[8]);
      d.last_seen_at = MysqlTime(r[10]);
      if (auto info = NonEmpty(r[9])) {
        rapidjson::Document doc;
        if (json::Parse(*info, &doc, json::kStoredLimits).ok() && doc.IsObject()) {
          d.device_information = *info;
          if (!d.device_name) d.device_name = JsonString(doc, "DeviceName");
          d.model = JsonString(doc, "Model");
          d.model_name = JsonString(doc, "ModelName");
          if (auto p = JsonString(doc, "ProductName")) d.product_name = p;
          if (auto v = JsonString(doc, "OSVersion")) d.os_version = v;
          d.build_version = JsonString(doc, "BuildVersion");
          auto sup = doc.FindMember("IsSupervised");
          if (sup != doc.MemberEnd() && sup->value.IsBool()) d.is_supervised = sup->value.GetBool();
        } else {
          ++bad_info;
        }
      }
      if (auto params = NonEmpty(r[15])) ReadParams(d.udid, *params);
      oco_udid_[oco_id] = d.udid;
      devices.push_back(std::move(d));
    }
    if (android) Note(std::to_string(android) + " Android device(s) left in OCO: this server manages Apple devices");
    if (no_token) Note(std::to_string(no_token) + " device(s) skipped: no push token or PushMagic in OCO (enrollment never finished)");
    if (bad_token) Note(std::to_string(bad_token) + " device(s) skipped: the push token in OCO is not base64");
    if (bad_info) Note(std::to_string(bad_info) + " device(s) imported without inventory: OCO's info is not a JSON object");
    dev.skipped = no_token + bad_token;
    if (!devices.empty() && topic_.empty())
      return Status::Invalid("OCO's database has devices but no push certificate (apple-mdm-apn-cert): without it "
                             "they cannot be reached");
    if (!devices.empty() && !has_ca_)
      return Status::Invalid("OCO's database has devices but no device CA (apple-mdm-deviceca-cert): their "
                             "identities could not be verified");
    if (opts_.progress && !devices.empty()) opts_.progress("writing devices", 0, devices.size());
    auto out = store::InsertImportedDevices(tx_, "oco", topic_, devices);
    if (opts_.progress && !devices.empty()) opts_.progress("writing devices", devices.size(), devices.size());
    dev.imported = out.added.size();
    dev.present = out.present.size();

    // Per-device values for $$name$$, for the devices written now (a device already here keeps
    // its own).
    if (!params_.empty()) {
      OcoTally& t = Tally(report_, "device parameters");
      std::unordered_set<std::string> added(out.added.begin(), out.added.end());
      std::vector<store::DeviceParam> fresh;
      for (auto& p : params_) {
        ++t.found;
        if (added.count(p.device_id)) fresh.push_back(p);
        else ++t.present;
      }
      t.imported = store::InsertDeviceParams(tx_, fresh);
      t.skipped = bad_params_;
      if (bad_params_)
        Note(std::to_string(bad_params_) + " device parameter(s) skipped: not a name of letters, digits, '_', '.', '-' "
             "with a text value");
    }

    // ABM's records: applesync goes on from them (and learns the rest at its next run).
    if (!records.empty()) {
      std::vector<std::string> serial;
      std::vector<std::optional<std::string>> model, description, color, os, family, profile_uuid, udid;
      for (auto& a : records) {
        serial.push_back(a.serial);
        model.push_back(a.model);
        description.push_back(a.description);
        color.push_back(a.color);
        os.push_back(a.os);
        family.push_back(a.family);
        profile_uuid.push_back(a.profile_uuid);
        udid.push_back(a.udid);
      }
      auto r = tx_.exec_params(
          "INSERT INTO dep_devices (serial_number, source, model, description, color, os, device_family, "
          "  profile_uuid, udid) "
          "SELECT DISTINCT ON (s) s, 'abm', m, d, c, o, f, p, u FROM unnest($1::text[], $2::text[], $3::text[], "
          "  $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS x(s, m, d, c, o, f, p, u) "
          "ON CONFLICT (serial_number) DO NOTHING RETURNING 1",
          store::TextArray(serial), store::NullableTextArray(model), store::NullableTextArray(description),
          store::NullableTextArray(color), store::NullableTextArray(os), store::NullableTextArray(family),
          store::NullableTextArray(profile_uuid), store::NullableTextArray(udid));
      abm.imported = r.size();
      abm.present = abm.found - abm.imported;
    }
    return Status::Ok();
  }

  // --- groups and members ---------------------------------------------------------------------
  Status Groups() {
    if (!schema_.Has("mobile_device_group")) return Status::Ok();
    auto rows = Read("groups", "SELECT `id`, `parent_mobile_device_group_id`, `name` FROM `mobile_device_group` ORDER BY `id`");
    if (!rows.ok()) return rows.status();
    OcoTally& t = Tally(report_, "groups");
    group_names_ = OcoGroupNames(*rows);
    std::map<std::string, std::string> parent;
    for (const auto& g : *rows) parent[Text(g[0])] = Text(g[1]);
    // Parents first: create in tree order.
    std::set<std::string> done;
    std::function<Status(const std::string&, int)> make = [&](const std::string& id, int depth) -> Status {
      if (done.count(id) || depth > 64) return Status::Ok();
      done.insert(id);
      const std::string& p = parent[id];
      if (!p.empty() && group_names_.count(p))
        if (Status s = make(p, depth + 1); !s.ok()) return s;
      ++t.found;
      const std::string& name = group_names_[id];
      if (deploy::GroupJson(tx_, name)) {
        ++t.present;
        return Status::Ok();
      }
      std::string parent_name = (!p.empty() && group_names_.count(p)) ? group_names_[p] : "";
      if (Status s = deploy::CreateGroup(tx_, name, parent_name); !s.ok()) {
        ++t.skipped;
        Note("group '" + name + "': " + s.message());
        group_names_.erase(id);
        return Status::Ok();
      }
      ++t.imported;
      return Status::Ok();
    };
    for (const auto& g : *rows)
      if (Status s = make(Text(g[0]), 0); !s.ok()) return s;

    if (!schema_.Has("mobile_device_group_member")) return Status::Ok();
    auto members = Read("group members", "SELECT `mobile_device_group_id`, `mobile_device_id` FROM `mobile_device_group_member`");
    if (!members.ok()) return members.status();
    std::map<std::string, std::vector<std::string>> by_group;
    for (const auto& m : *members) {
      auto g = group_names_.find(Text(m[0]));
      auto d = oco_udid_.find(Text(m[1]));
      if (g != group_names_.end() && d != oco_udid_.end()) by_group[g->second].push_back(d->second);
    }
    OcoTally& mt = Tally(report_, "group memberships");
    mt.found = members->size();
    for (auto& [group, ids] : by_group) {
      // Only devices that are here (imported now or before).
      auto here = tx_.exec_params("SELECT id FROM devices WHERE id = ANY($1::text[])", store::TextArray(ids));
      std::vector<std::string> present;
      for (const auto& row : here) present.push_back(row[0].as<std::string>());
      if (present.empty()) continue;
      auto added = deploy::AddGroupDevices(tx_, group, present);
      if (!added.ok()) return Status::Internal("group '" + group + "': " + added.status().message());
      mt.imported += *added;
      mt.present += present.size() - *added;
    }
    mt.skipped = mt.found - mt.imported - mt.present;
    return Status::Ok();
  }

  // --- profiles and their groups --------------------------------------------------------------
  Status Profiles() {
    if (!schema_.Has("profile")) return Status::Ok();
    auto cols = schema_.ColumnsOf("profile");
    if (!cols.ok()) return cols.status();
    auto rows = Read("profiles", "SELECT `id`, `name`, `payload`, " + Col(*cols, "type", "'ios'") + " FROM `profile` ORDER BY `id`");
    if (!rows.ok()) return rows.status();
    OcoTally& t = Tally(report_, "profiles");
    std::map<std::string, std::string> identifier_of;  // OCO's id -> PayloadIdentifier
    size_t declarations = 0;
    for (const auto& r : *rows) {
      if (Text(r[3]) == "ios-dec") {
        ++declarations;
        continue;
      }
      if (Text(r[3]) != "ios" && !Text(r[3]).empty()) continue;  // Android policies stay behind
      ++t.found;
      auto file = deploy::ReadProfile(Text(r[2]));
      if (!file.ok()) {
        ++t.skipped;
        Note("profile '" + Text(r[1]) + "': " + file.status().message());
        continue;
      }
      if (auto ours = deploy::ProfileJson(tx_, file->identifier)) {
        rapidjson::Document d;
        bool same = json::Parse(*ours, &d, json::kStoredLimits).ok() && d.IsObject() &&
                    JsonString(d, "content_hash") == file->content_hash;
        if (!same) {
          ++t.skipped;
          Note("profile " + file->identifier + ": kept this server's, which differs from OCO's '" + Text(r[1]) + "'");
        } else {
          ++t.present;
        }
        identifier_of[Text(r[0])] = file->identifier;
        continue;
      }
      auto saved = deploy::AddProfile(tx_, *file);
      if (!saved.ok()) {
        ++t.skipped;
        Note("profile '" + Text(r[1]) + "': " + saved.status().message());
        continue;
      }
      ++t.imported;
      identifier_of[Text(r[0])] = file->identifier;
    }
    if (declarations)
      Note(std::to_string(declarations) + " declarative profile(s) (ios-dec) left in OCO: add them with mdm-console "
           "declaration add (OCO keeps only their Payload, without Type and Identifier)");
    if (!schema_.Has("mobile_device_group_profile")) return Status::Ok();
    auto links = Read("profile assignments", "SELECT `mobile_device_group_id`, `profile_id` FROM `mobile_device_group_profile`");
    if (!links.ok()) return links.status();
    return AssignAll(*links, identifier_of, deploy::Kind::kProfile, "profile assignments");
  }

  Status AssignAll(const std::vector<Row>& links, const std::map<std::string, std::string>& identifier_of,
                   deploy::Kind kind, const std::string& tally) {
    OcoTally& t = Tally(report_, tally);
    for (const auto& l : links) {
      ++t.found;
      auto g = group_names_.find(Text(l[0]));
      auto i = identifier_of.find(Text(l[1]));
      if (g == group_names_.end() || i == identifier_of.end()) {
        ++t.skipped;
        continue;
      }
      auto n = deploy::Assign(tx_, kind, i->second, {g->second});
      if (!n.ok()) return Status::Internal(tally + ": " + n.status().message());
      (*n ? t.imported : t.present) += 1;
    }
    return Status::Ok();
  }

  // --- App Store apps and their groups --------------------------------------------------------
  Status Apps() {
    if (!schema_.Has("managed_app")) return Status::Ok();
    auto cols = schema_.ColumnsOf("managed_app");
    if (!cols.ok()) return cols.status();
    auto rows = Read("apps", "SELECT `id`, `identifier`, " + Col(*cols, "store_id") + ", " + Col(*cols, "name") + ", " +
                                 Col(*cols, "type", "'ios'") + " FROM `managed_app` ORDER BY `id`");
    if (!rows.ok()) return rows.status();
    OcoTally& t = Tally(report_, "apps");
    std::map<std::string, std::string> identifier_of;
    for (const auto& r : *rows) {
      if (Text(r[4]) != "ios" && !Text(r[4]).empty()) continue;
      ++t.found;
      deploy::AppSpec app;
      app.identifier = Text(r[1]);
      if (auto id = NonEmpty(r[2]); id && id->find_first_not_of("0123456789") == std::string::npos && id->size() < 19)
        app.itunes_store_id = std::stoll(*id);
      app.name = NonEmpty(r[3]);
      bool known = tx_.exec_params("SELECT 1 FROM apps WHERE identifier = $1", app.identifier).size() > 0;
      if (known) {
        ++t.present;
        identifier_of[Text(r[0])] = app.identifier;
        continue;
      }
      auto added = deploy::AddApp(tx_, app);
      if (!added.ok()) {
        ++t.skipped;
        Note("app " + app.identifier + ": " + added.status().message());
        continue;
      }
      ++t.imported;
      identifier_of[Text(r[0])] = app.identifier;
    }
    if (!schema_.Has("mobile_device_group_managed_app")) return Status::Ok();
    auto links = Read("app assignments", "SELECT `mobile_device_group_id`, `managed_app_id` FROM `mobile_device_group_managed_app`");
    if (!links.ok()) return links.status();
    return AssignAll(*links, identifier_of, deploy::Kind::kApp, "app assignments");
  }

  MysqlSession& oco_;
  Schema schema_;
  pqxx::work& tx_;
  const OcoOptions& opts_;
  OcoReport report_;
  std::unordered_map<std::string, std::string> settings_;
  std::unordered_map<std::string, std::string> oco_udid_;  // OCO's mobile_device.id -> UDID
  std::map<std::string, std::string> group_names_;          // OCO's group id -> our name
  std::vector<store::DeviceParam> params_;
  size_t bad_params_ = 0;
  std::string topic_;
  bool has_ca_ = false;
};

}  // namespace

Result<OcoReport> ImportOco(MysqlSession& oco, pqxx::connection& conn, const OcoOptions& options) {
  auto start = std::chrono::steady_clock::now();
  pqxx::work tx(conn);
  Importer importer(oco, tx, options);
  auto report = importer.Run();
  if (!report.ok()) return report.status();  // the transaction rolls back: nothing changed
  if (options.dry_run) tx.abort();
  else tx.commit();
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log::Info().kv("event", "import_oco").kv("dry_run", options.dry_run ? "yes" : "no")
      .kv("seconds", report->seconds).msg("OCO import finished");
  return report;
}

}  // namespace mdm::import
