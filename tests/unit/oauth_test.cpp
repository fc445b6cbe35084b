#include <catch2/catch.hpp>

#include "abm/oauth.h"

using namespace mdm::abm;

TEST_CASE("oauth: percent-encoding follows RFC 3986", "[oauth]") {
  CHECK(PercentEncode("Ladies + Gentlemen") == "Ladies%20%2B%20Gentlemen");
  CHECK(PercentEncode("An encoded string!") == "An%20encoded%20string%21");
  CHECK(PercentEncode("Dogs, Cats & Mice") == "Dogs%2C%20Cats%20%26%20Mice");
  CHECK(PercentEncode("-._~") == "-._~");
  CHECK(PercentEncode("\xe2\x98\x83") == "%E2%98%83");
}

// The widely published vector of a signed POST (Twitter's developer documentation, "Creating a
// signature": its base string and its result).
TEST_CASE("oauth: a known HMAC-SHA1 signature vector", "[oauth]") {
  OAuthCredentials c{"xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                     "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"};
  std::vector<std::pair<std::string, std::string>> params = {
      {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
      {"oauth_consumer_key", c.consumer_key},
      {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
      {"oauth_signature_method", "HMAC-SHA1"},
      {"oauth_timestamp", "1318622958"},
      {"oauth_token", c.access_token},
      {"oauth_version", "1.0"}};
  std::string base = SignatureBaseString("post", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true", params);
  CHECK(base ==
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%"
        "3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%"
        "3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%"
        "26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%"
        "2520request%2521");
  CHECK(HmacSha1Signature(base, c.consumer_secret, c.access_secret) == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
  std::string header = AuthorizationHeader("POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true", c,
                                           "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", "1318622958",
                                           {{"status", "Hello Ladies + Gentlemen, a signed OAuth request!"}});
  CHECK_THAT(header, Catch::Contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""));
  CHECK_THAT(header, Catch::StartsWith("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\""));
}

TEST_CASE("oauth: base URL normalisation", "[oauth]") {
  auto b = SignatureBaseString("get", "HTTPS://MDMenrollment.apple.com:443/session", {});
  CHECK(b == "GET&https%3A%2F%2Fmdmenrollment.apple.com%2Fsession&");
}
