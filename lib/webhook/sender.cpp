#include "webhook/sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "crypto/crypto.h"
#include "store/sql_util.h"
#include "webhook/webhooks.h"

namespace mdm::webhook {
namespace {

// Two senders never post at once (crontab on two hosts, or cron beside --follow): one device's
// events would race each other.
constexpr long long kDeliveryLock = 7165010;
constexpr int kRoundSize = 1000;
constexpr size_t kMaxAnswerBytes = 64 * 1024;

struct EasyDeleter { void operator()(CURL* c) const { curl_easy_cleanup(c); } };
struct MultiDeleter { void operator()(CURLM* m) const { curl_multi_cleanup(m); } };
struct SlistDeleter { void operator()(curl_slist* l) const { curl_slist_free_all(l); } };
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct Post {
  long long seq = 0, webhook_id = 0;
  int attempts = 0;
  std::string url, body, secret;
  // What happened.
  long status = 0;     // HTTP status; 0: no answer
  std::string error;   // why it failed ("" when it did not)
  bool sent = false;
  // In flight.
  Easy easy;
  Slist headers;
  char errbuf[CURL_ERROR_SIZE] = {};
  size_t answer_bytes = 0;
};

size_t Discard(char*, size_t size, size_t n, void* user) {
  auto* p = static_cast<Post*>(user);
  p->answer_bytes += size * n;
  // A receiver's answer is not read; a huge one is cut off rather than waited for.
  return p->answer_bytes > kMaxAnswerBytes ? 0 : size * n;
}

void Prepare(Post& p, const DeliveryOptions& opts) {
  p.easy.reset(curl_easy_init());
  CURL* c = p.easy.get();
  curl_slist* h = nullptr;
  h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
  h = curl_slist_append(h, "User-Agent: mdm-webhook/" MDM_VERSION);
  h = curl_slist_append(h, "Expect:");
  if (!p.secret.empty()) h = curl_slist_append(h, ("X-Hmac-Signature: " + Signature(p.secret, p.body)).c_str());
  p.headers.reset(h);
  curl_easy_setopt(c, CURLOPT_URL, p.url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, p.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(p.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(opts.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(opts.timeout_seconds, 5)));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &p);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, p.errbuf);
  curl_easy_setopt(c, CURLOPT_PRIVATE, &p);
}

void Finish(Post& p, CURLcode code) {
  p.sent = true;
  if (code == CURLE_OK) {
    curl_easy_getinfo(p.easy.get(), CURLINFO_RESPONSE_CODE, &p.status);
    if (p.status < 200 || p.status > 299) p.error = "the receiver answered HTTP " + std::to_string(p.status);
  } else {
    p.status = 0;
    p.error = std::string(curl_easy_strerror(code)) + (p.errbuf[0] ? std::string(": ") + p.errbuf : "");
  }
  p.easy.reset();
  p.headers.reset();
}

// Posts `posts` with at most `concurrency` in flight; a receiver that did not answer one of its
// posts (a connection refused, a timeout) gets no more of them in this call.
void PostAll(std::vector<Post*>& posts, const DeliveryOptions& opts, std::set<long long>* down) {
  Multi multi(curl_multi_init());
  size_t next = 0, in_flight = 0;
  while (true) {
    while (in_flight < static_cast<size_t>(std::max(1, opts.concurrency)) && next < posts.size()) {
      Post& p = *posts[next++];
      if (down->count(p.webhook_id)) continue;
      Prepare(p, opts);
      curl_multi_add_handle(multi.get(), p.easy.get());
      ++in_flight;
    }
    if (in_flight == 0) break;
    int running = 0;
    curl_multi_perform(multi.get(), &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Post* p = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
      CURLcode code = m->data.result;
      curl_multi_remove_handle(multi.get(), m->easy_handle);
      Finish(*p, code);
      --in_flight;
      if (p->status == 0) down->insert(p->webhook_id);
    }
    if (in_flight > 0) curl_multi_poll(multi.get(), nullptr, 0, 200, nullptr);
  }
}

int Backoff(int attempts, const DeliveryOptions& opts) {
  return std::min(opts.max_backoff_seconds, 1 << std::min(attempts, 20));
}

std::string BigintArray(const std::vector<long long>& v) {
  std::string s = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  s += '}';
  return s;
}

}  // namespace

std::string Signature(const std::string& secret, const std::string& body) {
  return crypto::Base64Encode(crypto::HmacSha256(secret, body));
}

Result<DeliveryReport> DeliverDue(pqxx::connection& conn, const DeliveryOptions& opts) {
  {
    pqxx::nontransaction tx(conn);
    if (!tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(kDeliveryLock) + ")")[0][0].as<bool>())
      return Status::Conflict("another webhook delivery is running (another host, or webhook deliver --follow)");
  }
  struct Unlock {
    pqxx::connection& c;
    ~Unlock() {
      try {
        pqxx::nontransaction(c).exec("SELECT pg_advisory_unlock(" + std::to_string(kDeliveryLock) + ")");
      } catch (...) {
      }
    }
  } unlock{conn};

  DeliveryReport report;
  std::map<long long, std::string> last_error;  // per receiver that failed
  std::set<long long> down;  // receivers that did not answer: set aside for this run
  for (int round = 0; round < 1000000; ++round) {
    std::vector<std::unique_ptr<Post>> owned;
    {
      pqxx::read_transaction tx(conn);
      // The oldest waiting event of each device and receiver, if it is due: a device's later
      // events wait for it.
      auto rows = store::Exec(
          tx, "webhook_heads",
          "SELECT h.seq, h.webhook_id, w.url, coalesce(w.secret, ''), h.payload::text, h.attempts "
          "FROM (SELECT DISTINCT ON (webhook_id, device_key) seq, webhook_id, next_attempt_at, payload, attempts "
          "      FROM webhook_outbox WHERE failed_at IS NULL ORDER BY webhook_id, device_key, seq) h "
          "JOIN webhooks w ON w.id = h.webhook_id "
          "WHERE w.enabled AND h.next_attempt_at <= now() AND NOT (h.webhook_id = ANY ($1::bigint[])) "
          "ORDER BY h.seq LIMIT $2",
          BigintArray({down.begin(), down.end()}), kRoundSize);
      for (const auto& r : rows) {
        auto p = std::make_unique<Post>();
        p->seq = r[0].as<long long>();
        p->webhook_id = r[1].as<long long>();
        p->url = r[2].as<std::string>();
        p->secret = r[3].as<std::string>();
        p->body = r[4].as<std::string>();
        p->attempts = r[5].as<int>();
        owned.push_back(std::move(p));
      }
    }
    if (owned.empty()) break;
    std::vector<Post*> posts;
    for (auto& p : owned) posts.push_back(p.get());
    std::set<long long> was_down = down;
    PostAll(posts, opts, &down);

    std::vector<long long> delivered, failed;
    std::vector<std::string> errors;
    std::map<long long, int> backoff_of_down;
    for (Post* p : posts) {
      if (!p->sent) continue;
      if (p->error.empty()) {
        delivered.push_back(p->seq);
      } else {
        failed.push_back(p->seq);
        errors.push_back(p->error.substr(0, 500));
        last_error[p->webhook_id] = p->url + ": " + p->error;
        if (down.count(p->webhook_id) && !was_down.count(p->webhook_id))
          backoff_of_down[p->webhook_id] = std::max(backoff_of_down[p->webhook_id], Backoff(p->attempts, opts));
      }
    }
    pqxx::work tx(conn);
    if (!delivered.empty())
      store::Exec(tx, "webhook_delivered", "DELETE FROM webhook_outbox WHERE seq = ANY ($1::bigint[])",
                  BigintArray(delivered));
    if (!failed.empty()) {
      auto r = store::Exec(
          tx, "webhook_failed",
          "UPDATE webhook_outbox o SET attempts = o.attempts + 1, last_error = f.err, "
          "  next_attempt_at = now() + make_interval(secs => least($3::int, power(2, least(o.attempts, 20))::int)), "
          "  failed_at = CASE WHEN o.created_at < now() - make_interval(hours => $4::int) THEN now() END "
          "FROM unnest($1::bigint[], $2::text[]) AS f(seq, err) WHERE o.seq = f.seq "
          "RETURNING o.failed_at IS NOT NULL",
          BigintArray(failed), store::TextArray(errors), opts.max_backoff_seconds, opts.give_up_hours);
      for (const auto& row : r) report.gave_up += row[0].as<bool>() ? 1 : 0;
    }
    // A receiver that did not answer: all its events wait, and those past the give-up window
    // are set aside, without a post each.
    for (const auto& [id, seconds] : backoff_of_down) {
      store::Exec(tx, "webhook_defer",
                  "UPDATE webhook_outbox SET next_attempt_at = greatest(next_attempt_at, now() + make_interval(secs => $2::int)) "
                  "WHERE webhook_id = $1 AND failed_at IS NULL",
                  id, seconds);
      auto r = store::Exec(tx, "webhook_expire",
                           "UPDATE webhook_outbox SET failed_at = now(), last_error = coalesce(last_error, $3) "
                           "WHERE webhook_id = $1 AND failed_at IS NULL AND created_at < now() - make_interval(hours => $2::int)",
                           id, opts.give_up_hours, last_error[id].substr(0, 500));
      report.gave_up += static_cast<long long>(r.affected_rows());
    }
    tx.commit();
    report.delivered += static_cast<long long>(delivered.size());
    report.failed += static_cast<long long>(failed.size());
  }
  pqxx::read_transaction tx(conn);
  report.waiting = tx.exec("SELECT count(*) FROM webhook_outbox WHERE failed_at IS NULL")[0][0].as<long long>();
  for (const auto& [id, err] : last_error) report.problems.push_back(err);
  return report;
}

long long SecondsUntilNextDue(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  auto r = tx.exec(
      "SELECT ceil(greatest(0, extract(epoch FROM min(next_attempt_at) - now())))::bigint "
      "FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id WHERE o.failed_at IS NULL AND w.enabled");
  return r[0][0].is_null() ? -1 : r[0][0].as<long long>();
}

Result<long> PostTest(pqxx::connection& conn, const std::string& id_or_url, const DeliveryOptions& opts) {
  auto w = Find(conn, id_or_url);
  if (!w.ok()) return w.status();
  Post p;
  p.webhook_id = w->id;
  p.url = w->url;
  {
    pqxx::read_transaction tx(conn);
    auto r = store::Exec(tx, "webhook_secret", "SELECT coalesce(secret, '') FROM webhooks WHERE id = $1", w->id);
    p.secret = r[0][0].as<std::string>();
    p.body = tx.exec("SELECT json_build_object('topic', 'mdm.Test', 'event_id', gen_random_uuid(), 'created_at', now())::text")[0][0]
                 .as<std::string>();
  }
  std::vector<Post*> one{&p};
  std::set<long long> down;
  PostAll(one, opts, &down);
  if (p.status == 0) return Status::Unavailable("no answer from " + p.url + ": " + p.error);
  return p.status;
}

}  // namespace mdm::webhook
