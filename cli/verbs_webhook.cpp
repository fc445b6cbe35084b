// mdm-console webhook: the receivers of device events, and the delivery of what waits for them.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "console.h"
#include "webhook/sender.h"
#include "webhook/webhooks.h"

namespace mdm::cli {
namespace {

constexpr int kExitDeliveryFailed = 3;

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int Add(Context& ctx, const std::vector<std::string>& a) {
  std::string url;
  std::optional<std::string> secret;
  std::vector<std::string> topics;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--secret" && i + 1 < a.size()) {
      secret = a[++i];
    } else if (a[i] == "--secret-file" && i + 1 < a.size()) {
      std::ifstream f(a[i + 1], std::ios::binary);
      if (!f) return Fail("cannot read the secret file " + a[i + 1] + ": check its path and permissions");
      std::stringstream ss;
      ss << f.rdbuf();
      std::string s = ss.str();
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      secret = s;
      ++i;
    } else if (a[i] == "--events" && i + 1 < a.size()) {
      topics = SplitComma(a[++i]);
    } else if (a[i].rfind("--", 0) == 0) {
      return Fail("unknown option '" + a[i] + "'; see mdm-console webhook --help");
    } else if (url.empty()) {
      url = a[i];
    } else {
      return Fail("one URL per webhook; '" + a[i] + "' is one too many (see mdm-console webhook --help)");
    }
  }
  if (url.empty()) return Fail("name the receiver's URL: mdm-console webhook add https://HOST/PATH [--secret-file FILE]");
  auto id = webhook::Add(ctx.db().connection(), url, secret, topics);
  if (!id.ok()) return Fail(id.status().message());
  std::string which = "every event";
  if (!topics.empty()) {
    which = "events";
    for (const auto& t : topics) which += " " + t;
  }
  std::printf("webhook %lld: %s (%s, %s); events from now on wait for it until `mdm-console webhook deliver` "
              "posts them\n",
              *id, url.c_str(), which.c_str(), secret ? "signed with X-Hmac-Signature" : "unsigned");
  if (!secret) std::fprintf(stderr, "note: without --secret the receiver cannot tell our events from anyone's\n");
  return 0;
}

int List(Context& ctx) {
  auto hooks = webhook::List(ctx.db().connection());
  if (hooks.empty()) {
    std::printf("no webhooks (mdm-console webhook add URL)\n");
    return 0;
  }
  for (const auto& w : hooks) {
    std::string topics;
    for (const auto& t : w.topics) topics += (topics.empty() ? "" : ",") + t;
    std::printf("%lld  %s  events=%s  %s  waiting=%lld%s  failed=%lld%s\n", w.id, w.url.c_str(),
                topics.empty() ? "all" : topics.c_str(), w.has_secret ? "signed" : "unsigned", w.pending,
                w.oldest_pending.empty() ? "" : (" (oldest " + w.oldest_pending + ")").c_str(), w.failed,
                w.last_error.empty() ? "" : ("  last error: " + w.last_error).c_str());
  }
  return 0;
}

int Deliver(Context& ctx, const std::vector<std::string>& a) {
  webhook::DeliveryOptions opts;
  bool follow = false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto number = [&](int lo, int hi, int* out) {
      if (i + 1 >= a.size()) return false;
      char* end = nullptr;
      long v = std::strtol(a[i + 1].c_str(), &end, 10);
      if (*end || v < lo || v > hi) return false;
      *out = static_cast<int>(v);
      ++i;
      return true;
    };
    if (a[i] == "--follow") {
      follow = true;
    } else if (a[i] == "--concurrency") {
      if (!number(1, 256, &opts.concurrency)) return Fail("--concurrency takes a number of posts from 1 to 256");
    } else if (a[i] == "--timeout") {
      if (!number(1, 300, &opts.timeout_seconds)) return Fail("--timeout takes seconds from 1 to 300");
    } else if (a[i] == "--give-up-hours") {
      if (!number(1, 24 * 30, &opts.give_up_hours)) return Fail("--give-up-hours takes hours from 1 to 720");
    } else {
      return Fail("unknown argument '" + a[i] + "'; see mdm-console webhook --help");
    }
  }
  pqxx::connection& conn = ctx.db().connection();
  if (!follow) {
    auto r = webhook::DeliverDue(conn, opts);
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kConflict) {
        std::printf("webhook deliver: %s; nothing to do\n", r.status().message().c_str());
        return 0;
      }
      return Fail(r.status().message());
    }
    std::printf("webhook deliver: %lld delivered, %lld failed (tried again later), %lld set aside "
                "(mdm-console webhook failures), %lld waiting\n",
                r->delivered, r->failed, r->gave_up, r->waiting);
    std::fflush(stdout);
    for (const auto& p : r->problems) std::fprintf(stderr, "mdm-console: webhook %s\n", p.c_str());
    return r->failed > 0 || r->gave_up > 0 ? kExitDeliveryFailed : 0;
  }

  // --follow: a service. Woken by PostgreSQL's NOTIFY when an event is filed, and when a
  // waiting event's backoff is over; one sender at a time over all hosts (the others stand by).
  struct Wakeup : pqxx::notification_receiver {
    explicit Wakeup(pqxx::connection& c) : pqxx::notification_receiver(c, "webhook_outbox") {}
    void operator()(const std::string&, int) override {}
  } wakeup(conn);
  std::printf("webhook deliver --follow: waiting for events\n");
  std::fflush(stdout);
  bool standing_by = false;
  while (true) {
    auto r = webhook::DeliverDue(conn, opts);
    long long wait = 30;
    if (!r.ok()) {
      if (r.status().code() != Status::Code::kConflict) return Fail(r.status().message());
      if (!standing_by) std::printf("webhook deliver --follow: %s; standing by\n", r.status().message().c_str());
      standing_by = true;
      wait = 5;
    } else {
      standing_by = false;
      if (r->delivered || r->failed || r->gave_up)
        std::printf("webhook deliver: %lld delivered, %lld failed (tried again later), %lld set aside, %lld waiting\n",
                    r->delivered, r->failed, r->gave_up, r->waiting);
      for (const auto& p : r->problems) std::fprintf(stderr, "mdm-console: webhook %s\n", p.c_str());
      long long due = webhook::SecondsUntilNextDue(conn);
      if (due >= 0) wait = std::min<long long>(std::max<long long>(due, 1), 30);
    }
    std::fflush(stdout);
    conn.await_notification(static_cast<long>(wait), 0);
  }
}

int Failures(Context& ctx, const std::vector<std::string>& a) {
  std::string which;
  int limit = 50;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--limit" && i + 1 < a.size()) {
      limit = std::atoi(a[++i].c_str());
      if (limit < 1 || limit > 100000) return Fail("--limit takes a number of events from 1 to 100000");
    } else if (a[i].rfind("--", 0) == 0 || !which.empty()) {
      return Fail("unknown argument '" + a[i] + "'; see mdm-console webhook --help");
    } else {
      which = a[i];
    }
  }
  auto f = webhook::Failures(ctx.db().connection(), which, limit);
  if (!f.ok()) return Fail(f.status().message());
  if (f->empty()) {
    std::printf("no events set aside\n");
    return 0;
  }
  for (const auto& e : *f)
    std::printf("%lld  webhook %lld  %s  %s  %s  filed %s  set aside %s after %d attempt(s): %s\n", e.seq, e.webhook_id,
                e.event_id.c_str(), e.topic.c_str(), e.device_key.c_str(), e.created_at.c_str(), e.failed_at.c_str(),
                e.attempts, e.last_error.c_str());
  return 0;
}

}  // namespace

int RunWebhook(Context& ctx) {
  const auto& args = ctx.args();
  if (args.empty()) return Fail("usage: mdm-console webhook add | list | remove | test | deliver | failures | retry; "
                                "see mdm-console webhook --help");
  std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& sub = args[0];
  if (sub == "add") return Add(ctx, rest);
  if (sub == "list" && rest.empty()) return List(ctx);
  if (sub == "deliver") return Deliver(ctx, rest);
  if (sub == "failures") return Failures(ctx, rest);
  if (sub == "remove" && rest.size() == 1) {
    auto s = webhook::Remove(ctx.db().connection(), rest[0]);
    if (!s.ok()) return Fail(s.message());
    std::printf("removed webhook %s and the events waiting for it\n", rest[0].c_str());
    return 0;
  }
  if (sub == "test" && rest.size() == 1) {
    auto r = webhook::PostTest(ctx.db().connection(), rest[0], {});
    if (!r.ok()) return Fail(r.status().message());
    if (*r < 200 || *r > 299) return Fail("the receiver answered HTTP " + std::to_string(*r) + " to a test event (it must answer 2xx)");
    std::printf("the receiver answered HTTP %ld to a test event (topic mdm.Test)\n", *r);
    return 0;
  }
  if (sub == "retry" && rest.size() <= 1) {
    auto n = webhook::Retry(ctx.db().connection(), rest.empty() ? "" : rest[0]);
    if (!n.ok()) return Fail(n.status().message());
    std::printf("%lld event(s) back in line for the next delivery\n", *n);
    return 0;
  }
  return Fail("usage: mdm-console webhook add | list | remove | test | deliver | failures | retry; "
              "see mdm-console webhook --help");
}

}  // namespace mdm::cli
