// The operator's deployment catalog: a tree of groups with their members, and the profiles, apps
// and declarations assigned to them. mdmcron turns it into commands; nothing here queues any.
//
// Every action runs in one transaction of its own on `conn`: it changes all it was asked or
// nothing, and bad input is a Status with one sentence. Readers return JSON built by PostgreSQL
// and take the caller's transaction, so they combine with other reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.h"
#include "deploy/profile_file.h"

namespace mdm::deploy {

// --- groups --------------------------------------------------------------------------------
// `parent` "" makes a top-level group.
Status CreateGroup(pqxx::connection& conn, const std::string& name, const std::string& parent);
// Refused while the group has child groups; its members and assignments go with it.
Status DeleteGroup(pqxx::connection& conn, const std::string& name);
// `parent` "" moves the group to the top level. A parent inside the group is refused (a cycle).
Status SetGroupParent(pqxx::connection& conn, const std::string& name, const std::string& parent);
// `rule` is JSON {"model": "<LIKE pattern>", "product": "<LIKE pattern>", "os_min": "17.0",
// "os_max": "18.9"} (any of them); "" or "none" clears it.
Status SetGroupRule(pqxx::connection& conn, const std::string& name, const std::string& rule);
// Members by device ID, and serial numbers that join once a device with one enrolls. Each
// returns how many rows it changed; an unknown device is refused.
Result<size_t> AddGroupDevices(pqxx::connection& conn, const std::string& group, const std::vector<std::string>& ids);
Result<size_t> RemoveGroupDevices(pqxx::connection& conn, const std::string& group,
                                  const std::vector<std::string>& ids);
Result<size_t> AddGroupSerials(pqxx::connection& conn, const std::string& group,
                               const std::vector<std::string>& serials);
Result<size_t> RemoveGroupSerials(pqxx::connection& conn, const std::string& group,
                                  const std::vector<std::string>& serials);

// [{name, parent, depth, rule, devices, serials, profiles, apps, declarations}] (counts), in
// tree order: each group follows its parent.
std::string GroupListJson(pqxx::transaction_base& tx);
// {name, parent, path, children, rule, devices: [...], serials, profiles, apps, declarations}
std::optional<std::string> GroupJson(pqxx::transaction_base& tx, const std::string& name);

// --- profiles, apps, declarations ------------------------------------------------------------
enum class Kind { kProfile, kApp, kDeclaration };
enum class Change { kAdded, kEdited, kUnchanged };

// A new PayloadIdentifier is added; a known one is edited (content replaced, version + 1),
// unless the file is byte for byte the one stored.
struct ProfileSaved {
  Change change;
  int version;
};
Result<ProfileSaved> AddProfile(pqxx::connection& conn, const ProfileFile& profile);

// An App Store app. Adding a known bundle identifier updates the fields given.
struct AppSpec {
  std::string identifier;                  // bundle identifier
  std::optional<int64_t> itunes_store_id;  // adamId
  std::optional<std::string> name;
  std::optional<int> management_flags;     // 1: removed with the MDM profile; 4: no backup (default 1)
  // Apps and Books: kRequired (app add --vpp) refuses an adamId no stored location owns;
  // kAuto takes licences when exactly one location owns it (vpp sync first); kNever does not.
  enum class Vpp { kAuto, kRequired, kNever } vpp = Vpp::kAuto;
  std::optional<std::string> vpp_location;  // which location, when several own it
};
Result<Change> AddApp(pqxx::connection& conn, const AppSpec& app);

// A declaration as JSON {"Type": "com.apple.configuration....", "Identifier": "...",
// "Payload": {...}}. Its ServerToken is the hex SHA-256 of the canonical JSON of Type and
// Payload, so any edit changes it and re-adding the same one changes nothing.
struct DeclarationSaved {
  Change change;
  std::string identifier;
  std::string server_token;
};
Result<DeclarationSaved> AddDeclaration(pqxx::connection& conn, std::string_view json);

// Refused while assigned to a group, unless `force`.
Status Remove(pqxx::connection& conn, Kind kind, const std::string& identifier, bool force);
// Return how many assignments were made or undone (assigning twice changes nothing).
Result<size_t> Assign(pqxx::connection& conn, Kind kind, const std::string& identifier,
                      const std::vector<std::string>& groups);
Result<size_t> Unassign(pqxx::connection& conn, Kind kind, const std::string& identifier,
                        const std::vector<std::string>& groups);

// [{identifier, display_name, payload_uuid, version, signer, placeholders, content_hash,
//   updated_at, groups, deployments: {installed, pending, failed, held, removing}}]; one profile
//   adds xml, created_at and devices: [{device_id, device_name, status, detail, updated_at}].
std::string ProfileListJson(pqxx::transaction_base& tx);
std::optional<std::string> ProfileJson(pqxx::transaction_base& tx, const std::string& identifier);
// [{identifier, itunes_store_id, name, management_flags, groups, vpp_location, licences_total,
//   licences_assigned, licences_available, licences_here: {state: count}}]
std::string AppListJson(pqxx::transaction_base& tx);
// One app with its Apps and Books licence per device: {..., devices: [{serial_number, device_id,
// state, detail, error_number, updated_at}]}
std::optional<std::string> AppJson(pqxx::transaction_base& tx, const std::string& identifier);
// [{identifier, type, server_token, payload, updated_at, groups}]
std::string DeclarationListJson(pqxx::transaction_base& tx);
// One declaration with the enrollments it is deployed to and what each one's newest status
// report says of it: {..., created_at, devices: [{device_id, device_name, enrollment_id, active,
// valid, server_token, reasons, received_at}]} (nulls before a report names it).
std::optional<std::string> DeclarationJson(pqxx::transaction_base& tx, const std::string& identifier);

// --- per-device values for $$name$$ placeholders ---------------------------------------------
Status SetDeviceParam(pqxx::connection& conn, const std::string& device_id, const std::string& name,
                      const std::string& value);
Status UnsetDeviceParam(pqxx::connection& conn, const std::string& device_id, const std::string& name);

// --- the same actions inside the caller's transaction (importers: all or nothing) -------------
// Each checks like its connection form and changes nothing on a refusal, but commits nothing:
// the caller commits or rolls back the whole.
Status CreateGroup(pqxx::transaction_base& tx, const std::string& name, const std::string& parent);
Result<size_t> AddGroupDevices(pqxx::transaction_base& tx, const std::string& group, const std::vector<std::string>& ids);
Result<size_t> RemoveGroupDevices(pqxx::transaction_base& tx, const std::string& group,
                                  const std::vector<std::string>& ids);
Result<size_t> AddGroupSerials(pqxx::transaction_base& tx, const std::string& group,
                               const std::vector<std::string>& serials);
Result<size_t> RemoveGroupSerials(pqxx::transaction_base& tx, const std::string& group,
                                  const std::vector<std::string>& serials);
Result<ProfileSaved> AddProfile(pqxx::transaction_base& tx, const ProfileFile& profile);
Result<Change> AddApp(pqxx::transaction_base& tx, const AppSpec& app);
Result<size_t> Assign(pqxx::transaction_base& tx, Kind kind, const std::string& identifier,
                      const std::vector<std::string>& groups);
Result<size_t> Unassign(pqxx::transaction_base& tx, Kind kind, const std::string& identifier,
                        const std::vector<std::string>& groups);
Status SetDeviceParam(pqxx::transaction_base& tx, const std::string& device_id, const std::string& name,
                      const std::string& value);

}  // namespace mdm::deploy
