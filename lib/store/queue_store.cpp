#include "store/queue_store.h"

#include "store/sql_util.h"

namespace mdm::store {

IdleOutcome Idle(pqxx::transaction_base& tx, const std::string& enrollment_id, const std::string& device_id,
                 const std::string& cert_sha256) {
  // All CTEs see the same snapshot; the two UPDATEs run only for an enrolled, correctly bound
  // enrollment. "last seen" is written at most once a minute per enrollment.
  auto r = Exec(tx, "queue_idle",
                "WITH e AS ("
                "  SELECT e.id, e.status, d.cert_sha256 = decode($3, 'hex') AS cert_ok, e.last_seen_at "
                "  FROM enrollments e JOIN enrollments d ON d.id = $2 WHERE e.id = $1"
                "), n AS ("
                "  SELECT q.command_uuid, c.body FROM command_queue q JOIN commands c USING (command_uuid), e "
                "  WHERE q.enrollment_id = $1 AND q.status IN ('Pending', 'NotNow') "
                "    AND e.status = 'enrolled' AND e.cert_ok "
                "    AND (c.expires_at IS NULL OR c.expires_at > now()) "
                "  ORDER BY q.priority DESC, q.seq LIMIT 1"
                "), touch AS ("
                "  UPDATE enrollments SET last_seen_at = now() FROM e "
                "  WHERE enrollments.id = e.id AND e.status = 'enrolled' AND e.cert_ok "
                "    AND (e.last_seen_at IS NULL OR e.last_seen_at < now() - interval '60 seconds')"
                "), sent AS ("
                "  UPDATE command_queue SET sent_count = sent_count + 1, last_sent_at = now() FROM n "
                "  WHERE command_queue.enrollment_id = $1 AND command_queue.command_uuid = n.command_uuid"
                ") "
                "SELECT e.status, coalesce(e.cert_ok, false), n.command_uuid, n.body FROM e LEFT JOIN n ON true",
                enrollment_id, device_id, *HexParam(cert_sha256));
  IdleOutcome o;
  if (r.empty()) return o;
  o.enrollment_exists = true;
  o.status = r[0][0].as<std::string>();
  o.cert_matches = r[0][1].as<bool>();
  if (!r[0][2].is_null()) o.next = NextCommand{r[0][2].as<std::string>(), *Bytes(r[0][3])};
  return o;
}

std::optional<std::string> RecordResult(pqxx::transaction_base& tx, const std::string& enrollment_id,
                                        const std::string& command_uuid, const std::string& status,
                                        const std::string& report_json, const std::string& error_chain_json) {
  auto r = Exec(tx, "queue_record",
                "UPDATE command_queue q SET status = $3, result = $4::jsonb, "
                "  error_chain = $5::jsonb, result_at = now(), "
                "  not_now_count = q.not_now_count + CASE WHEN $3 = 'NotNow' THEN 1 ELSE 0 END "
                "FROM commands c "
                "WHERE q.enrollment_id = $1 AND q.command_uuid = $2 AND c.command_uuid = q.command_uuid "
                "  AND q.status IN ('Pending', 'NotNow') "
                "RETURNING c.request_type",
                enrollment_id, command_uuid, status, report_json, NullIfEmpty(error_chain_json));
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<NextCommand> Next(pqxx::transaction_base& tx, const std::string& enrollment_id,
                                const std::string& exclude_uuid, bool skip_not_now) {
  auto r = Exec(tx, "queue_next",
                "WITH n AS ("
                "  SELECT q.command_uuid, c.body FROM command_queue q JOIN commands c USING (command_uuid) "
                "  WHERE q.enrollment_id = $1 AND q.status IN ('Pending', 'NotNow') "
                "    AND q.command_uuid <> $2 AND NOT ($3 AND q.status = 'NotNow') "
                "    AND (c.expires_at IS NULL OR c.expires_at > now()) "
                "  ORDER BY q.priority DESC, q.seq LIMIT 1"
                "), sent AS ("
                "  UPDATE command_queue SET sent_count = sent_count + 1, last_sent_at = now() FROM n "
                "  WHERE command_queue.enrollment_id = $1 AND command_queue.command_uuid = n.command_uuid"
                ") SELECT command_uuid, body FROM n",
                enrollment_id, exclude_uuid, skip_not_now);
  if (r.empty()) return std::nullopt;
  return NextCommand{r[0][0].as<std::string>(), *Bytes(r[0][1])};
}

Status Enqueue(pqxx::transaction_base& tx, const EnqueueRequest& req) {
  if (req.enrollment_ids.empty()) return Status::Invalid("no enrollment IDs given");
  std::string ids = TextArray(req.enrollment_ids);
  auto bad = Exec(tx, "queue_enqueue_check",
                  "SELECT i.id, e.status FROM unnest($1::text[]) AS i(id) "
                  "LEFT JOIN enrollments e ON e.id = i.id "
                  "WHERE e.id IS NULL OR e.status <> 'enrolled' ORDER BY i.id LIMIT 5",
                  ids);
  if (!bad.empty()) {
    std::string list;
    bool unknown = false;
    for (const auto& row : bad) {
      list += (list.empty() ? "" : ", ") + row[0].as<std::string>();
      if (row[1].is_null()) unknown = true;
      else list += " (" + row[1].as<std::string>() + ")";
    }
    std::string msg = "cannot queue for " + list + ": " +
                      (unknown ? "no such enrollment (see mdm-console device list)" : "not enrolled");
    return unknown ? Status::NotFound(msg) : Status::Conflict(msg);
  }
  Exec(tx, "queue_enqueue_command",
       "INSERT INTO commands (command_uuid, request_type, body, source) VALUES ($1, $2, decode($3, 'hex'), $4)",
       req.command_uuid, req.request_type, *HexParam(req.body), req.source);
  Exec(tx, "queue_enqueue_targets",
       "INSERT INTO command_queue (enrollment_id, command_uuid, priority) "
       "SELECT DISTINCT i.id, $2::text, $3::smallint FROM unnest($1::text[]) AS i(id)",
       ids, req.command_uuid, req.priority);
  return Status::Ok();
}

}  // namespace mdm::store
