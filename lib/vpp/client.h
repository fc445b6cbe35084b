// A client for Apple's Apps and Books v2 API (https://vpp.itunes.apple.com/mdm/v2): the content
// token as Authorization: Bearer, 429 / 503 waited out with Retry-After (apple::ServiceClient),
// and Apple's error bodies turned into sentences. A refused token (expired, revoked) is
// kUnauthorized with a sentence naming `mdm-console vpp token upload`.
#pragma once

#include <string>
#include <vector>

#include "apple/service_client.h"
#include "core/status.h"
#include "vpp/responses.h"

namespace mdm::vpp {

struct VppConfig {
  std::string base_url = "https://vpp.itunes.apple.com/mdm/v2";
  std::string ca_file;
  std::string stoken;
  std::string location;  // for sentences: the token's location name
  int timeout_seconds = 120;
  int max_waits = 5;
  int max_wait_seconds = 60;
};

class VppClient {
 public:
  explicit VppClient(VppConfig config);

  Result<ServiceLimits> GetServiceConfig();
  Result<ClientConfig> GetClientConfig();
  Result<ClientConfig> SetClientConfig(const MdmInfo& info);
  Result<AssetPage> GetAssets(int page_index);
  Result<AssignmentPage> GetAssignments(int page_index);
  // One request: every asset to every serial number (within the service's limits). The eventId.
  Result<std::string> Associate(const std::string& adam_id, const std::string& pricing_param,
                                const std::vector<std::string>& serials);
  Result<std::string> Disassociate(const std::string& adam_id, const std::string& pricing_param,
                                   const std::vector<std::string>& serials);
  Result<EventStatus> GetEvent(const std::string& event_id);

  int requests() const { return http_.requests(); }
  apple::ServiceClient& http() { return http_; }

 private:
  Result<std::string> Call(const std::string& method, const std::string& path, const std::string& body = "");
  Result<std::string> Manage(const char* verb, const std::string& adam_id, const std::string& pricing_param,
                             const std::vector<std::string>& serials);

  VppConfig config_;
  apple::ServiceClient http_;
};

// The sentence for an Apps and Books error body answered to `what` with HTTP `status`.
Status ErrorStatus(const std::string& location, const std::string& what, long status, const ErrorBody& e);

}  // namespace mdm::vpp
