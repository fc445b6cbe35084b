// Pushes: `push` for chosen enrollments or every one with commands waiting, `mdmcron` for the
// ones the policy says are due.
#include <chrono>
#include <cstdio>

#include "console.h"
#include "deploy/reconcile.h"
#include "push/pusher.h"
#include "store/cron_runs.h"
#include "vpp/licences.h"

namespace mdm::cli {
namespace {

// Serialises mdmcron runs across hosts ("mdm-cron").
constexpr long long kCronLock = 0x6d646d2d63726f6eLL;

// The exit status when pushes failed (the commands stay queued); 1 stays for wrong input and for
// a failed reconcile, so cron and monitoring can tell them apart.
constexpr int kExitPushFailed = 3;

std::string Counts(const push::PushSummary& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%zu selected, %zu sent, %zu token(s) dead, %zu failed (at most %d in flight)",
                s.selected, s.sent, s.dead, s.failed, s.max_in_flight);
  std::string out = buf;
  if (s.dead)
    out += "; a dead token (410 Unregistered, 400 BadDeviceToken) is not pushed again until its device sends a "
           "new one (TokenUpdate)";
  return out;
}

}  // namespace

int PushAfterEnqueue(Context& ctx, const std::vector<std::string>& enrollment_ids) {
  auto s = push::PushEnrollments(ctx.db().connection(), enrollment_ids);
  // Queued all the same: the devices get it at their next check-in. Exit 0 either way.
  const char* later = "the command stays queued: the devices get it at their next check-in, and "
                      "mdm-console push --pending wakes them once this is fixed";
  if (!s.ok()) {
    std::fprintf(stderr, "warning: not pushed: %s; %s\n", s.status().message().c_str(), later);
    return 0;
  }
  std::fprintf(stderr, "pushed %zu of %zu\n", s->sent, s->selected);
  if (!s->message.empty())
    std::fprintf(stderr, "warning: %zu not pushed: %s; %s\n", s->failed, s->message.c_str(), later);
  return 0;
}

int RunPush(Context& ctx) {
  bool pending = false;
  std::vector<std::string> ids;
  for (const auto& a : ctx.args()) {
    if (a == "--pending")
      pending = true;
    else if (a.rfind("--", 0) == 0)
      return Fail("unknown option " + a + "; see mdm-console push --help");
    else
      ids.push_back(a);
  }
  if (pending && !ids.empty()) return Fail("give the enrollment IDs to wake or --pending, not both");
  if (!pending && ids.empty())
    return Fail("name the enrollment IDs to wake, or --pending for every enrollment with commands waiting "
                "(see mdm-console device list)");
  pqxx::connection& conn = ctx.db().connection();
  auto s = pending ? push::PushPending(conn) : push::PushEnrollments(conn, ids);
  if (!s.ok()) {
    std::fprintf(stderr, "mdm-console: %s\n", s.status().message().c_str());
    return kExitPushFailed;
  }
  std::printf("push: %s\n", Counts(*s).c_str());
  std::fflush(stdout);
  if (!s->message.empty()) {
    std::fprintf(stderr, "mdm-console: %s\n", s->message.c_str());
    return kExitPushFailed;
  }
  return 0;
}

int RunMdmcron(Context& ctx) {
  push::PushPolicy policy;
  deploy::ReconcileOptions reconcile;
  vpp::LicenceOptions licences;
  bool push = true;
  const auto& a = ctx.args();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--no-push") {
      push = false;
    } else if (a[i] == "--inventory-every" && i + 1 < a.size()) {
      reconcile.inventory_interval_seconds = std::atoi(a[++i].c_str());
    } else if (a[i] == "--keep-days" && i + 1 < a.size()) {
      reconcile.keep_finished_days = std::atoi(a[++i].c_str());
    } else if (a[i] == "--pending-after" && i + 1 < a.size()) {
      policy.pending_after_seconds = std::atoi(a[++i].c_str());
    } else if (a[i] == "--wakeup-after" && i + 1 < a.size()) {
      policy.wakeup_after_seconds = std::atoi(a[++i].c_str());
    } else if (a[i] == "--vpp-wait" && i + 1 < a.size()) {
      licences.wait_seconds = std::atoi(a[++i].c_str());
      if (licences.wait_seconds < 0 || licences.wait_seconds > 600) return Fail("--vpp-wait takes 0 to 600 seconds");
    } else {
      return Fail("unknown argument '" + a[i] + "'; see mdm-console mdmcron --help");
    }
  }
  if (policy.pending_after_seconds <= 0 || policy.wakeup_after_seconds <= 0 ||
      reconcile.inventory_interval_seconds <= 0 || reconcile.keep_finished_days <= 0)
    return Fail("--pending-after, --wakeup-after and --inventory-every take seconds, --keep-days days (all > 0)");
  pqxx::connection& conn = ctx.db().connection();
  {
    pqxx::nontransaction tx(conn);
    if (!tx.exec("SELECT pg_try_advisory_lock(" + std::to_string(kCronLock) + ")")[0][0].as<bool>()) {
      std::printf("mdmcron: another run holds the lock; nothing to do\n");
      return 0;
    }
  }
  // The session-level lock goes with the connection when the process ends.
  const auto started = std::chrono::steady_clock::now();
  // Two steps, each reported: the reconcile (one transaction: all of it or nothing), then the
  // pushes, which run even when the reconcile failed (commands queued before still need them).
  std::string reconcile_step;
  bool reconcile_ok = false;
  // Apps and Books licences first, so the reconcile installs the apps whose licences are in
  // place. A location that fails is reported; the rest of the run goes on.
  std::string licence_step;
  bool licences_ok = true;
  try {
    auto l = vpp::LicenceStep(conn, licences);
    if (!l.ok()) {
      licences_ok = false;
      licence_step = "failed: " + l.status().message();
    } else if (l->locations > 0) {
      std::printf("mdmcron licences: %d location(s): %lld requested, %lld associated, %lld short of licences, "
                  "%lld failed, %lld released (%lld disassociation(s) asked), %lld still under way; %d request(s) "
                  "to Apple in %.2f s\n",
                  l->locations, l->requested, l->associated, l->short_of_licences, l->failed, l->released,
                  l->disassociated, l->pending, l->requests, l->seconds);
      for (const auto& s : l->shortfalls) std::printf("short of licences: %s\n", s.c_str());
      for (const auto& e : l->errors) std::fprintf(stderr, "mdm-console: mdmcron licences: %s\n", e.c_str());
      licences_ok = l->errors.empty();
      licence_step = licences_ok ? "done, " + std::to_string(l->associated) + " associated"
                                 : "failed: " + l->errors.front();
      if (l->short_of_licences) licence_step += ", " + std::to_string(l->short_of_licences) + " short";
    }
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    licences_ok = false;
    licence_step = std::string("failed: ") + e.what();
  }
  try {
    auto r = deploy::Reconcile(conn, reconcile);
    if (r.ok()) {
      reconcile_ok = true;
      std::printf("mdmcron reconcile: %lld queued (profiles +%lld -%lld, apps +%lld -%lld, declarations %lld, "
                  "inventory %lld, DeviceConfigured %lld), %lld held back, groups +%lld -%lld by rule +%lld by "
                  "serial, %lld expired, %lld old results deleted, %d statements\n",
                  r->queued(), r->profiles_installed, r->profiles_removed, r->apps_installed, r->apps_removed,
                  r->declarations_notified, r->inventory_queued, r->device_configured, r->held, r->rule_joined,
                  r->rule_left, r->serial_joined, r->expired, r->deleted, r->statements);
      for (const auto& h : r->held_examples) std::printf("held back: %s\n", h.c_str());
      reconcile_step = "done, " + std::to_string(r->queued()) + " command(s) queued";
      if (r->held) reconcile_step += ", " + std::to_string(r->held) + " held back";
    } else {
      reconcile_step = "failed: " + r.status().message() + " (nothing of it was queued)";
    }
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    reconcile_step = std::string("failed: ") + e.what() + " (nothing of it was queued)";
  }
  std::string push_step = "skipped (--no-push)";
  bool push_ok = true;
  if (push) {
    auto s = push::PushDue(conn, policy);
    if (!s.ok()) {
      push_ok = false;
      push_step = "failed: " + s.status().message();
    } else {
      std::printf("mdmcron push: %s\n", Counts(*s).c_str());
      push_ok = s->message.empty();
      if (!push_ok)
        push_step = "failed: " + s->message;
      else if (s->selected == 0)
        push_step = "done, nothing due";
      else
        push_step = "done, " + std::to_string(s->sent) + " of " + std::to_string(s->selected) + " sent";
    }
  }
  const std::string line = "mdmcron: " + (licence_step.empty() ? std::string() : "licences: " + licence_step + "; ") +
                           "reconcile: " + reconcile_step + "; push: " + push_step;
  const int status = reconcile_ok && push_ok && licences_ok ? 0 : reconcile_ok && licences_ok ? kExitPushFailed : 1;
  // For the metrics scrape: when it ended, how long it took, how.
  store::RecordCronRun(ctx.db(), "mdmcron",
                       std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                           .count(),
                       status, line);
  std::fflush(stdout);
  if (status == 0) {
    std::printf("%s\n", line.c_str());
    return 0;
  }
  std::fprintf(stderr, "mdm-console: %s\n", line.c_str());
  return status;
}

}  // namespace mdm::cli
