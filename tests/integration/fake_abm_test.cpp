// The fake of Apple's device enrollment API (tests/fakes/abm.js) on its own: OAuth 1.0a sessions
// signed here, paging, sync, cursor errors, profiles and the strictness a real client must meet.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crypto/crypto.h"
#include "fake_abm.h"
#include "http_client.h"

using mdm::test::FakeAbm;
using mdm::test::HttpClient;
using mdm::test::HttpResponse;

namespace {

constexpr const char* kJsonType = "application/json;charset=UTF8";
using Params = std::vector<std::pair<std::string, std::string>>;

// RFC 5849 section 3.6: all but ALPHA, DIGIT, "-", ".", "_", "~" as %XX.
std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  INFO(text);
  REQUIRE(!d.HasParseError());
  return d;
}

struct Credentials {
  std::string consumer_key, consumer_secret, access_token, access_secret;
};

Credentials CredentialsOf(const FakeAbm& abm) {
  auto d = Json(abm.token_json());
  return {d["consumer_key"].GetString(), d["consumer_secret"].GetString(), d["access_token"].GetString(),
          d["access_secret"].GetString()};
}

// "OAuth ..." for a request signed with HMAC-SHA1 (RFC 5849 section 3.4): the base string is
// METHOD & enc(url without query) & enc(sorted enc(name)=enc(value) of the oauth_* and query
// parameters, joined by "&"), the key enc(consumer secret) & enc(access secret).
std::string OAuthHeader(const Credentials& c, const std::string& method, const std::string& url, const Params& query,
                        const std::string& nonce) {
  std::map<std::string, std::string> oauth = {
      {"oauth_consumer_key", c.consumer_key},         {"oauth_nonce", nonce},
      {"oauth_signature_method", "HMAC-SHA1"},        {"oauth_timestamp", std::to_string(std::time(nullptr))},
      {"oauth_token", c.access_token},                {"oauth_version", "1.0"}};
  Params encoded;
  for (const auto& [name, value] : oauth) encoded.emplace_back(PercentEncode(name), PercentEncode(value));
  for (const auto& [name, value] : query) encoded.emplace_back(PercentEncode(name), PercentEncode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string normalized;
  for (const auto& [name, value] : encoded) normalized += (normalized.empty() ? "" : "&") + name + "=" + value;
  const std::string base = method + "&" + PercentEncode(url) + "&" + PercentEncode(normalized);
  const std::string key = PercentEncode(c.consumer_secret) + "&" + PercentEncode(c.access_secret);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(base.data()),
       base.size(), mac, &mac_len);
  oauth["oauth_signature"] = mdm::crypto::Base64Encode({reinterpret_cast<const char*>(mac), mac_len});
  std::string header = "OAuth ";
  for (const auto& [name, value] : oauth) {
    header += (header.size() > 6 ? ", " : "") + name + "=\"" + PercentEncode(value) + "\"";
  }
  return header;
}

std::string Nonce() { return mdm::crypto::RandomHex(16); }

// Talks to the fake the way a DEP client does: signs /session, sends the session and protocol
// headers, keeps the newest session token the fake hands out.
class AbmClient {
 public:
  explicit AbmClient(const FakeAbm& abm) : abm_(abm), http_(abm.ca_file()), credentials_(CredentialsOf(abm)) {}

  const Credentials& credentials() const { return credentials_; }
  const std::string& session() const { return session_; }
  const std::set<std::string>& sessions_seen() const { return sessions_seen_; }

  HttpResponse Session(const Credentials& c, const std::string& nonce, const Params& query = {}) {
    std::string url = abm_.url() + "/session";
    std::string header = OAuthHeader(c, "GET", url, query, nonce);
    for (size_t i = 0; i < query.size(); ++i) {
      url.push_back(i == 0 ? '?' : '&');
      url += PercentEncode(query[i].first);
      url.push_back('=');
      url += PercentEncode(query[i].second);
    }
    return SessionWithHeader(url, header);
  }

  HttpResponse SessionWithHeader(const std::string& url, const std::string& authorization) {
    return http_.Request("GET", url, "", {{"Authorization", authorization}});
  }

  void Login() {
    auto r = Session(credentials_, Nonce());
    INFO(r.body);
    REQUIRE(r.status == 200);
    Keep(Json(r.body)["auth_session_token"].GetString());
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& content_type = kJsonType) {
    mdm::test::Headers headers = {{"X-Server-Protocol-Version", "3"}, {"X-ADM-Auth-Session", session_}};
    if (!body.empty()) headers.emplace_back("Content-Type", content_type);
    auto r = http_.Request(method, abm_.url() + path, body, headers);
    REQUIRE(r.error.empty());
    if (auto it = r.headers.find("x-adm-auth-session"); it != r.headers.end()) Keep(it->second);
    return r;
  }

  // POSTs a device request and returns its answer, which must be 200.
  rapidjson::Document Page(const std::string& path, const std::string& body) {
    auto r = Call("POST", path, body);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return Json(r.body);
  }

 private:
  void Keep(const std::string& token) {
    session_ = token;
    sessions_seen_.insert(token);
  }

  const FakeAbm& abm_;
  HttpClient http_;
  Credentials credentials_;
  std::string session_;
  std::set<std::string> sessions_seen_;
};

std::string CursorBody(const std::string& cursor, int limit = 1000) {
  return R"({"limit":)" + std::to_string(limit) + R"(,"cursor":")" + cursor + R"("})";
}

// A full fetch to its end: every serial, in order, and the final (sync) cursor. Bounded by `max_pages`.
std::pair<std::vector<std::string>, std::string> FullFetch(AbmClient& c, int limit, int max_pages) {
  std::vector<std::string> serials;
  std::string cursor;
  bool more = true;
  for (int page = 0; more && page < max_pages; ++page) {
    auto d = c.Page("/server/devices", cursor.empty() ? R"({"limit":)" + std::to_string(limit) + "}" : CursorBody(cursor, limit));
    for (const auto& device : d["devices"].GetArray()) serials.push_back(device["serial_number"].GetString());
    cursor = d["cursor"].GetString();
    more = d["more_to_follow"].GetBool();
  }
  REQUIRE_FALSE(more);
  return {serials, cursor};
}

}  // namespace

TEST_CASE("a correctly signed /session returns a session token", "[abm]") {
  FakeAbm abm;
  AbmClient c(abm);
  auto r = c.Session(c.credentials(), Nonce());
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(std::string(Json(r.body)["auth_session_token"].GetString()).size() >= 16);
  // Query parameters are part of the signed parameters.
  auto q = c.Session(c.credentials(), Nonce(), {{"note", "a b+c/~*'"}, {"a", "2"}, {"a", "1"}});
  INFO(q.body);
  CHECK(q.status == 200);
}

TEST_CASE("a wrong signature, key or token is 401", "[abm]") {
  FakeAbm abm;
  AbmClient c(abm);
  Credentials wrong_secret = c.credentials();
  wrong_secret.consumer_secret += "x";
  auto r = c.Session(wrong_secret, Nonce());
  CHECK(r.status == 401);
  CHECK_THAT(r.body, Catch::Contains("signature_invalid"));

  Credentials wrong_access_secret = c.credentials();
  wrong_access_secret.access_secret = "AS_other";
  CHECK(c.Session(wrong_access_secret, Nonce()).status == 401);

  Credentials wrong_key = c.credentials();
  wrong_key.consumer_key = "CK_other";
  r = c.Session(wrong_key, Nonce());
  CHECK(r.status == 401);
  CHECK_THAT(r.body, Catch::Contains("consumer_key_unknown"));

  Credentials wrong_token = c.credentials();
  wrong_token.access_token = "AT_Oother";
  r = c.Session(wrong_token, Nonce());
  CHECK(r.status == 401);
  CHECK_THAT(r.body, Catch::Contains("token_rejected"));

  // Signed for one URL, sent to another.
  std::string header = OAuthHeader(c.credentials(), "GET", abm.url() + "/session", {}, Nonce());
  CHECK(c.SessionWithHeader(abm.url() + "/session?x=1", header).status == 401);
  CHECK(c.SessionWithHeader(abm.url() + "/session", "Bearer nothing").status == 401);
}

TEST_CASE("a replayed nonce is 401", "[abm]") {
  FakeAbm abm;
  AbmClient c(abm);
  std::string header = OAuthHeader(c.credentials(), "GET", abm.url() + "/session", {}, Nonce());
  CHECK(c.SessionWithHeader(abm.url() + "/session", header).status == 200);
  auto again = c.SessionWithHeader(abm.url() + "/session", header);
  CHECK(again.status == 401);
  CHECK_THAT(again.body, Catch::Contains("nonce_used"));
}

TEST_CASE("/account needs a live session and the protocol version", "[abm]") {
  FakeAbm abm;
  AbmClient c(abm);
  auto anonymous = c.Call("GET", "/account");
  CHECK(anonymous.status == 401);
  CHECK_THAT(anonymous.body, Catch::Contains("UNAUTHORIZED"));

  c.Login();
  auto r = c.Call("GET", "/account");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = Json(r.body);
  for (const char* field : {"server_name", "server_uuid", "admin_id", "facilitator_id", "org_name", "org_email",
                            "org_phone", "org_address", "org_type", "org_version", "org_id", "org_id_hash"}) {
    INFO(field);
    CHECK(d[field].IsString());
  }
  CHECK(d["urls"].IsArray());

  HttpClient raw(abm.ca_file());
  auto no_version = raw.Request("GET", abm.url() + "/account", "", {{"X-ADM-Auth-Session", c.session()}});
  CHECK(no_version.status == 400);
}

TEST_CASE("paging over /server/devices returns every device exactly once", "[abm]") {
  FakeAbm abm(2500, 1000);
  AbmClient c(abm);
  c.Login();
  // The limit asked for is capped at the fake's maximum: three pages.
  auto [serials, cursor] = FullFetch(c, 5000, 3);
  CHECK(serials.size() == 2500);
  CHECK(std::set<std::string>(serials.begin(), serials.end()).size() == 2500);
  CHECK(serials.front() == "ABM00000001");
  CHECK(serials.back() == "ABM00002500");

  auto exhausted = c.Call("POST", "/server/devices", CursorBody(cursor));
  CHECK(exhausted.status == 400);
  CHECK_THAT(exhausted.body, Catch::Contains("EXHAUSTED_CURSOR"));
  auto sync = c.Page("/devices/sync", CursorBody(cursor));
  CHECK(sync["devices"].Empty());
  CHECK_FALSE(sync["more_to_follow"].GetBool());

  // The fake rotated the session token on the way, and the newest one works.
  CHECK(c.sessions_seen().size() > 1);
  CHECK(c.Call("GET", "/account").status == 200);
}

TEST_CASE("/devices/sync returns the changes set in control.json", "[abm]") {
  FakeAbm abm(10);
  AbmClient c(abm);
  c.Login();
  auto [serials, cursor] = FullFetch(c, 100, 1);
  REQUIRE(serials.size() == 10);

  const std::string changes =
      R"({"serial":"NEW00000001","op_type":"added","model":"iPhone 15"},)"
      R"({"serial":"ABM00000002","op_type":"modified","color":"RED","op_date":"2030-01-01T00:00:00Z"},)"
      R"({"serial":"ABM00000003","op_type":"deleted"})";
  abm.SetControl(R"({"changes":[)" + changes + "]}");
  auto sync = c.Page("/devices/sync", CursorBody(cursor));
  const auto& devices = sync["devices"];
  REQUIRE(devices.Size() == 3);
  CHECK(std::string(devices[0]["serial_number"].GetString()) == "NEW00000001");
  CHECK(std::string(devices[0]["op_type"].GetString()) == "added");
  CHECK(std::string(devices[0]["model"].GetString()) == "iPhone 15");
  CHECK(std::string(devices[1]["op_type"].GetString()) == "modified");
  CHECK(std::string(devices[1]["color"].GetString()) == "RED");
  CHECK(std::string(devices[1]["op_date"].GetString()) == "2030-01-01T00:00:00Z");
  CHECK(std::string(devices[2]["op_type"].GetString()) == "deleted");
  CHECK(devices[2]["op_date"].IsString());
  cursor = sync["cursor"].GetString();

  // The account follows: the new device is in, the deleted one out.
  auto details = c.Page("/devices", R"({"devices":["NEW00000001","ABM00000003"]})");
  CHECK(std::string(details["devices"]["NEW00000001"]["response_status"].GetString()) == "SUCCESS");
  CHECK(std::string(details["devices"]["ABM00000003"]["response_status"].GetString()) == "NOT_ACCESSIBLE");
  auto [after, unused] = FullFetch(c, 100, 1);
  CHECK(after.size() == 10);
  CHECK(std::count(after.begin(), after.end(), "ABM00000003") == 0);
  CHECK(after.back() == "NEW00000001");

  // Nothing new: an empty page. A change appended to the list: only that one.
  CHECK(c.Page("/devices/sync", CursorBody(cursor))["devices"].Empty());
  abm.SetControl(R"({"changes":[)" + changes + R"(,{"serial":"ABM00000002","op_type":"modified","color":"BLUE"}]})");
  auto next = c.Page("/devices/sync", CursorBody(cursor));
  REQUIRE(next["devices"].Size() == 1);
  CHECK(std::string(next["devices"][0]["color"].GetString()) == "BLUE");

  auto no_cursor = c.Call("POST", "/devices/sync", R"({"limit":10})");
  CHECK(no_cursor.status == 400);
  CHECK_THAT(no_cursor.body, Catch::Contains("CURSOR_REQUIRED"));
}

TEST_CASE("cursors from before expire_cursors are 400 EXPIRED_CURSOR; a new full fetch recovers", "[abm]") {
  FakeAbm abm(5);
  AbmClient c(abm);
  c.Login();
  auto [serials, cursor] = FullFetch(c, 100, 1);
  abm.SetControl(R"({"expire_cursors":true})");
  auto expired = c.Call("POST", "/devices/sync", CursorBody(cursor));
  CHECK(expired.status == 400);
  CHECK_THAT(expired.body, Catch::Contains("EXPIRED_CURSOR"));
  auto [again, fresh] = FullFetch(c, 100, 1);
  CHECK(again.size() == 5);
  CHECK(c.Call("POST", "/devices/sync", CursorBody(fresh)).status == 200);

  auto made_up = c.Call("POST", "/devices/sync", CursorBody("0123456789abcdef"));
  CHECK(made_up.status == 400);
  CHECK_THAT(made_up.body, Catch::Contains("INVALID_CURSOR"));
  abm.SetControl(R"({"invalid_cursors":true})");
  auto invalid = c.Call("POST", "/devices/sync", CursorBody(fresh));
  CHECK(invalid.status == 400);
  CHECK_THAT(invalid.body, Catch::Contains("INVALID_CURSOR"));
}

TEST_CASE("a body without exactly Content-Type: application/json;charset=UTF8 is 400", "[abm]") {
  FakeAbm abm(5);
  AbmClient c(abm);
  c.Login();
  for (const char* type : {"application/json", "application/json; charset=UTF8", "application/json;charset=utf-8"}) {
    INFO(type);
    auto r = c.Call("POST", "/server/devices", R"({"limit":10})", type);
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("INVALID_CONTENT_TYPE"));
  }
  CHECK(c.Call("POST", "/server/devices", R"({"limit":10})").status == 200);
  auto malformed = c.Call("POST", "/server/devices", R"({"limit":)");
  CHECK(malformed.status == 400);
  CHECK_THAT(malformed.body, Catch::Contains("MALFORMED_REQUEST_BODY"));
}

TEST_CASE("profiles are defined, read back, assigned and recorded", "[abm]") {
  FakeAbm abm(5);
  AbmClient c(abm);
  c.Login();
  auto missing_url = c.Call("POST", "/profile", R"({"profile_name":"Fleet"})");
  CHECK(missing_url.status == 400);
  CHECK_THAT(missing_url.body, Catch::Contains("CONFIG_URL_REQUIRED"));

  const std::string profile = R"({"profile_name":"Fleet","url":"https://mdm.example/api-mdm.php/profile",)"
                              R"("is_supervised":true,"is_mdm_removable":false,"skip_setup_items":["Siri"]})";
  auto defined = c.Page("/profile", profile);
  const std::string uuid = defined["profile_uuid"].GetString();
  REQUIRE_FALSE(uuid.empty());
  auto read = c.Call("GET", "/profile?profile_uuid=" + uuid);
  REQUIRE(read.status == 200);
  CHECK(std::string(Json(read.body)["profile_name"].GetString()) == "Fleet");

  abm.SetControl(R"({"fail_assign":["ABM00000002"]})");
  const std::string assign =
      R"({"profile_uuid":")" + uuid + R"(","devices":["ABM00000001","ABM00000002","ABM99999999"]})";
  auto assigned = c.Call("PUT", "/profile/devices", assign);
  INFO(assigned.body);
  REQUIRE(assigned.status == 200);
  auto result = Json(assigned.body);
  CHECK(std::string(result["profile_uuid"].GetString()) == uuid);
  CHECK(std::string(result["devices"]["ABM00000001"].GetString()) == "SUCCESS");
  CHECK(std::string(result["devices"]["ABM00000002"].GetString()) == "FAILED");
  CHECK(std::string(result["devices"]["ABM99999999"].GetString()) == "NOT_ACCESSIBLE");
  auto details = c.Page("/devices", R"({"devices":["ABM00000001","ABM00000002"]})");
  CHECK(std::string(details["devices"]["ABM00000001"]["profile_status"].GetString()) == "assigned");
  CHECK(std::string(details["devices"]["ABM00000001"]["profile_uuid"].GetString()) == uuid);
  CHECK(std::string(details["devices"]["ABM00000002"]["profile_status"].GetString()) == "empty");

  auto requests = abm.Requests();
  auto defines = std::count_if(requests.begin(), requests.end(), [](const FakeAbm::Request& r) {
    return r.method == "POST" && r.path == "/profile" && r.status == 200;
  });
  CHECK(defines == 1);
  auto put = std::find_if(requests.begin(), requests.end(),
                          [](const FakeAbm::Request& r) { return r.path == "/profile/devices"; });
  REQUIRE(put != requests.end());
  CHECK(put->method == "PUT");
  CHECK(put->body == assign);
}

TEST_CASE("profiles are removed from devices; disowned devices leave the account as deleted", "[abm]") {
  FakeAbm abm(5);
  AbmClient c(abm);
  c.Login();
  auto [serials, cursor] = FullFetch(c, 100, 1);
  const std::string uuid =
      c.Page("/profile", R"({"profile_name":"Fleet","url":"https://mdm.example/p","devices":["ABM00000001"]})")
          ["profile_uuid"].GetString();
  auto removed = c.Call("DELETE", "/profile/devices", R"({"devices":["ABM00000001","ABM99999999"]})");
  INFO(removed.body);
  REQUIRE(removed.status == 200);
  auto result = Json(removed.body);
  CHECK(std::string(result["devices"]["ABM00000001"].GetString()) == "SUCCESS");
  CHECK(std::string(result["devices"]["ABM99999999"].GetString()) == "NOT_ACCESSIBLE");
  auto details = c.Page("/devices", R"({"devices":["ABM00000001"]})");
  CHECK(std::string(details["devices"]["ABM00000001"]["profile_status"].GetString()) == "empty");
  CHECK_FALSE(details["devices"]["ABM00000001"].HasMember("profile_uuid"));

  auto disowned = c.Page("/devices/disown", R"({"devices":["ABM00000004","ABM99999999"]})");
  CHECK(std::string(disowned["devices"]["ABM00000004"].GetString()) == "SUCCESS");
  CHECK(std::string(disowned["devices"]["ABM99999999"].GetString()) == "NOT_ACCESSIBLE");
  auto sync = c.Page("/devices/sync", CursorBody(cursor));
  REQUIRE(sync["devices"].Size() == 1);
  CHECK(std::string(sync["devices"][0]["serial_number"].GetString()) == "ABM00000004");
  CHECK(std::string(sync["devices"][0]["op_type"].GetString()) == "deleted");
  CHECK(FullFetch(c, 100, 1).first.size() == 4);
}

TEST_CASE("fail_after forces one 401 that ends the session; rate_limit one 429 with Retry-After", "[abm]") {
  FakeAbm abm(5);
  AbmClient c(abm);
  c.Login();
  abm.SetControl(R"({"fail_after":2,"rate_limit":{"after":3,"retry_after":7}})");
  CHECK(c.Call("GET", "/account").status == 200);
  CHECK(c.Call("GET", "/account").status == 401);
  CHECK(c.Call("GET", "/account").status == 401);  // that session is over
  c.Login();
  auto limited = c.Call("GET", "/account");
  CHECK(limited.status == 429);
  CHECK(limited.headers["retry-after"] == "7");
  CHECK(c.Call("GET", "/account").status == 200);
}

TEST_CASE("a 100,000-device account is fetched in pages of 1,000 quickly", "[abm]") {
  FakeAbm abm(100000, 1000);
  AbmClient c(abm);
  c.Login();
  const auto start = std::chrono::steady_clock::now();
  auto [serials, cursor] = FullFetch(c, 1000, 100);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  CHECK(serials.size() == 100000);
  CHECK(std::set<std::string>(serials.begin(), serials.end()).size() == 100000);
  INFO("100 pages in " << ms << " ms");
  CHECK(ms < 30000);  // generous: only a fake that does per-page work in the account size fails it
}
