#include "push/apns_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <mutex>

#include <rapidjson/document.h>

#include "crypto/crypto.h"
#include "json/json.h"

namespace mdm::push {
namespace {

using Clock = std::chrono::steady_clock;

struct EasyDeleter { void operator()(CURL* c) const { curl_easy_cleanup(c); } };
struct MultiDeleter { void operator()(CURLM* m) const { curl_multi_cleanup(m); } };
struct SlistDeleter { void operator()(curl_slist* l) const { curl_slist_free_all(l); } };
using Easy = std::unique_ptr<CURL, EasyDeleter>;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One push in flight: its easy handle and what comes back.
struct Stream {
  Easy easy;
  size_t target = 0;
  std::string url, body, response, apns_id;
  char error[CURL_ERROR_SIZE] = {};
};

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  auto* s = static_cast<Stream*>(ud);
  if (s->response.size() < 4096) s->response.append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  std::string_view line(p, size * n);
  constexpr std::string_view kName = "apns-id:";
  if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    std::string_view v = line.substr(kName.size());
    while (!v.empty() && (v.front() == ' ')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    static_cast<Stream*>(ud)->apns_id = std::string(v);
  }
  return size * n;
}

// APNs's {"reason": "BadDeviceToken"}; "" when there is no body.
std::string Reason(const std::string& body) {
  if (body.empty()) return "";
  rapidjson::Document d;
  if (Status s = json::Parse(body, &d); !s.ok()) return "an unreadable answer (" + s.message() + ")";
  if (d.IsObject() && d.HasMember("reason") && d["reason"].IsString())
    return std::string(d["reason"].GetString(), d["reason"].GetStringLength());
  return "";
}

// A dropped connection: the pushes on it are retried once on a new one.
bool ConnectionLost(CURLcode rc) {
  return rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
         rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE || rc == CURLE_COULDNT_CONNECT;
}

// TLS trouble that no retry mends: our certificate refused, or theirs not trusted.
bool TlsRefused(CURLcode rc, const char* error) {
  if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_PEER_FAILED_VERIFICATION ||
      rc == CURLE_SSL_CACERT_BADFILE)
    return true;
  // With TLS 1.3 a refused client certificate shows as an alert on the first read.
  std::string_view e(error);
  return rc == CURLE_RECV_ERROR && (e.find("alert") != std::string_view::npos);
}

}  // namespace

struct ApnsClient::Impl {
  ApnsOptions opt;
  std::unique_ptr<CURLM, MultiDeleter> multi;
  std::vector<Easy> idle;  // handles kept for reuse, so the connection and TLS session stay warm
  int max_in_flight = 0;

  Easy TakeHandle() {
    if (idle.empty()) return Easy(curl_easy_init());
    Easy e = std::move(idle.back());
    idle.pop_back();
    curl_easy_reset(e.get());
    return e;
  }

  void Configure(Stream& s, curl_slist* headers) {
    CURL* c = s.easy.get();
    curl_easy_setopt(c, CURLOPT_URL, s.url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);  // wait for the multiplexed connection, never open another
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, s.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(s.body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_blob cert{const_cast<char*>(opt.cert_pem.data()), opt.cert_pem.size(), CURL_BLOB_NOCOPY};
    curl_blob key{const_cast<char*>(opt.key_pem.data()), opt.key_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    if (!opt.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, opt.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s.error);
    curl_easy_setopt(c, CURLOPT_PRIVATE, &s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  }
};

ApnsClient::ApnsClient(ApnsOptions options) : impl_(std::make_unique<Impl>()) {
  GlobalInit();
  impl_->opt = std::move(options);
  impl_->opt.max_streams = std::max(1, impl_->opt.max_streams);
  impl_->multi.reset(curl_multi_init());
  CURLM* m = impl_->multi.get();
  curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
  curl_multi_setopt(m, CURLMOPT_MAX_CONCURRENT_STREAMS, static_cast<long>(impl_->opt.max_streams));
}

ApnsClient::~ApnsClient() = default;

int ApnsClient::max_in_flight() const { return impl_->max_in_flight; }

std::vector<PushResult> ApnsClient::Send(const std::vector<Target>& targets) {
  Impl& im = *impl_;
  std::vector<PushResult> results(targets.size());
  std::vector<int> transport_retries(targets.size(), 0);
  int64_t expiration = im.opt.expiration ? im.opt.expiration : static_cast<int64_t>(std::time(nullptr)) + 86400;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  {
    curl_slist* h = nullptr;
    for (std::string line : {"apns-push-type: mdm", "apns-priority: 10", "content-type: application/json"})
      h = curl_slist_append(h, line.c_str());
    h = curl_slist_append(h, ("apns-topic: " + im.opt.topic).c_str());
    h = curl_slist_append(h, ("apns-expiration: " + std::to_string(expiration)).c_str());
    headers.reset(h);
  }

  std::deque<size_t> ready;
  for (size_t i = 0; i < targets.size(); ++i) {
    results[i].enrollment_id = targets[i].enrollment_id;
    ready.push_back(i);
  }
  std::vector<std::pair<Clock::time_point, size_t>> delayed;  // retries waiting out their backoff
  std::vector<std::unique_ptr<Stream>> streams;                 // in flight
  bool stop = false;
  std::string stop_reason;

  auto start = [&](size_t i) {
    auto s = std::make_unique<Stream>();
    s->easy = im.TakeHandle();
    s->target = i;
    s->url = im.opt.base_url + "/3/device/" + crypto::Hex(targets[i].token);
    s->body = "{\"mdm\":\"" + targets[i].push_magic + "\"}";
    im.Configure(*s, headers.get());
    results[i].attempts++;
    curl_multi_add_handle(im.multi.get(), s->easy.get());
    streams.push_back(std::move(s));
    im.max_in_flight = std::max(im.max_in_flight, static_cast<int>(streams.size()));
  };
  auto backoff = [&](size_t i) {
    int ms = im.opt.backoff_initial_ms << std::min(results[i].attempts - 1, 16);
    delayed.emplace_back(Clock::now() + std::chrono::milliseconds(std::min(ms, im.opt.backoff_max_ms)), i);
  };

  while (!ready.empty() || !delayed.empty() || !streams.empty()) {
    auto now = Clock::now();
    for (auto it = delayed.begin(); it != delayed.end();) {
      if (it->first <= now) {
        ready.push_back(it->second);
        it = delayed.erase(it);
      } else {
        ++it;
      }
    }
    while (!stop && !ready.empty() && static_cast<int>(streams.size()) < im.opt.max_streams) {
      start(ready.front());
      ready.pop_front();
    }
    int running = 0;
    curl_multi_perform(im.multi.get(), &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(im.multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Stream* raw = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&raw));
      CURLcode rc = msg->data.result;
      curl_multi_remove_handle(im.multi.get(), msg->easy_handle);
      auto owned = std::find_if(streams.begin(), streams.end(), [&](const auto& s) { return s.get() == raw; });
      std::unique_ptr<Stream> s = std::move(*owned);
      streams.erase(owned);
      PushResult& r = results[s->target];
      long status = 0;
      curl_easy_getinfo(s->easy.get(), CURLINFO_RESPONSE_CODE, &status);
      r.status = status;
      if (rc != CURLE_OK) {
        r.reason = s->error[0] ? s->error : curl_easy_strerror(rc);
        if (TlsRefused(rc, s->error)) {
          r.outcome = Outcome::kCertificateRefused;
          if (!stop) stop_reason = r.reason;
          stop = true;
        } else if (ConnectionLost(rc) && transport_retries[s->target]++ == 0) {
          ready.push_back(s->target);
        } else {
          r.outcome = Outcome::kFailed;
        }
      } else if (status == 200) {
        r.outcome = Outcome::kSent;
        r.apns_id = s->apns_id;
        r.reason.clear();
      } else {
        r.reason = Reason(s->response);
        if (status == 410 || (status == 400 && r.reason == "BadDeviceToken")) {
          r.outcome = Outcome::kTokenDead;
        } else if (status == 403) {
          r.outcome = Outcome::kCertificateRefused;
          if (!stop) stop_reason = r.reason;
          stop = true;
        } else if ((status == 429 || status >= 500) && r.attempts < im.opt.max_attempts) {
          backoff(s->target);
        } else {
          r.outcome = Outcome::kFailed;
        }
      }
      im.idle.push_back(std::move(s->easy));
    }
    if (stop) {
      // Nothing more is sent; what waits is reported with the reason.
      for (size_t i : ready) results[i] = {targets[i].enrollment_id, Outcome::kCertificateRefused, 0, "", stop_reason, results[i].attempts};
      for (auto& [when, i] : delayed)
        results[i] = {targets[i].enrollment_id, Outcome::kCertificateRefused, 0, "", stop_reason, results[i].attempts};
      ready.clear();
      delayed.clear();
    }
    if (streams.empty() && ready.empty() && delayed.empty()) break;
    int timeout_ms = 100;
    if (!delayed.empty()) {
      auto next = std::min_element(delayed.begin(), delayed.end())->first;
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count(), 0, 100));
    }
    if (!streams.empty() || !delayed.empty()) curl_multi_poll(im.multi.get(), nullptr, 0, timeout_ms, nullptr);
  }
  return results;
}

}  // namespace mdm::push
