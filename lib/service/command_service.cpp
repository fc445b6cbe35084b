#include "service/command_service.h"

#include "core/log.h"
#include "protocol/messages.h"
#include "service/device_responses.h"
#include "store/enrollment_store.h"
#include "store/inventory_store.h"
#include "store/queue_store.h"

namespace mdm::service {
namespace {

using protocol::Report;

http::Response Answer(metrics::Counters* metrics, const std::string& enrollment_id,
                      const std::optional<store::NextCommand>& next, std::string note) {
  http::Response r;
  r.enrollment_id = enrollment_id;
  if (next) {
    if (metrics) metrics->CommandDelivered();
    r.content_type = "application/xml";
    r.body = next->body;
    note += (note.empty() ? "" : "; ") + std::string("sent ") + next->command_uuid;
  }
  r.reason = std::move(note);
  return r;
}

}  // namespace

http::Response CommandService::Handle(const http::Request& req, pqxx::connection& conn) {
  if (req.method != "PUT" && req.method != "POST") return http::Response::Text(405, "the command channel takes PUT or POST");
  // Some clients send no Content-Type here; a different one is refused.
  std::string ct = req.content_type();
  if (!ct.empty() && !protocol::ContentTypeIs(ct, "application/x-apple-aspen-mdm"))
    return BadRequest("", "the command channel needs Content-Type application/x-apple-aspen-mdm, got '" +
                       ct.substr(0, 100) + "'");
  // Authenticated before parsed, as at /checkin.
  auto cert = auth_.Authenticate(req, conn);
  if (!cert.ok()) return BadRequest("", cert.status().message());
  if (auto limited = auth_.Throttle(*cert)) return *limited;
  auto parsed = protocol::ParseReport(req.body);
  if (!parsed.ok()) return BadRequest("", parsed.status().message());
  Report& rep = parsed.value();
  const auto& who = rep.enrollment;

  if (rep.status == Report::Status::kIdle) {
    // The hot path: one statement, no transaction.
    pqxx::nontransaction tx(conn);
    store::IdleOutcome o = store::Idle(tx, who.id, who.device_id, *cert);
    if (o.enrollment_exists && !o.cert_matches && BindImportedDevice(tx, who.device_id, *cert))
      o = store::Idle(tx, who.id, who.device_id, *cert);
    if (!o.enrollment_exists || o.status == "removed" || o.status == "checked-out")
      return UnrecognizedDevice(who.id, "Idle from an enrollment this server does not know or that checked out");
    if (!o.cert_matches) return BadRequest(who.id, "Idle signed by a certificate not bound to this device");
    if (o.status != "enrolled") return BadRequest(who.id, "Idle before the enrollment's TokenUpdate");
    return Answer(metrics_, who.id, o.next, "");
  }

  // Reports that feed no inventory take one statement, like Idle.
  bool inventory = rep.status == Report::Status::kAcknowledged &&
                   (plist::Get(rep.body.get(), "QueryResponses") || plist::Get(rep.body.get(), "SecurityInfo") ||
                    plist::Get(rep.body.get(), "ProfileList") || plist::Get(rep.body.get(), "InstalledApplicationList") ||
                    plist::Get(rep.body.get(), "CertificateList"));
  if (!inventory) {
    pqxx::nontransaction tx(conn);
    auto record = [&] {
      return store::RecordAndNext(tx, who.id, who.device_id, *cert, rep.command_uuid, rep.status_name,
                                  plist::ToJson(rep.body.get()), protocol::ErrorChainJson(rep),
                                  store::EventSourceOf(who, req.body, req.query));
    };
    store::ReportOutcome o = record();
    if (o.enrollment_exists && !o.cert_matches && BindImportedDevice(tx, who.device_id, *cert)) o = record();
    if (!o.enrollment_exists || o.status == "removed" || o.status == "checked-out")
      return UnrecognizedDevice(who.id, rep.status_name + " from an enrollment this server does not know");
    if (!o.cert_matches) return BadRequest(who.id, rep.status_name + " signed by a certificate not bound to this device");
    if (o.status != "enrolled") return BadRequest(who.id, rep.status_name + " before the enrollment's TokenUpdate");
    if (o.recorded && metrics_) metrics_->CommandAnswered(rep.status_name);
    return Answer(metrics_, who.id, o.next,
                  rep.status_name + (o.recorded ? " " : " for unknown or finished command ") + rep.command_uuid);
  }

  pqxx::work tx(conn);
  store::EnrollmentAuth a = store::LookupAuth(tx, who);
  if (a.device_exists && !a.bound_sha256 && BindImportedDevice(tx, who.device_id, *cert)) a.bound_sha256 = *cert;
  if (!a.exists || !a.device_exists || a.status == "removed" || a.status == "checked-out")
    return UnrecognizedDevice(who.id, rep.status_name + " from an enrollment this server does not know");
  if (!a.bound_sha256 || *a.bound_sha256 != *cert)
    return BadRequest(who.id, rep.status_name + " signed by a certificate not bound to this device");
  if (a.status != "enrolled") return BadRequest(who.id, rep.status_name + " before the enrollment's TokenUpdate");

  store::TouchLastSeen(tx, who.id);
  auto request_type = store::RecordResult(tx, who.id, rep.command_uuid, rep.status_name, plist::ToJson(rep.body.get()),
                                          protocol::ErrorChainJson(rep));
  std::string note;
  if (!request_type) {
    // Logged and ignored: the device still gets its next command.
    note = rep.status_name + " for unknown or finished command " + rep.command_uuid;
  } else {
    note = rep.status_name + " " + *request_type + " " + rep.command_uuid;
    if (rep.status == Report::Status::kAcknowledged)
      store::ApplyInventory(tx, who.device_id, who.id, *request_type, rep.body.get());
    store::FileAcknowledgeEvent(tx, who, rep.status_name, rep.command_uuid, req.body, req.query);
  }
  auto next = store::Next(tx, who.id, rep.command_uuid, rep.status == Report::Status::kNotNow);
  tx.commit();
  if (request_type && metrics_) metrics_->CommandAnswered(rep.status_name);
  return Answer(metrics_, who.id, next, note);
}

}  // namespace mdm::service
