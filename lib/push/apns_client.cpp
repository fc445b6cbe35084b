#include "push/apns_client.h"

#include <curl/curl.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <deque>
#include <mutex>

#include <rapidjson/document.h>

#include "crypto/crypto.h"
#include "http/message.h"
#include "json/json.h"
#include "push/apns_answer.h"

namespace mdm::push {
namespace {

using Clock = std::chrono::steady_clock;

// How often one push may time out waiting in line behind a server that answers others, and go
// again: bounds the run when one push stalls among many that a slow server answers.
constexpr int kMaxWaitsInLine = 3;

struct EasyDeleter { void operator()(CURL* c) const { curl_easy_cleanup(c); } };
struct MultiDeleter { void operator()(CURLM* m) const { curl_multi_cleanup(m); } };
struct SlistDeleter { void operator()(curl_slist* l) const { curl_slist_free_all(l); } };
using Easy = std::unique_ptr<CURL, EasyDeleter>;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What the TLS handshake of a connection showed, written by OpenSSL's info callback. Shared by
// the stream that opened the connection and the connection's SSL_CTX, which may outlive it.
struct TlsWatch {
  bool sent_certificate = false;  // the server asked for our (push) certificate and we sent it
  bool handshake_done = false;    // the handshake completed, as the client saw it
  bool server_spoke = false;      // application data came from the server (its HTTP/2 SETTINGS at least):
                                  // it accepted our certificate, whatever happens to the connection later
  std::string alert;              // the last TLS alert the server sent ("bad certificate"), or ""
};
using TlsWatchPtr = std::shared_ptr<TlsWatch>;

void FreeTlsWatch(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<TlsWatchPtr*>(ptr); }

int TlsWatchIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeTlsWatch);
  return index;
}

void OnTlsInfo(const SSL* ssl, int where, int value) {
  auto* watch = static_cast<TlsWatchPtr*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TlsWatchIndex()));
  if (!watch) return;
  if ((where & SSL_CB_CONNECT_LOOP) && SSL_get_state(ssl) == TLS_ST_CW_CERT) (*watch)->sent_certificate = true;
  if (where & SSL_CB_HANDSHAKE_DONE) (*watch)->handshake_done = true;
  // SSL_CB_READ_ALERT and SSL_CB_WRITE_ALERT share the SSL_CB_ALERT bit: only the server's count.
  if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && (value & 0xff) != SSL_AD_CLOSE_NOTIFY)
    (*watch)->alert = SSL_alert_desc_string_long(value);
}

// OpenSSL's record callback: notes the first application data the server sends once the
// handshake is done. With TLS 1.3 every encrypted record's outer type is application data, so
// there the inner (decrypted) type is what counts.
void OnTlsMessage(int write_p, int, int content_type, const void* buf, size_t len, SSL* ssl, void*) {
  if (write_p || len < 1 || !SSL_is_init_finished(ssl)) return;
  auto* watch = static_cast<TlsWatchPtr*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TlsWatchIndex()));
  if (!watch || static_cast<const unsigned char*>(buf)[0] != SSL3_RT_APPLICATION_DATA) return;
  const bool tls13 = SSL_version(ssl) == TLS1_3_VERSION;
  if (content_type == (tls13 ? SSL3_RT_INNER_CONTENT_TYPE : SSL3_RT_HEADER)) (*watch)->server_spoke = true;
}

// One push in flight: its easy handle and what comes back.
struct Stream {
  Easy easy;
  size_t target = 0;
  Clock::time_point started;  // handed to libcurl
  std::string url, body, response, apns_id;
  char error[CURL_ERROR_SIZE] = {};
  TlsWatchPtr tls = std::make_shared<TlsWatch>();  // when this stream opens a new connection
};

// Called by libcurl (OpenSSL backend) for each new connection: watch its handshake.
CURLcode OnSslCtx(CURL*, void* ssl_ctx, void* user) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  auto* holder = new TlsWatchPtr(static_cast<Stream*>(user)->tls);
  if (TlsWatchIndex() < 0 || !SSL_CTX_set_ex_data(ctx, TlsWatchIndex(), holder)) {
    delete holder;  // no watch: the classification falls back to libcurl's error alone
    return CURLE_OK;
  }
  SSL_CTX_set_info_callback(ctx, OnTlsInfo);
  SSL_CTX_set_msg_callback(ctx, OnTlsMessage);
  return CURLE_OK;
}

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  auto* s = static_cast<Stream*>(ud);
  if (s->response.size() < 4096) s->response.append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  if (auto v = http::HeaderLineValue(std::string_view(p, size * n), "apns-id:")) static_cast<Stream*>(ud)->apns_id = *v;
  return size * n;
}

// APNs' {"reason": "BadDeviceToken"} into *reason; false when the body is not such an answer
// (then *reason says what came instead).
bool ApnsReason(std::string_view body, std::string* reason) {
  rapidjson::Document d;
  if (body.empty()) {
    *reason = "with no body";
  } else if (!json::Parse(body, &d).ok()) {
    *reason = "with a body that is not JSON";
  } else if (d.IsObject() && d.HasMember("reason") && d["reason"].IsString()) {
    *reason = std::string(d["reason"].GetString(), d["reason"].GetStringLength());
    return true;
  } else {
    *reason = "with JSON that has no reason";
  }
  return false;
}

// A dropped connection: the pushes on it are retried once on a new one.
bool ConnectionLost(CURLcode rc) {
  return rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
         rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE;
}

// A TLS alert's description that names a certificate ("bad certificate", "certificate expired",
// "... revoked", "... unknown", "... required", "unsupported certificate", "unknown CA", "access denied").
bool NamesCertificate(std::string_view text) {
  std::string e(text);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e.find("certificate") != std::string::npos || e.find("unknown ca") != std::string::npos ||
         e.find("access denied") != std::string::npos;
}

// libcurl's text for an alert that names a certificate ("OpenSSL SSL_read: ... tlsv1 alert unknown ca").
bool AlertNamesCertificate(std::string_view error) {
  return error.find("alert") != std::string_view::npos && NamesCertificate(error);
}

// The kind of a transfer that ended without an HTTP answer. `watch`: what the handshake showed,
// when this transfer opened the connection.
FailureKind TransportKind(CURLcode rc, std::string_view error, bool tls_up, const TlsWatch& watch) {
  if (!watch.alert.empty() && NamesCertificate(watch.alert)) return FailureKind::kCertificateRefused;
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return FailureKind::kDns;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PROXY:
      return FailureKind::kUnreachable;
    case CURLE_OPERATION_TIMEDOUT:
      // Before the TLS handshake completed: the connect (or a middlebox holding it) timed out.
      return tls_up ? FailureKind::kNoAnswer : FailureKind::kUnreachable;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return FailureKind::kServerUntrusted;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
      return FailureKind::kCaFileUnreadable;
    case CURLE_SSL_CERTPROBLEM:
      return FailureKind::kCertificateUnusable;
    case CURLE_SSL_CONNECT_ERROR:
      // The handshake broke off after the server asked for the push certificate and got it: a
      // refusal, with an alert or (some servers) without one.
      return AlertNamesCertificate(error) || (watch.sent_certificate && watch.alert.empty())
                 ? FailureKind::kCertificateRefused
                 : FailureKind::kTlsFailed;
    default:
      break;
  }
  // With TLS 1.3 the server judges our certificate after the client finished its handshake: a
  // refusal shows as an alert on the first read, or as the connection reset (see the end of Send).
  if (AlertNamesCertificate(error)) return FailureKind::kCertificateRefused;
  if (ConnectionLost(rc)) return FailureKind::kConnectionLost;
  return FailureKind::kOther;
}

// libcurl's text, with what the handshake showed when that is what decided the kind.
std::string TransportDetail(FailureKind kind, const std::string& text, const TlsWatch& watch) {
  if (kind != FailureKind::kCertificateRefused || AlertNamesCertificate(text)) return text;
  if (!watch.alert.empty()) return "TLS alert from the server: " + watch.alert + "; " + text;
  return "the server ended the TLS handshake once it had the push certificate: " + text;
}

// The kind of an HTTP answer other than 200, 410 and 400 BadDeviceToken.
FailureKind AnswerKind(long status, bool from_apns, const std::string& reason) {
  if (status == 429) return FailureKind::kThrottled;
  if (status >= 500) return FailureKind::kUnavailable;
  if (!from_apns) return FailureKind::kNotApns;
  if (status == 403) {
    if (reason == "BadCertificate") return FailureKind::kCertificateRefused;
    if (reason == "BadCertificateEnvironment") return FailureKind::kWrongEnvironment;
    return FailureKind::kForbidden;
  }
  if (reason == "TopicDisallowed" || reason == "DeviceTokenNotForTopic" || reason == "BadTopic" ||
      reason == "MissingTopic")
    return FailureKind::kTopic;
  return FailureKind::kRejected;
}

// Failures of the connection itself, not of one push: nothing else can go through, so the run stops.
bool ConnectionWide(FailureKind k) {
  return k == FailureKind::kCaFileUnreadable || k == FailureKind::kCertificateUnusable ||
         k == FailureKind::kServerUntrusted || k == FailureKind::kTlsFailed || k == FailureKind::kCertificateRefused;
}

// The transfer's request went out (on a connection of its own or one it shared).
bool RequestSent(CURL* c) {
  curl_off_t us = 0;
  return curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &us) == CURLE_OK && us > 0;
}

// The transfer had a TLS connection: it made one, or its request went out on one it shared
// (a multiplexed stream reports no handshake time of its own).
bool TlsUp(CURL* c) {
  curl_off_t us = 0;
  return (curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &us) == CURLE_OK && us > 0) || RequestSent(c);
}

}  // namespace

ApnsAnswer ReadApnsAnswer(long status, std::string_view body) {
  ApnsAnswer a;
  if (status == 200) {
    a.outcome = Outcome::kSent;
    return a;
  }
  const bool from_apns = ApnsReason(body, &a.reason);
  if (status == 410 || (status == 400 && from_apns && a.reason == "BadDeviceToken")) {
    a.outcome = Outcome::kTokenDead;
  } else {
    a.outcome = Outcome::kFailed;
    a.kind = AnswerKind(status, from_apns, a.reason);
  }
  return a;
}

const char* FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNone: return "none";
    case FailureKind::kCaFileUnreadable: return "ca-file-unreadable";
    case FailureKind::kCertificateUnusable: return "certificate-unusable";
    case FailureKind::kDns: return "dns";
    case FailureKind::kUnreachable: return "unreachable";
    case FailureKind::kServerUntrusted: return "server-untrusted";
    case FailureKind::kTlsFailed: return "tls-failed";
    case FailureKind::kCertificateRefused: return "certificate-refused";
    case FailureKind::kWrongEnvironment: return "wrong-environment";
    case FailureKind::kForbidden: return "forbidden";
    case FailureKind::kTopic: return "topic";
    case FailureKind::kNotApns: return "not-apns";
    case FailureKind::kRejected: return "rejected";
    case FailureKind::kThrottled: return "throttled";
    case FailureKind::kUnavailable: return "unavailable";
    case FailureKind::kConnectionLost: return "connection-lost";
    case FailureKind::kNoAnswer: return "no-answer";
    case FailureKind::kOther: return "other";
  }
  return "other";
}

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
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, OnSslCtx);  // CURLE_NOT_BUILT_IN without OpenSSL: fine
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &s);
    const int connect_ms = std::min(opt.connect_timeout_ms, opt.timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_ms));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(opt.timeout_ms));
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
  std::vector<int> waits_in_line(targets.size(), 0);  // timeouts in line behind a slow server
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
  bool stop = false;            // a failure of the connection itself: nothing more is started
  FailureKind stop_kind = FailureKind::kNone;
  std::string stop_reason;
  bool answered = false;        // some push of this run got an HTTP answer: APNs was reached
  Clock::time_point last_answer;   // when the latest HTTP answer came (if answered)
  bool certificate_taken = false;  // a handshake of this run completed after the server took our certificate
  bool server_spoke = false;       // a server of this run sent application data after its handshake
  bool connected = false;          // a transfer of this run had its TLS connection up
  auto stop_with = [&](FailureKind kind, const std::string& reason) {
    if (!stop) {
      stop_kind = kind;
      stop_reason = reason;
    }
    stop = true;
  };

  auto start = [&](size_t i) {
    auto s = std::make_unique<Stream>();
    s->easy = im.TakeHandle();
    s->target = i;
    s->started = Clock::now();
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
    // The transfers that ended, taken out first: whether one had its connection up decides how
    // the others that timed out read.
    std::vector<std::pair<std::unique_ptr<Stream>, CURLcode>> ended;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(im.multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Stream* raw = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&raw));
      CURLcode rc = msg->data.result;
      curl_multi_remove_handle(im.multi.get(), msg->easy_handle);
      auto owned = std::find_if(streams.begin(), streams.end(), [&](const auto& s) { return s.get() == raw; });
      ended.emplace_back(std::move(*owned), rc);
      streams.erase(owned);
    }
    for (const auto& [s, rc] : ended) {
      long status = 0;
      curl_easy_getinfo(s->easy.get(), CURLINFO_RESPONSE_CODE, &status);
      if (TlsUp(s->easy.get()) || s->tls->handshake_done) connected = true;
      if (status > 0) {
        answered = true;
        last_answer = Clock::now();
      }
    }
    for (auto& [s, rc] : ended) {
      PushResult& r = results[s->target];
      long status = 0;
      curl_easy_getinfo(s->easy.get(), CURLINFO_RESPONSE_CODE, &status);
      r.status = status;
      // libcurl's timeout runs from when the transfer was handed over, also while it waits in line
      // for a stream (the server allows only so many at once: libcurl and nghttp2 hold the rest).
      // Timed out while the server went on answering others up to the end: it waited in line, the
      // server is slow, not stalled. It goes again with a whole timeout, at no attempt's cost, a
      // few times at most.
      if (rc == CURLE_OPERATION_TIMEDOUT && connected && answered &&
          Clock::now() - last_answer < std::chrono::milliseconds(im.opt.timeout_ms / 2) &&
          waits_in_line[s->target]++ < kMaxWaitsInLine) {
        r.attempts--;
        ready.push_back(s->target);
        im.idle.push_back(std::move(s->easy));
        continue;
      }
      if (s->tls->sent_certificate && s->tls->handshake_done) certificate_taken = true;
      if (s->tls->server_spoke) server_spoke = true;
      if (rc != CURLE_OK) {
        const std::string text = s->error[0] ? s->error : curl_easy_strerror(rc);
        // A transfer that timed out waiting for a stream on the run's live connection (the server
        // allows only so many at once) got no answer, as those on it did: it did not fail to connect.
        const bool tls_up =
            TlsUp(s->easy.get()) || s->tls->handshake_done || (rc == CURLE_OPERATION_TIMEDOUT && connected);
        r.kind = TransportKind(rc, text, tls_up, *s->tls);
        r.reason = TransportDetail(r.kind, text, *s->tls);
        r.outcome = Outcome::kFailed;
        const bool first_try = transport_retries[s->target]++ == 0;
        if (ConnectionWide(r.kind)) {
          stop_with(r.kind, r.reason);
        } else if (r.kind == FailureKind::kDns || r.kind == FailureKind::kUnreachable) {
          // Never reached in this run: stop. Reached before (a new connection after a drop): once more.
          if (answered && first_try)
            ready.push_back(s->target);
          else
            stop_with(r.kind, r.reason);
        } else if (r.kind == FailureKind::kConnectionLost) {
          if (first_try)
            ready.push_back(s->target);
          else if (!answered)  // dropped twice and nothing ever answered: it will not get better
            stop_with(r.kind, r.reason);
        } else if (r.kind == FailureKind::kNoAnswer && (!answered || last_answer < s->started)) {
          // Nothing at all was answered while this push waited: the server is stalled, and what
          // is still to send would only wait as long again. One push left unanswered among
          // answered ones is that push's alone.
          stop_with(r.kind, r.reason);
        }
      } else {
        ApnsAnswer answer = ReadApnsAnswer(status, s->response);
        r.outcome = answer.outcome;
        r.kind = answer.kind;
        r.reason = std::move(answer.reason);
        if (r.outcome == Outcome::kSent) {
          r.apns_id = s->apns_id;
        } else if (r.outcome == Outcome::kFailed) {
          if (status == 403) {
            stop_with(r.kind, std::to_string(status) + " " + r.reason);
          } else if ((status == 429 || status >= 500) && r.attempts < im.opt.max_attempts) {
            backoff(s->target);
          }
        }
      }
      im.idle.push_back(std::move(s->easy));
    }
    if (stop) {
      // Nothing more is sent; what waits is reported with the reason.
      auto not_sent = [&](size_t i) {
        PushResult& r = results[i];
        r.outcome = Outcome::kFailed;
        r.kind = stop_kind;
        r.status = 0;
        r.reason = stop_reason;
      };
      for (size_t i : ready) not_sent(i);
      for (auto& entry : delayed) not_sent(entry.second);
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
  // TLS 1.3: the server judges our certificate after the client's side of the handshake is done,
  // and refuses it by closing the connection (or leaving it silent) before any answer. So when
  // the server took the certificate, completed the handshake and then sent nothing at all (not
  // even HTTP/2's SETTINGS, which a server that accepted the certificate sends at once), the
  // pushes lost with the connection were refused for the certificate.
  if (!answered && certificate_taken && !server_spoke) {
    for (auto& r : results) {
      if (r.outcome != Outcome::kFailed) continue;
      if (r.kind == FailureKind::kConnectionLost)
        r.reason = "the connection closed right after the TLS handshake, before any answer: " + r.reason;
      else if (r.kind == FailureKind::kNoAnswer)
        r.reason = "no answer on the connection after the TLS handshake: " + r.reason;
      else
        continue;
      r.kind = FailureKind::kCertificateRefused;
    }
  }
  return results;
}

}  // namespace mdm::push
