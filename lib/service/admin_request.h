// What an admin API request asks for, read from its method, path, query and body alone (no
// database, no key check): AdminApi::Handle checks the key, reads the request here, then acts.
// Kept apart so the reading is tested and fuzzed on its own (tests/fuzz/admin_fuzz.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "accounts/users.h"
#include "http/message.h"
#include "plist/property_list.h"
#include "service/commands.h"
#include "store/device_reads.h"

namespace mdm::service {

// A request refused before anything is done: the HTTP status and the sentence of the JSON error.
struct AdminRefusal {
  int status = 400;
  std::string message;
};

struct AdminRoute {
  enum class Kind {
    kPostCommand,     // POST /commands (the body: ReadAdminCommand)
    kCommand,         // GET /commands/<uuid>
    kGroups,          // GET /groups, /profiles, /apps, /declarations, /devices
    kProfiles,
    kApps,
    kDeclarations,
    kDevices,
    kDevice,          // GET /devices/<id>
    kCommandHistory,  // GET /devices/<enrollment-id>/commands?status=&limit=&offset=
    kVppAssets,       // GET /vpp/assets
    kDevicePage,      // GET /devices?limit=&offset=&sort=&order=&search= (the console's list)
    kDashboard,       // GET /dashboard
    kAudit,           // GET /audit?limit=&offset=&device=
    kSession,         // GET, POST, DELETE /session (the console's login)
    kRemoveDevice,    // DELETE /devices/<id>: out of management at its next contact
    kGroup,           // GET /groups/<name>
    kCreateGroup,     // POST /groups {"name", "parent"}
    kAddGroupDevices, // POST /groups/<name>/devices {"device_ids": [...]}
    kProfile,         // GET /profiles/<identifier>
    kAddProfile,      // POST /profiles (the .mobileconfig as the body)
    kApp,             // GET /apps/<bundle-id>
    kAddApp,          // POST /apps {"identifier", "itunes_store_id", "name"}
    kDeclaration,     // GET /declarations/<identifier>
    kAddDeclaration,  // POST /declarations (the declaration's JSON as the body)
    kAssign,          // POST /profiles|apps|declarations/<id>/groups {"groups": [...]} (see `item`)
    kUnassign,        // DELETE the same
    kRemoveItem,      // DELETE /profiles|apps|declarations/<id>[?force=1]
    kDeleteGroup,     // DELETE /groups/<name>
    kRemoveGroupDevices,  // DELETE /groups/<name>/devices {"device_ids": [...]}
    kSetGroupRule,    // PUT /groups/<name>/rule {"model", "product", "os_min", "os_max"}
    kEnrollLink,      // POST /enrollment/links {"name", "serial_number", "identity", "expires_in"}
    kEnrollProfile,   // POST /enrollment/profile (the same body): the signed profile
    kSettings,        // GET /settings
    kSetApiUrl,       // PUT /settings/api-url {"url"}
    kSetActivationProfile,  // PUT /settings/activation-profile (its JSON as the body)
    kVendorCsr,       // POST /vendor/csr {"common_name"}
    kVendorCert,      // POST /vendor/certificate (the file as the body)
    kApnsCsr,         // POST /apns/csr {"common_name"}: the signed request for Apple's portal
    kApnsCert,        // POST /apns/certificate[?allow_topic_change=1] (the file as the body)
    kAbmTokenCert,    // POST /abm/token-certificate: the public key certificate for ABM (made once)
    kAbmToken,        // POST /abm/token (the .p7m as the body)
    kUsers,           // GET /users
    kAddUser,         // POST /users {"name", "role", "password"}
    kRemoveUser,      // DELETE /users/<name>
    kSetUserPassword, // PUT /users/<name>/password {"password"}
    kCommandTypes,    // GET /command-types: the command schema for the console's form
    kDepDevices,      // GET /dep-devices?limit=&offset=&search=: ABM devices not enrolled yet
  };
  // What kAssign, kUnassign and kRemoveItem act on.
  enum class Item { kProfile, kApp, kDeclaration };
  Kind kind = Kind::kDevices;
  Item item = Item::kProfile;
  bool force = false;                   // kRemoveItem: ?force; kApnsCert: ?allow_topic_change
  std::string id;                       // kCommand: the UUID as written; kDevice: the ID, decoded;
                                        // catalog routes: the group name, PayloadIdentifier, bundle ID
                                        // or declaration identifier; user routes: the user name
  store::CommandHistoryQuery history;   // kCommandHistory
  store::DevicePageQuery page;          // kDevicePage; kDepDevices (search, limit, offset)
  long long limit = 50, offset = 0;     // kAudit
  std::optional<std::string> device;    // kAudit: one device's entries
};

// The least role that may take `kind`: viewer reads (but the settings, the users and the audit
// log); helpdesk also sends commands, removes devices and enrolls new ones; admin does the rest.
accounts::Role RequiredRole(AdminRoute::Kind kind);

// The route of `path` (below /v1, e.g. "/commands") for `method`, with the IDs in the path and
// the query parameters checked: 404 for an unknown route, 405 for GET /commands, 400 for a
// malformed ID or parameter.
std::variant<AdminRoute, AdminRefusal> ReadAdminRoute(std::string_view method, std::string_view path,
                                                      std::string_view query);

struct AdminCommand {
  std::vector<std::string> targets;  // enrollment IDs
  EnqueueOptions options;            // source "api"; priority and force as asked
  plist::Owned command;              // the Command dictionary (RequestType and its keys)
  bool push = true;                  // false with ?nopush
};

// The body of POST /commands: JSON {"enrollment_ids": [...], "request_type": "DeviceLock",
// "parameters": {...}, "priority": 0, "force": false}, or a plist Command dictionary
// (application/x-plist, application/xml or text/xml) with the targets in the query
// (?enrollment_id=A&enrollment_id=B, or a comma list) and ?force. 415 for another Content-Type.
std::variant<AdminCommand, AdminRefusal> ReadAdminCommand(const http::Request& req);

}  // namespace mdm::service
