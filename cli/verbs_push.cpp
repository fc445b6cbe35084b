// Pushes: `push` for chosen enrollments, `mdmcron` for the ones the policy says are due.
#include <cstdio>

#include "console.h"
#include "deploy/reconcile.h"
#include "push/pusher.h"

namespace mdm::cli {
namespace {

// Serialises mdmcron runs across hosts ("mdm-cron").
constexpr long long kCronLock = 0x6d646d2d63726f6eLL;

int Report(const Result<push::PushSummary>& s, const char* what) {
  if (!s.ok()) return Fail(s.status().message());
  std::printf("%s: %zu selected, %zu sent, %zu token(s) dead, %zu failed (at most %d in flight)%s%s\n", what,
              s->selected, s->sent, s->dead, s->failed, s->max_in_flight,
              s->first_error.empty() ? "" : "; first failure: ", s->first_error.c_str());
  if (s->certificate_refused) return Fail(s->message);
  return 0;
}

}  // namespace

int PushAfterEnqueue(Context& ctx, const std::vector<std::string>& enrollment_ids) {
  auto s = push::PushEnrollments(ctx.db().connection(), enrollment_ids);
  if (!s.ok()) {
    std::fprintf(stderr, "not pushed: %s\n", s.status().message().c_str());
    return 0;  // queued all the same: the devices get it at their next check-in
  }
  std::fprintf(stderr, "pushed %zu of %zu\n", s->sent, s->selected);
  if (s->certificate_refused) std::fprintf(stderr, "warning: %s\n", s->message.c_str());
  return 0;
}

int RunPush(Context& ctx) {
  if (ctx.args().empty()) return Fail("name the enrollment IDs to wake (see mdm-console device list)");
  return Report(push::PushEnrollments(ctx.db().connection(), ctx.args()), "push");
}

int RunMdmcron(Context& ctx) {
  push::PushPolicy policy;
  deploy::ReconcileOptions reconcile;
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
  auto r = deploy::Reconcile(conn, reconcile);
  if (!r.ok()) return Fail(r.status().message());
  std::printf("mdmcron reconcile: %lld queued (profiles +%lld -%lld, apps +%lld -%lld, declarations %lld, "
              "inventory %lld, DeviceConfigured %lld), %lld held back, groups +%lld -%lld by rule +%lld by serial, "
              "%lld expired, %lld old results deleted, %d statements\n",
              r->queued(), r->profiles_installed, r->profiles_removed, r->apps_installed, r->apps_removed,
              r->declarations_notified, r->inventory_queued, r->device_configured, r->held, r->rule_joined,
              r->rule_left, r->serial_joined, r->expired, r->deleted, r->statements);
  for (const auto& h : r->held_examples) std::printf("held back: %s\n", h.c_str());
  if (!push) return 0;
  return Report(push::PushDue(conn, policy), "mdmcron push");
}

}  // namespace mdm::cli
