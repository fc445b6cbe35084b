// A fake of Apple's Apps and Books (VPP) v2 API (tests/fakes/vpp.js) on localhost, for tests and
// benchmarks: its own TLS certificate for localhost, one content token per location, a private
// folder. What the fake checks and how control.json steers it: see the head of tests/fakes/vpp.js;
// what Apple does: docs/vpp-api.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process.h"

namespace mdm::test {

class FakeVpp {
 public:
  struct Asset {
    std::string adam_id;
    int total = 0;  // totalCount
    std::string pricing_param = "STDQ";
    std::string product_type = "App";
    bool device_assignable = true;
    bool revocable = true;
    int retired = 0;
  };
  struct MdmInfo {
    std::string id, name, metadata;
  };
  struct Location {
    std::string name = "Fake Location";
    std::string exp_date = "";      // the token's expDate ("2030-11-08T22:33:22+0000"); "": a year ahead
    bool expired = false;           // refused with 9621 whatever its date
    bool revoked = false;           // refused with 9625
    std::optional<MdmInfo> claimed_by = std::nullopt;  // another MDM server already set its mdmInfo
  };
  struct Options {
    std::vector<Location> locations = {Location{}};
    std::vector<Asset> assets;      // each location gets its own copy
    int page_size = 1000;           // assets and assignments per page
    int max_serial_numbers = 1000;  // service/config limits.maxSerialNumbers, enforced
    int max_assets = 25;            // limits.maxAssets, enforced
    int event_delay_ms = 200;       // an associate / disassociate completes this long after
  };

  FakeVpp();
  explicit FakeVpp(Options options);
  ~FakeVpp();
  FakeVpp(const FakeVpp&) = delete;
  FakeVpp& operator=(const FakeVpp&) = delete;

  // https://localhost:PORT/mdm/v2, the base URL (as Apple's https://vpp.itunes.apple.com/mdm/v2).
  std::string url() const;
  // https://localhost:PORT
  std::string root_url() const;
  // The PEM certificate to trust for it.
  const std::string& ca_file() const { return ca_file_; }
  // The .vpptoken file's bytes for a location ("": the first): the sToken, base64 of
  // {"token","expDate","orgName"}; the same string goes in "Authorization: Bearer".
  std::string token_file(const std::string& location = "") const;
  // Replaces <state>/control.json (atomically); the fake takes it on its next request.
  void SetControl(const std::string& json);

  struct Request {
    std::string method, path;  // path without the query
    std::string query;         // "" when none
    int status = 0;            // 0: left unanswered by a network fault
    std::string body;          // the request body, "" when it had none
    std::string location;      // the token's location, once it was known
    std::string fault;         // "stall", "drop" or "reset" when unanswered, else ""
  };
  // Every /mdm/v2 request answered so far, oldest first (the test endpoints are not recorded).
  std::vector<Request> Requests() const;

  struct AssetCounts {
    std::string adam_id, pricing_param;
    int total = 0, assigned = 0, available = 0, retired = 0;
  };
  // The location's assets as the fake holds them now (events that are due take effect first).
  std::vector<AssetCounts> Assets(const std::string& location = "") const;
  // The one asset with that adamId; throws when there is none.
  AssetCounts AssetOf(const std::string& adam_id, const std::string& location = "") const;
  // The serial numbers holding a licence of adam_id, oldest first.
  std::vector<std::string> Holders(const std::string& adam_id, const std::string& location = "") const;
  // The mdmInfo the location holds now, if any server set one.
  std::optional<MdmInfo> ClaimedBy(const std::string& location = "") const;
  // Events made and not yet in effect.
  int PendingEvents(const std::string& location = "") const;
  // A change made by hand in ABM: assigns (or frees) adam_id for these serials at once, without
  // an event. The serials refused for want of a licence.
  std::vector<std::string> AssignByHand(const std::string& adam_id, const std::vector<std::string>& serials,
                                        bool disassociate = false, const std::string& location = "");

 private:
  // GET /fake/state: the JSON text of every location.
  std::string StateJson(bool with_assignments) const;
  const std::string& NameOf(const std::string& location) const;

  Options options_;
  TempDir dir_;
  std::string state_, ca_file_;
  std::vector<std::string> tokens_;  // per location, in options_.locations order
  int port_ = 0;
  Process server_;
};

}  // namespace mdm::test
