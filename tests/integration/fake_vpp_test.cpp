// The fake of Apple's Apps and Books v2 API (tests/fakes/vpp.js) on its own, with plain HTTPS:
// Bearer tokens, paging, asynchronous events with limited licences, the synchronous checks,
// 429/503 injection and a token another MDM server claimed.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "fake_vpp.h"
#include "http_client.h"

using mdm::test::FakeVpp;
using mdm::test::HttpClient;
using mdm::test::HttpResponse;

namespace {

constexpr const char* kAdamId = "361309726";

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  INFO(text);
  REQUIRE(!d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

int ErrorNumber(const HttpResponse& r) {
  auto d = Json(r.body);
  return d.HasMember("errorNumber") ? d["errorNumber"].GetInt() : 0;
}

std::string JsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& s : items) out += (out.size() > 1 ? ",\"" : "\"") + s + "\"";
  return out + "]";
}

std::string ManageBody(const std::string& adam_id, const std::vector<std::string>& serials) {
  return R"({"assets":[{"adamId":")" + adam_id + R"(","pricingParam":"STDQ"}],"serialNumbers":)" + JsonList(serials) + "}";
}

std::vector<std::string> Serials(int from, int count) {
  std::vector<std::string> out;
  for (int i = from; i < from + count; ++i) out.push_back("SER" + std::to_string(100000 + i));
  return out;
}

FakeVpp::Options WithAsset(int total, int page_size = 1000) {
  FakeVpp::Options o;
  o.assets = {{kAdamId, total}};
  o.page_size = page_size;
  return o;
}

// Talks to the fake as an MDM server does: the content token as Bearer.
class Client {
 public:
  explicit Client(const FakeVpp& vpp, std::string location = "")
      : vpp_(vpp), http_(vpp.ca_file()), token_(vpp.token_file(location)) {}

  HttpResponse Get(const std::string& path) { return Send("GET", path, ""); }
  HttpResponse Post(const std::string& path, const std::string& body) { return Send("POST", path, body); }
  HttpResponse Send(const std::string& method, const std::string& path, const std::string& body,
                    const mdm::test::Headers& headers = {}) {
    mdm::test::Headers h = headers;
    if (h.empty()) {
      h.emplace_back("Authorization", "Bearer " + token_);
      if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    }
    return http_.Request(method, vpp_.url() + path, body, h);
  }

  // POSTs an associate or disassociate; the eventId.
  std::string Manage(const char* verb, const std::string& adam_id, const std::vector<std::string>& serials) {
    auto r = Post(std::string("/assets/") + verb, ManageBody(adam_id, serials));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto d = Json(r.body);
    REQUIRE(d.HasMember("eventId"));
    return d["eventId"].GetString();
  }

  // Polls the event until it is no longer PENDING; its status answer.
  rapidjson::Document Settled(const std::string& event_id) {
    for (int i = 0; i < 200; ++i) {
      auto r = Get("/status?eventId=" + event_id);
      REQUIRE(r.status == 200);
      auto d = Json(r.body);
      if (std::string(d["eventStatus"].GetString()) != "PENDING") return d;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL("event " << event_id << " still PENDING");
    return {};
  }

 private:
  const FakeVpp& vpp_;
  HttpClient http_;
  std::string token_;
};

// The items under `key` on every page of a GET, following nextPageIndex.
size_t CountAll(Client& c, const std::string& path, const char* key) {
  size_t n = 0;
  for (int index = 0, pages = 0;; ++pages) {
    REQUIRE(pages < 100);
    auto d = Json(c.Get(path + (path.find('?') == std::string::npos ? "?" : "&") + "pageIndex=" + std::to_string(index)).body);
    n += d[key].Size();
    if (!d.HasMember("nextPageIndex")) return n;
    index = d["nextPageIndex"].GetInt();
  }
}

std::vector<std::string> FailedSerials(const rapidjson::Value& status, int error_number) {
  std::vector<std::string> out;
  if (!status.HasMember("failures")) return out;
  for (const auto& f : status["failures"].GetArray()) {
    if (f["errorNumber"].GetInt() != error_number) continue;
    for (const auto& s : f["errorInfo"]["serialNumbers"].GetArray()) out.push_back(s.GetString());
  }
  return out;
}

}  // namespace

TEST_CASE("the token file is base64 of token, expDate and orgName; service/config needs no token", "[vpp-fake]") {
  FakeVpp::Options o;
  o.max_serial_numbers = 500;
  FakeVpp vpp(o);
  std::string decoded;
  REQUIRE(mdm::crypto::Base64Decode(vpp.token_file(), &decoded));
  auto inner = Json(decoded);
  CHECK(inner["token"].IsString());
  CHECK(std::string(inner["orgName"].GetString()) == "Fake Organisation");
  CHECK_THAT(inner["expDate"].GetString(), Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000)"));

  HttpClient http(vpp.ca_file());
  auto r = http.Request("GET", vpp.url() + "/service/config", "");
  REQUIRE(r.status == 200);
  auto d = Json(r.body);
  CHECK(d["limits"]["maxSerialNumbers"].GetInt() == 500);
  CHECK(d["limits"]["maxAssets"].GetInt() == 25);
  CHECK(d["limits"]["maxRequestPerSecond"].GetInt() == 15);
  CHECK(std::string(d["urls"]["associateAssets"].GetString()) == vpp.url() + "/assets/associate");
  std::set<int> numbers;
  for (const auto& e : d["errorCodes"].GetArray()) numbers.insert(e["errorNumber"].GetInt());
  for (int n : {9601, 9621, 9625, 9646, 9702, 9709}) CHECK(numbers.count(n) == 1);
}

TEST_CASE("a missing, malformed or unknown Bearer token is 401; expired 9621, revoked 9625", "[vpp-fake]") {
  FakeVpp::Options o;
  o.locations = {{"Main"}, {"Old", "2020-01-01T00:00:00+0000"}, {"Gone"}};
  o.locations[2].revoked = true;
  FakeVpp vpp(o);
  Client client(vpp, "Main");
  CHECK(client.Get("/client/config").status == 200);
  auto none = client.Send("GET", "/client/config", "", {{"Accept", "application/json"}});
  CHECK(none.status == 401);
  CHECK(ErrorNumber(none) == 9601);
  auto basic = client.Send("GET", "/assets", "", {{"Authorization", "Basic " + vpp.token_file("Main")}});
  CHECK(basic.status == 401);
  CHECK(ErrorNumber(basic) == 9722);
  auto unknown = client.Send("GET", "/assets", "", {{"Authorization", "Bearer bm90IGEgdG9rZW4="}});
  CHECK(unknown.status == 401);
  CHECK(ErrorNumber(unknown) == 9601);
  auto expired = Client(vpp, "Old").Get("/assets");
  CHECK(expired.status == 401);
  CHECK(ErrorNumber(expired) == 9621);
  auto revoked = Client(vpp, "Gone").Get("/assets");
  CHECK(revoked.status == 401);
  CHECK(ErrorNumber(revoked) == 9625);

  vpp.SetControl(R"({"revoked_locations": ["Main"]})");
  CHECK(ErrorNumber(client.Get("/client/config")) == 9625);
  vpp.SetControl(R"({"expired_locations": ["Main"]})");
  CHECK(ErrorNumber(client.Get("/client/config")) == 9621);
  vpp.SetControl("{}");
  CHECK(client.Get("/client/config").status == 200);
  CHECK(client.Send("DELETE", "/assets", "").status == 405);
  CHECK(ErrorNumber(client.Send("DELETE", "/assets", "")) == 9726);
  CHECK(client.Get("/nothing").status == 404);
}

TEST_CASE("assets and assignments come in pages, nextPageIndex until the last; filters", "[vpp-fake]") {
  FakeVpp::Options o;
  o.page_size = 2;
  o.assets = {{"1", 10}, {"2", 10}, {"3", 10, "STDQ", "Book", false}, {"4", 10}, {"5", 0}};
  o.event_delay_ms = 0;
  FakeVpp vpp(o);
  Client c(vpp);
  std::vector<std::string> seen;
  std::set<std::string> versions;
  int index = 0;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 10);
    auto r = c.Get("/assets?pageIndex=" + std::to_string(index));
    REQUIRE(r.status == 200);
    auto d = Json(r.body);
    CHECK(d["currentPageIndex"].GetInt() == index);
    CHECK(d["totalPages"].GetInt() == 3);
    CHECK(d["size"].GetInt() == static_cast<int>(d["assets"].Size()));
    CHECK(d.HasMember("tokenExpirationDate"));
    CHECK(d.HasMember("uId"));
    versions.insert(d["versionId"].GetString());
    for (const auto& a : d["assets"].GetArray()) seen.push_back(a["adamId"].GetString());
    if (!d.HasMember("nextPageIndex")) break;
    index = d["nextPageIndex"].GetInt();
  }
  CHECK(seen == std::vector<std::string>{"1", "2", "3", "4", "5"});
  CHECK(versions.size() == 1);
  CHECK(ErrorNumber(c.Get("/assets?pageIndex=3")) == 9650);
  CHECK(ErrorNumber(c.Get("/assets?pageIndex=-1")) == 9650);

  auto books = Json(c.Get("/assets?productType=Book").body);
  REQUIRE(books["assets"].Size() == 1);
  CHECK(std::string(books["assets"][0]["adamId"].GetString()) == "3");
  CHECK_FALSE(books["assets"][0]["deviceAssignable"].GetBool());
  CHECK(Json(c.Get("/assets?maxAvailableCount=0").body)["assets"].Size() == 1);
  CHECK(CountAll(c, "/assets?deviceAssignable=true", "assets") == 4);
  CHECK(ErrorNumber(c.Get("/assets?revocable=maybe")) == 9602);

  auto first = Json(c.Get("/assignments").body);
  CHECK(first["assignments"].Size() == 0);
  CHECK(first["totalPages"].GetInt() == 1);
  const std::string before = first["versionId"].GetString();
  c.Settled(c.Manage("associate", "1", {"S1", "S2", "S3"}));
  c.Settled(c.Manage("associate", "2", {"S1"}));
  auto page0 = Json(c.Get("/assignments").body);
  CHECK(page0["totalPages"].GetInt() == 2);
  CHECK(page0["nextPageIndex"].GetInt() == 1);
  CHECK(std::string(page0["versionId"].GetString()) != before);
  auto page1 = Json(c.Get("/assignments?pageIndex=1").body);
  CHECK(page1["assignments"].Size() == 2);
  CHECK_FALSE(page1.HasMember("nextPageIndex"));
  auto s1 = Json(c.Get("/assignments?serialNumber=S1").body);
  CHECK(s1["assignments"].Size() == 2);
  auto a2 = Json(c.Get("/assignments?adamId=2").body);
  REQUIRE(a2["assignments"].Size() == 1);
  CHECK(std::string(a2["assignments"][0]["serialNumber"].GetString()) == "S1");
  CHECK(std::string(a2["assignments"][0]["pricingParam"].GetString()) == "STDQ");
  CHECK(CountAll(c, "/assignments?sinceVersionId=" + before, "assignments") == 4);
  CHECK(ErrorNumber(c.Get("/assignments?sinceVersionId=nope")) == 9721);
}

TEST_CASE("associate is PENDING, then COMPLETE after the delay; disassociate gives the licences back", "[vpp-fake]") {
  auto o = WithAsset(5);
  o.event_delay_ms = 400;
  FakeVpp vpp(o);
  Client c(vpp);
  const auto event = c.Manage("associate", kAdamId, {"A1", "A2", "A3"});
  auto pending = Json(c.Get("/status?eventId=" + event).body);
  CHECK(std::string(pending["eventStatus"].GetString()) == "PENDING");
  CHECK(std::string(pending["eventType"].GetString()) == "ASSOCIATE");
  CHECK(pending["numRequested"].GetInt() == 3);
  CHECK(vpp.AssetOf(kAdamId).assigned == 0);
  CHECK(vpp.PendingEvents() == 1);

  auto done = c.Settled(event);
  CHECK(std::string(done["eventStatus"].GetString()) == "COMPLETE");
  CHECK(done["numCompleted"].GetInt() == 3);
  CHECK_FALSE(done.HasMember("failures"));
  auto counts = vpp.AssetOf(kAdamId);
  CHECK(counts.assigned == 3);
  CHECK(counts.available == 2);
  CHECK(vpp.Holders(kAdamId) == std::vector<std::string>{"A1", "A2", "A3"});

  auto off = c.Settled(c.Manage("disassociate", kAdamId, {"A2"}));
  CHECK(std::string(off["eventStatus"].GetString()) == "COMPLETE");
  CHECK(std::string(off["eventType"].GetString()) == "DISASSOCIATE");
  CHECK(vpp.AssetOf(kAdamId).available == 3);
  CHECK(vpp.Holders(kAdamId) == std::vector<std::string>{"A1", "A3"});
  auto listed = Json(c.Get("/assets").body);
  CHECK(listed["assets"][0]["assignedCount"].GetInt() == 2);
  CHECK(listed["assets"][0]["availableCount"].GetInt() == 3);

  auto unknown = c.Get("/status?eventId=00000000-0000-0000-0000-000000000000");
  CHECK(unknown.status == 400);
  CHECK(ErrorNumber(unknown) == 9708);
}

TEST_CASE("when licences run short the serials past the count fail 9709; associating again takes none", "[vpp-fake]") {
  auto o = WithAsset(2);
  o.event_delay_ms = 50;
  FakeVpp vpp(o);
  Client c(vpp);
  auto status = c.Settled(c.Manage("associate", kAdamId, {"D1", "D2", "D3"}));
  CHECK(std::string(status["eventStatus"].GetString()) == "FAILED");
  CHECK(status["numRequested"].GetInt() == 3);
  CHECK(status["numCompleted"].GetInt() == 2);
  CHECK(FailedSerials(status, 9709) == std::vector<std::string>{"D3"});
  REQUIRE(status["failures"].Size() == 1);
  CHECK(std::string(status["failures"][0]["errorInfo"]["assets"][0]["adamId"].GetString()) == kAdamId);
  CHECK(vpp.AssetOf(kAdamId).available == 0);

  // The same serials again: those holding a licence complete without a second one.
  auto again = c.Settled(c.Manage("associate", kAdamId, {"D1", "D2"}));
  CHECK(std::string(again["eventStatus"].GetString()) == "COMPLETE");
  CHECK(vpp.AssetOf(kAdamId).assigned == 2);

  // A licence freed goes to the next request.
  c.Settled(c.Manage("disassociate", kAdamId, {"D1"}));
  auto third = c.Settled(c.Manage("associate", kAdamId, {"D3"}));
  CHECK(std::string(third["eventStatus"].GetString()) == "COMPLETE");
  CHECK(vpp.Holders(kAdamId) == std::vector<std::string>{"D2", "D3"});

  // unknown_serials fail on their own, with 9609 unless told otherwise.
  vpp.SetControl(R"({"unknown_serials": ["X1"], "event_delay_ms": 0})");
  c.Settled(c.Manage("disassociate", kAdamId, {"D2"}));
  auto unknown = c.Settled(c.Manage("associate", kAdamId, {"X1", "D4"}));
  CHECK(FailedSerials(unknown, 9609) == std::vector<std::string>{"X1"});
  CHECK(FailedSerials(unknown, 9709).empty());
  CHECK(vpp.Holders(kAdamId) == std::vector<std::string>{"D3", "D4"});
}

TEST_CASE("the synchronous checks refuse a request and do nothing", "[vpp-fake]") {
  FakeVpp::Options o;
  o.assets = {{kAdamId, 100}, {"555", 100, "STDQ", "Book", false, false}};
  o.max_serial_numbers = 3;
  FakeVpp vpp(o);
  Client c(vpp);
  auto refused = [&c](const std::string& body, int number) {
    auto r = c.Post("/assets/associate", body);
    INFO(body << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(ErrorNumber(r) == number);
  };
  refused(ManageBody(kAdamId, Serials(0, 4)), 9702);
  refused(ManageBody(kAdamId, {"A", "B", "A"}), 9705);
  refused(ManageBody("999", {"A"}), 9602);
  refused(ManageBody("555", {"A"}), 9707);
  refused(R"({"serialNumbers":["A"]})", 9718);
  refused(R"({"assets":[{"adamId":"361309726"}]})", 9719);
  refused(R"({"assets":[{"adamId":"361309726"},{"adamId":"361309726"}],"serialNumbers":["A"]})", 9703);
  refused("[1,2]", 9602);
  auto disassociate = c.Post("/assets/disassociate", R"({"assets":[{"adamId":"555"}],"clientUserIds":["u"]})");
  CHECK(ErrorNumber(disassociate) == 9706);
  auto type = c.Send("POST", "/assets/associate", ManageBody(kAdamId, {"A"}),
                     {{"Authorization", "Bearer " + vpp.token_file()}, {"Content-Type", "text/plain"}});
  CHECK(type.status == 415);
  CHECK(ErrorNumber(type) == 9727);
  CHECK(vpp.AssetOf(kAdamId).assigned == 0);
  CHECK(vpp.PendingEvents() == 0);

  // limits in control.json are announced and enforced.
  vpp.SetControl(R"({"limits": {"maxSerialNumbers": 2}})");
  CHECK(Json(c.Get("/service/config").body)["limits"]["maxSerialNumbers"].GetInt() == 2);
  refused(ManageBody(kAdamId, Serials(0, 3)), 9702);
  CHECK(c.Post("/assets/associate", ManageBody(kAdamId, Serials(0, 2))).status == 200);
}

TEST_CASE("rate_limit answers the next N requests 429 with Retry-After; unavailable 503; by path", "[vpp-fake]") {
  FakeVpp vpp(WithAsset(10));
  Client c(vpp);
  vpp.SetControl(R"({"rate_limit": {"count": 2, "retry_after": 7}})");
  for (int i = 0; i < 2; ++i) {
    auto r = c.Get("/assets");
    CHECK(r.status == 429);
    CHECK(r.headers["retry-after"] == "7");
    CHECK(ErrorNumber(r) == 9646);
  }
  CHECK(c.Get("/assets").status == 200);

  vpp.SetControl(R"({"unavailable": {"count": 1, "retry_after": 2, "path": "/mdm/v2/assets/associate"}})");
  CHECK(c.Get("/assets").status == 200);
  auto busy = c.Post("/assets/associate", ManageBody(kAdamId, {"R1"}));
  CHECK(busy.status == 503);
  CHECK(busy.headers["retry-after"] == "2");
  CHECK(ErrorNumber(busy) == 9729);
  CHECK(c.Post("/assets/associate", ManageBody(kAdamId, {"R1"})).status == 200);

  vpp.SetControl(R"({"rate_limit": {"count": 1}})");
  auto bare = c.Get("/client/config");
  CHECK(bare.status == 429);
  CHECK(bare.headers.count("retry-after") == 0);

  std::vector<long> statuses;
  for (const auto& r : vpp.Requests()) statuses.push_back(r.status);
  CHECK(statuses == std::vector<long>{429, 429, 200, 200, 503, 200, 429});
  auto records = vpp.Requests();
  CHECK(records[5].path == "/mdm/v2/assets/associate");
  CHECK(records[5].location == "Fake Location");
  CHECK_THAT(records[5].body, Catch::Contains("R1"));
}

TEST_CASE("client/config stores our mdmInfo; a token claimed by another MDM shows that server's", "[vpp-fake]") {
  FakeVpp::Options o;
  o.locations = {{"Free"}, {"Taken"}};
  o.locations[1].claimed_by = FakeVpp::MdmInfo{"other-id", "Other MDM", "1.0"};
  FakeVpp vpp(o);
  Client unclaimed(vpp, "Free");
  auto before = Json(unclaimed.Get("/client/config").body);
  CHECK(std::string(before["locationName"].GetString()) == "Free");
  CHECK_FALSE(before.HasMember("mdmInfo"));
  auto set = unclaimed.Post("/client/config", R"({"mdmInfo":{"id":"ours","name":"mdm","metadata":"0.1"}})");
  REQUIRE(set.status == 200);
  CHECK(std::string(Json(set.body)["mdmInfo"]["id"].GetString()) == "ours");
  CHECK(std::string(Json(unclaimed.Get("/assets").body)["mdmInfo"]["id"].GetString()) == "ours");
  CHECK(ErrorNumber(unclaimed.Post("/client/config", R"({"mdmInfo":{"id":"ours"}})")) == 9723);

  Client claimed(vpp, "Taken");
  auto other = Json(claimed.Get("/client/config").body);
  CHECK(std::string(other["mdmInfo"]["id"].GetString()) == "other-id");
  CHECK(std::string(other["mdmInfo"]["name"].GetString()) == "Other MDM");
  // Taking it over is a POST, as at Apple.
  claimed.Post("/client/config", R"({"mdmInfo":{"id":"ours","name":"mdm","metadata":"0.1"}})");
  CHECK(vpp.ClaimedBy("Taken")->id == "ours");

  // Another server claims the free one while we are away.
  vpp.SetControl(R"({"claimed_by": {"location": "Free", "id": "intruder", "name": "Intruder", "metadata": ""}})");
  CHECK(std::string(Json(unclaimed.Get("/client/config").body)["mdmInfo"]["id"].GetString()) == "intruder");
  CHECK(vpp.ClaimedBy("Taken")->id == "ours");
}

TEST_CASE("a change by hand in ABM shows in assignments and counts", "[vpp-fake]") {
  FakeVpp vpp(WithAsset(3));
  Client c(vpp);
  CHECK(vpp.AssignByHand(kAdamId, {"H1", "H2", "H3", "H4"}) == std::vector<std::string>{"H4"});
  auto listed = Json(c.Get("/assignments?adamId=" + std::string(kAdamId)).body);
  CHECK(listed["assignments"].Size() == 3);
  CHECK(vpp.AssetOf(kAdamId).available == 0);
  CHECK(vpp.AssignByHand(kAdamId, {"H2"}, true).empty());
  CHECK(vpp.AssetOf(kAdamId).available == 1);
  CHECK(vpp.Holders(kAdamId) == std::vector<std::string>{"H1", "H3"});
  CHECK(vpp.Requests().size() == 1);  // the test endpoints are not recorded
}

TEST_CASE("10,000 serials are associated in 10 requests of 1,000 quickly", "[vpp-fake]") {
  auto o = WithAsset(9500);
  o.event_delay_ms = 100;
  FakeVpp vpp(o);
  Client c(vpp);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> events;
  for (int batch = 0; batch < 10; ++batch) events.push_back(c.Manage("associate", kAdamId, Serials(batch * 1000, 1000)));
  int failed = 0;
  for (const auto& e : events) failed += static_cast<int>(FailedSerials(c.Settled(e), 9709).size());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(failed == 500);
  auto counts = vpp.AssetOf(kAdamId);
  CHECK(counts.assigned == 9500);
  CHECK(counts.available == 0);
  int pages = 0;
  for (int index = 0;; ++pages) {
    auto d = Json(c.Get("/assignments?pageIndex=" + std::to_string(index)).body);
    if (!d.HasMember("nextPageIndex")) break;
    index = d["nextPageIndex"].GetInt();
  }
  CHECK(pages + 1 == 10);
  WARN("10,000 serials associated, 9,500 licences, in " << seconds << " s");
  CHECK(seconds < 10);
}
