// What Apple's Apps and Books v2 answers say, read without the network or the database, so the
// fuzz target and unit tests reach every parser. Pure functions; bad JSON is a Status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mdm::vpp {

struct MdmInfo {
  std::string id, name, metadata;
};

// GET / POST client/config.
struct ClientConfig {
  std::string location_name, uid, country, token_expiration;
  std::optional<MdmInfo> mdm_info;  // the server that claimed the token, if any
};
Result<ClientConfig> ReadClientConfig(std::string_view body);

struct Asset {
  std::string adam_id, pricing_param, product_type;
  bool device_assignable = false, revocable = true;
  std::vector<std::string> supported_platforms;
  int64_t total = 0, assigned = 0, available = 0, retired = 0;
};
struct Page {
  int current = 0, total_pages = 1;
  std::optional<int> next;  // nextPageIndex; absent on the last page
  std::string version_id;
};
struct AssetPage {
  Page page;
  std::vector<Asset> assets;
};
Result<AssetPage> ReadAssetPage(std::string_view body);

struct Assignment {
  std::string adam_id, pricing_param, serial_number, client_user_id;
};
struct AssignmentPage {
  Page page;
  std::vector<Assignment> assignments;
};
Result<AssignmentPage> ReadAssignmentPage(std::string_view body);

// POST assets/associate and assets/disassociate: the eventId.
Result<std::string> ReadEventId(std::string_view body);

struct Failure {  // one per serial number a failure names
  std::string adam_id, serial_number;
  int error_number = 0;
  std::string error_message;
};
struct EventStatus {
  std::string status;  // PENDING, COMPLETE, FAILED
  std::string type;    // ASSOCIATE, DISASSOCIATE, ...
  int64_t requested = 0, completed = 0;
  std::vector<Failure> failures;
};
Result<EventStatus> ReadEventStatus(std::string_view body);

// GET service/config: the limits that matter here (Apple may change them: read each run).
struct ServiceLimits {
  int max_serial_numbers = 1000;  // serial numbers per associate / disassociate request
  int max_assets = 25;            // assets per request
};
ServiceLimits ReadServiceLimits(std::string_view body);

// Apple's error body {"errorNumber", "errorMessage"}; number 0 when the body is not one.
struct ErrorBody {
  int number = 0;
  std::string message;
};
ErrorBody ReadError(std::string_view body);

// What an error number means, for the log and `device show`; "" for an unknown one.
std::string ErrorMeaning(int error_number);
// Error numbers that mean the token itself is refused (login required, expired, not valid,
// revoked).
bool IsTokenError(int error_number);

}  // namespace mdm::vpp
