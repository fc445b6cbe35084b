#include "store/import_store.h"

#include <unordered_set>

#include "crypto/crypto.h"
#include "store/sql_util.h"

namespace mdm::store {

ImportedDevicesOutcome InsertImportedDevices(pqxx::transaction_base& tx, const std::string& source,
                                             const std::string& topic, const std::vector<ImportedDevice>& devices) {
  // One statement per thousand devices: the arrays travel as text, each column one parameter.
  static const char* sql =
      "WITH src AS ("
      "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
      "    $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::boolean[]) "
      "    AS s(udid, serial, name, model, model_name, product, os, build, token, magic, unlock, info, seen, supervised)"
      "), fresh AS ("
      "  SELECT s.* FROM src s WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = s.udid) "
      "    AND (s.serial IS NULL OR NOT EXISTS (SELECT 1 FROM devices d WHERE d.serial_number = s.serial))"
      "), dev AS ("
      "  INSERT INTO devices (id, udid, serial_number, device_name, model, model_name, product_name, os_version, "
      "    build_version, is_supervised, device_information, device_information_at, imported_from, imported_at) "
      "  SELECT udid, udid, serial, name, model, model_name, product, os, build, supervised, info::jsonb, "
      "    CASE WHEN info IS NULL THEN NULL ELSE coalesce(to_timestamp(seen), now()) END, $15, now() FROM fresh "
      "  ON CONFLICT (id) DO NOTHING RETURNING id"
      "), enr AS ("
      "  INSERT INTO enrollments (id, device_id, channel, kind, topic, status, push_token, push_magic, unlock_token, "
      "    token_update_count, token_updated_at, last_seen_at, bind_on_contact) "
      "  SELECT f.udid, f.udid, 'device', 'device', $16, 'enrolled', decode(f.token, 'hex'), f.magic, "
      "    decode(f.unlock, 'hex'), 1, now(), to_timestamp(f.seen), true "
      "  FROM fresh f JOIN dev ON dev.id = f.udid RETURNING id"
      ") SELECT id FROM enr";
  ImportedDevicesOutcome out;
  std::unordered_set<std::string> added;
  const size_t kBatch = 1000;
  for (size_t from = 0; from < devices.size(); from += kBatch) {
    size_t to = std::min(devices.size(), from + kBatch);
    std::vector<std::string> udid, token, magic;
    std::vector<std::optional<std::string>> serial, name, model, model_name, product, os, build, unlock, info, seen,
        supervised;
    for (size_t i = from; i < to; ++i) {
      const ImportedDevice& d = devices[i];
      udid.push_back(d.udid);
      serial.push_back(d.serial_number);
      name.push_back(d.device_name);
      model.push_back(d.model);
      model_name.push_back(d.model_name);
      product.push_back(d.product_name);
      os.push_back(d.os_version);
      build.push_back(d.build_version);
      token.push_back(crypto::Hex(d.push_token));
      magic.push_back(d.push_magic);
      unlock.push_back(d.unlock_token ? std::optional<std::string>(crypto::Hex(*d.unlock_token)) : std::nullopt);
      info.push_back(d.device_information);
      seen.push_back(d.last_seen_at ? std::optional<std::string>(std::to_string(*d.last_seen_at)) : std::nullopt);
      supervised.push_back(d.is_supervised ? std::optional<std::string>(*d.is_supervised ? "true" : "false")
                                           : std::nullopt);
    }
    auto r = Exec(tx, "import_devices", sql, TextArray(udid), NullableTextArray(serial), NullableTextArray(name),
                  NullableTextArray(model), NullableTextArray(model_name), NullableTextArray(product),
                  NullableTextArray(os), NullableTextArray(build), TextArray(token), TextArray(magic),
                  NullableTextArray(unlock), NullableTextArray(info), NullableTextArray(seen),
                  NullableTextArray(supervised), source, topic);
    for (const auto& row : r) added.insert(row[0].as<std::string>());
  }
  for (const auto& d : devices) (added.count(d.udid) ? out.added : out.present).push_back(d.udid);
  return out;
}

size_t InsertDeviceParams(pqxx::transaction_base& tx, const std::vector<DeviceParam>& params) {
  if (params.empty()) return 0;
  std::vector<std::string> ids, names, values;
  for (const auto& p : params) {
    ids.push_back(p.device_id);
    names.push_back(p.name);
    values.push_back(p.value);
  }
  auto r = Exec(tx, "import_device_params",
                "INSERT INTO device_params (device_id, name, value) "
                "SELECT i, n, v FROM unnest($1::text[], $2::text[], $3::text[]) AS x(i, n, v) "
                "WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = x.i) "
                "ON CONFLICT (device_id, name) DO NOTHING RETURNING 1",
                TextArray(ids), TextArray(names), TextArray(values));
  return r.size();
}

bool AddDeviceTrustCa(pqxx::transaction_base& tx, const std::string& sha256, const std::string& pem,
                      const std::string& subject, int64_t not_after, const std::string& source) {
  auto r = Exec(tx, "import_trust_ca",
                "INSERT INTO device_trust_cas (sha256, cert, subject, source, not_after) "
                "VALUES (decode($1, 'hex'), $2, $3, $4, to_timestamp($5)) ON CONFLICT (sha256) DO NOTHING RETURNING 1",
                crypto::Hex(sha256), pem, subject, source, not_after);
  return !r.empty();
}

}  // namespace mdm::store
