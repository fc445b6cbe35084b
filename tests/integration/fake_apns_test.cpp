// The APNs fake itself, spoken to with libcurl the way a push client would: HTTP/2 over TLS with
// the push certificate held in memory.
#include <catch2/catch.hpp>
#include <curl/curl.h>

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "fake_apns.h"

using mdm::test::FakeApns;

namespace {

const std::string kTopic = "com.apple.mgmt.External.11111111-2222-3333-4444-555555555555";

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Answer {
  CURLcode code = CURLE_OK;
  long status = 0;
  long http_version = 0;
  std::string body;
  std::string apns_id;
};

size_t OnBody(char* p, size_t size, size_t n, void* answer) {
  static_cast<Answer*>(answer)->body.append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* answer) {
  static const std::regex apns_id("^apns-id:\\s*([^\\r\\n]*)", std::regex::icase);
  const std::string line(p, size * n);
  std::smatch m;
  if (std::regex_search(line, m, apns_id)) static_cast<Answer*>(answer)->apns_id = m[1].str();
  return size * n;
}

// One libcurl handle, so its pushes share a connection as long as the fake keeps it open.
class PushClient {
 public:
  // Empty cert_pem: no client certificate.
  PushClient(const FakeApns& fake, std::string cert_pem, std::string key_pem)
      : curl_(curl_easy_init()), url_(fake.url()), ca_file_(fake.ca_file()), cert_pem_(std::move(cert_pem)),
        key_pem_(std::move(key_pem)) {
    REQUIRE(curl_);
  }
  explicit PushClient(const FakeApns& fake) : PushClient(fake, fake.client_cert_pem(), fake.client_key_pem()) {}

  Answer Post(const std::string& path, const std::vector<std::string>& headers, const std::string& body) {
    CURL* c = curl_.get();
    curl_easy_reset(c);  // keeps the connection
    Answer a;
    const std::string url = url_ + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_slist* list = curl_slist_append(nullptr, "Content-Type:");
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    std::unique_ptr<curl_slist, SlistDeleter> header_list(list);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(c, CURLOPT_CAINFO, ca_file_.c_str());
    curl_blob cert{cert_pem_.data(), cert_pem_.size(), CURL_BLOB_NOCOPY};
    curl_blob key{key_pem_.data(), key_pem_.size(), CURL_BLOB_NOCOPY};
    if (!cert_pem_.empty()) {
      curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
      curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    a.code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &a.http_version);
    return a;
  }

  // An MDM push to `token`: well-formed, but for the headers in `changes` (an empty value drops
  // the header).
  Answer Push(const std::string& token, const std::map<std::string, std::string>& changes = {}) {
    std::map<std::string, std::string> fields = {
        {"apns-topic", kTopic}, {"apns-push-type", "mdm"}, {"apns-priority", "10"}, {"apns-expiration", "86400"}};
    for (const auto& [name, value] : changes) fields[name] = value;
    std::vector<std::string> headers;
    for (const auto& [name, value] : fields)
      if (!value.empty()) headers.push_back(name + ": " + value);
    return Post("/3/device/" + token, headers, R"({"mdm":"magic-1"})");
  }

 private:
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::string url_, ca_file_, cert_pem_, key_pem_;
};

std::string NewToken() { return mdm::crypto::RandomHex(32); }

bool IsUuid(const std::string& s) {
  static const std::regex uuid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(s, uuid);
}

}  // namespace

TEST_CASE("apns fake: a good push is answered 200 with an apns-id and recorded") {
  FakeApns fake(kTopic);
  PushClient client(fake);
  const std::string token = NewToken();

  Answer a = client.Push(token);
  REQUIRE(a.code == CURLE_OK);
  CHECK(a.http_version == CURL_HTTP_VERSION_2_0);
  CHECK(a.status == 200);
  CHECK(a.body.empty());
  CHECK(IsUuid(a.apns_id));

  const std::string id = "0a1b2c3d-0000-4000-8000-123456789abc";
  Answer echoed = client.Push(token, {{"apns-id", id}});
  CHECK(echoed.status == 200);
  CHECK(echoed.apns_id == id);

  auto pushes = fake.Pushes();
  REQUIRE(pushes.size() == 2);
  const FakeApns::Push& p = pushes[0];
  CHECK(p.token == token);
  CHECK(p.topic == kTopic);
  CHECK(p.mdm == "magic-1");
  CHECK(p.expiration == 86400);
  CHECK(p.priority == 10);
  CHECK(p.push_type == "mdm");
  CHECK(p.apns_id == a.apns_id);
  CHECK(p.status == 200);
  CHECK(pushes[1].apns_id == id);
  // Both over one connection.
  CHECK(fake.Sessions() == 1);
}

TEST_CASE("apns fake: malformed pushes get APNs' 4xx reasons") {
  FakeApns fake(kTopic);
  PushClient client(fake);
  const std::string token = NewToken();

  Answer wrong_topic = client.Push(token, {{"apns-topic", "com.example.other"}});
  CHECK(wrong_topic.status == 400);
  CHECK(wrong_topic.body == R"({"reason":"DeviceTokenNotForTopic"})");

  Answer no_topic = client.Push(token, {{"apns-topic", ""}});
  CHECK(no_topic.status == 400);
  CHECK(no_topic.body == R"({"reason":"MissingTopic"})");

  Answer bad_token = client.Push("not-a-token");
  CHECK(bad_token.status == 400);
  CHECK(bad_token.body == R"({"reason":"BadDeviceToken"})");

  Answer short_token = client.Push(token.substr(0, 32));
  CHECK(short_token.status == 400);
  CHECK(short_token.body == R"({"reason":"BadDeviceToken"})");

  Answer bad_path = client.Post("/4/device/" + token, {"apns-topic: " + kTopic}, R"({"mdm":"m"})");
  CHECK(bad_path.status == 404);
  CHECK(bad_path.body == R"({"reason":"BadPath"})");

  Answer alert = client.Push(token, {{"apns-push-type", "alert"}});
  CHECK(alert.status == 400);
  CHECK(alert.body == R"({"reason":"InvalidPushType"})");

  Answer priority = client.Push(token, {{"apns-priority", "7"}});
  CHECK(priority.status == 400);
  CHECK(priority.body == R"({"reason":"BadPriority"})");

  Answer expiration = client.Push(token, {{"apns-expiration", "tomorrow"}});
  CHECK(expiration.status == 400);
  CHECK(expiration.body == R"({"reason":"BadExpirationDate"})");

  const std::vector<std::string> headers = {"apns-topic: " + kTopic, "apns-push-type: mdm"};
  Answer empty = client.Post("/3/device/" + token, headers, "");
  CHECK(empty.status == 400);
  CHECK(empty.body == R"({"reason":"PayloadEmpty"})");

  Answer alert_body = client.Post("/3/device/" + token, headers, R"({"aps":{"alert":"hi"}})");
  CHECK(alert_body.status == 400);
  CHECK(alert_body.body == R"({"reason":"BadMdmPayload"})");

  // Each one recorded with its status; none of them a 200.
  auto pushes = fake.Pushes();
  CHECK(pushes.size() == 10);
  for (const auto& p : pushes) CHECK(p.status >= 400);
  CHECK(pushes[0].reason == "DeviceTokenNotForTopic");
}

TEST_CASE("apns fake: behaviours set per token are honoured in order") {
  FakeApns fake(kTopic);
  PushClient client(fake);
  const std::string dead = NewToken(), busy = NewToken(), other = NewToken();
  fake.SetBehaviour(dead, {"410"});
  fake.SetBehaviour(busy, {"429", "200"});

  Answer gone = client.Push(dead);
  CHECK(gone.status == 410);
  CHECK_THAT(gone.body, Catch::StartsWith(R"({"reason":"Unregistered","timestamp":)"));
  CHECK(client.Push(dead).status == 410);  // the last action repeats

  Answer throttled = client.Push(busy);
  CHECK(throttled.status == 429);
  CHECK(throttled.body == R"({"reason":"TooManyRequests"})");
  CHECK(client.Push(busy).status == 200);
  CHECK(client.Push(busy).status == 200);

  CHECK(client.Push(other).status == 200);  // not listed: 200

  fake.SetBehaviour("*", {"503"});
  Answer unavailable = client.Push(other);
  CHECK(unavailable.status == 503);
  CHECK(unavailable.body == R"({"reason":"ServiceUnavailable"})");

  CHECK_THROWS_AS(fake.SetBehaviour(other, {"204"}), std::invalid_argument);

  std::vector<int> statuses;
  for (const auto& p : fake.Pushes()) statuses.push_back(p.status);
  CHECK(statuses == std::vector<int>{410, 410, 429, 200, 200, 200, 503});
}

TEST_CASE("apns fake: a dropped connection or a GOAWAY ends the session") {
  FakeApns fake(kTopic);
  PushClient client(fake);
  const std::string token = NewToken();
  fake.SetBehaviour(token, {"close", "goaway", "200"});

  Answer dropped = client.Push(token);
  CHECK(dropped.code != CURLE_OK);
  CHECK(dropped.status == 0);
  CHECK(fake.Sessions() == 1);

  // GOAWAY, then RST_STREAM REFUSED_STREAM for the push.
  Answer refused = client.Push(token);
  CHECK(refused.code != CURLE_OK);
  CHECK(refused.status == 0);
  CHECK(fake.Sessions() == 2);

  Answer answered = client.Push(token);
  CHECK(answered.code == CURLE_OK);
  CHECK(answered.status == 200);

  auto pushes = fake.Pushes();
  REQUIRE(pushes.size() == 3);
  CHECK((pushes[0].status == 0 && pushes[0].reason == "close"));
  CHECK((pushes[1].status == 0 && pushes[1].reason == "goaway"));
  CHECK(pushes[2].status == 200);
  CHECK(fake.Sessions() == 3);
}

TEST_CASE("apns fake: refuses client certificates from another CA, and none at all") {
  FakeApns fake(kTopic);
  auto [foreign_cert, foreign_key] = fake.foreign_client_identity();
  PushClient foreign(fake, foreign_cert, foreign_key);
  Answer a = foreign.Push(NewToken());
  CHECK(a.code != CURLE_OK);
  CHECK(a.status == 0);

  PushClient anonymous(fake, "", "");
  Answer b = anonymous.Push(NewToken());
  CHECK(b.code != CURLE_OK);
  CHECK(b.status == 0);

  CHECK(fake.Pushes().empty());
  CHECK(fake.Sessions() == 0);
}
