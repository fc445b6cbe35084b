// Apps and Books content tokens, one per location: upload (read, check, claim for this server
// with client/config, store), list, remove; and the client configuration for a stored one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <pqxx/pqxx>

#include "core/status.h"
#include "vpp/client.h"

namespace mdm::vpp {

struct UploadReport {
  std::string location_name, org_name, uid;
  int64_t expires_at = 0;
  bool replaced = false;       // the location had a token stored: this one replaces it
  std::string taken_from;      // the other MDM server it was taken over from (--take-over), or ""
};

// Reads the .vpptoken, refuses an expired one, asks Apple which MDM server holds it
// (client/config) and claims it for this one. A token held by another server is refused with a
// sentence unless `take_over`. Nothing is stored unless all of it succeeded.
Result<UploadReport> UploadToken(pqxx::connection& conn, std::string_view file_bytes, bool take_over);

// [{id, location_name, org_name, uid, expires_at, claimed_at, assets_synced_at,
//   assignments_synced_at, last_error, assets, licences}]
std::string TokenListJson(pqxx::transaction_base& tx);

// [{location, adam_id, pricing_param, product_type, device_assignable, total, assigned,
//   available, retired, app, synced_at}]: every synced asset, with the catalog app that uses it.
std::string AssetListJson(pqxx::transaction_base& tx);

// Forgets the token of a location (by name or uId) and what was synced with it; apps that took
// licences from it keep their catalog entry but no longer get licences. Apple keeps the
// licences it assigned until they are disassociated there.
Status RemoveToken(pqxx::connection& conn, const std::string& location);

struct StoredToken {
  int64_t id = 0;
  std::string location_name;
  int64_t expires_at = 0;
  VppConfig config;
};
// Every stored token with the client configuration from the settings (vpp-url, vpp-ca-file,
// vpp-timeout-seconds), oldest first.
std::vector<StoredToken> StoredTokens(pqxx::transaction_base& tx);

// This server's identity at Apple (mdmInfo): a UUID made once, and a name from api-url.
MdmInfo ServerInfo(pqxx::connection& conn);

}  // namespace mdm::vpp
