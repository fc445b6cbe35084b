#include "fleet.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <thread>

#include "plist/property_list.h"
#include "sim_device.h"

namespace devicesim {
namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted = true; }

mdm::crypto::Cert Ref(X509* c) {
  X509_up_ref(c);
  return mdm::crypto::Cert(c);
}

mdm::crypto::Pkey Ref(EVP_PKEY* k) {
  EVP_PKEY_up_ref(k);
  return mdm::crypto::Pkey(k);
}

void Expect200(const mdm::test::HttpResponse& r, const char* what, const std::string& udid) {
  if (r.status == 200) return;
  throw std::runtime_error(std::string(what) + " of " + udid + " answered " +
                           (r.status ? "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300) : r.error));
}

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

}  // namespace

void StopOnSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted; }

void SleepUntil(Clock::time_point t) {
  while (!Interrupted() && Clock::now() < t)
    std::this_thread::sleep_for(std::min<Clock::duration>(t - Clock::now(), std::chrono::milliseconds(100)));
}

std::string ReportBody(const std::string& udid, const std::string& status, const std::string& command_uuid) {
  mdm::plist::Owned m(plist_new_dict());
  mdm::plist::SetString(m.get(), "UDID", udid);
  mdm::plist::SetString(m.get(), "Status", status);
  if (!command_uuid.empty()) mdm::plist::SetString(m.get(), "CommandUUID", command_uuid);
  return mdm::plist::ToXml(m.get());
}

void Append(Slist& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (!head) throw std::bad_alloc();
  if (!list) list.reset(head);  // later appends return the same head
}

Slist MdmHeaders(X509* cert, EVP_PKEY* key, const std::string& body) {
  auto sig = mdm::crypto::Sign(body, cert, key);
  if (!sig.ok()) throw std::runtime_error("signing failed: " + sig.status().message());
  Slist list;
  Append(list, "Content-Type: application/x-apple-aspen-mdm");
  Append(list, "Mdm-Signature: " + mdm::crypto::Base64Encode(*sig));
  Append(list, "Expect:");
  return list;
}

std::vector<Device> Enroll(const Target& target, EVP_PKEY* key, std::size_t count, int threads) {
  std::vector<Device> fleet(count);
  OnThreads(threads, [&](int t) {
    auto [first, last] = SliceOf(count, threads, t);
    for (std::size_t i = first; i < last && !Interrupted(); ++i) {
      Device& d = fleet[i];
      d.udid = mdm::crypto::NewUuid();
      d.cert = mdm::enroll::IssueDeviceIdentity(target.device_ca, key, "devicesim " + std::to_string(i));
      mdm::test::SimDevice sim(target.base_url, target.ca_file, Ref(d.cert.get()), Ref(key), d.udid);
      Expect200(sim.Authenticate(target.topic), "Authenticate", d.udid);
      Expect200(sim.TokenUpdate(target.topic), "TokenUpdate", d.udid);
      d.idle_body = ReportBody(d.udid, "Idle");
      d.idle_headers = MdmHeaders(d.cert.get(), key, d.idle_body);
    }
  });
  return fleet;
}

void OnThreads(int n, const std::function<void(int)>& fn, const std::function<void()>& meanwhile) {
  std::vector<std::exception_ptr> errors(n + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      try {
        fn(t);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  try {
    if (meanwhile) meanwhile();
  } catch (...) {
    errors[n] = std::current_exception();
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

Slice SliceOf(std::size_t count, int n, int t) {
  auto un = static_cast<std::size_t>(n), ut = static_cast<std::size_t>(t);
  return {count * ut / un, count * (ut + 1) / un};
}

Connection::Connection(const std::string& url, const std::string& ca_file) : curl_(curl_easy_init()) {
  CURL* c = curl_.get();
  if (!c) throw std::runtime_error("curl_easy_init failed");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer_);
}

long Connection::Put(const std::string& body, curl_slist* headers) {
  CURL* c = curl_.get();
  answer_.clear();
  error_[0] = '\0';
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    if (!error_[0]) std::snprintf(error_, sizeof error_, "%s", curl_easy_strerror(rc));
    return 0;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace devicesim
