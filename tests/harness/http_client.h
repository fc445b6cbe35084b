// A small libcurl client for tests: HTTPS to the local nginx, trusting the stack's certificate.
#pragma once

#include <curl/curl.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mdm::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;                           // transport error, if any
};

class HttpClient {
 public:
  explicit HttpClient(std::string ca_file = "");
  HttpResponse Request(const std::string& method, const std::string& url, const std::string& body,
                       const Headers& headers = {});
  void set_ca_file(std::string f) { ca_file_ = std::move(f); }
  // A TLS client certificate and key (PEM, kept in memory) for mutual TLS; empty: none.
  void set_client_identity(std::string cert_pem, std::string key_pem) {
    client_cert_ = std::move(cert_pem);
    client_key_ = std::move(key_pem);
  }

 private:
  struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::string ca_file_, client_cert_, client_key_;
};

}  // namespace mdm::test
