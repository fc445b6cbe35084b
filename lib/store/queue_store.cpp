#include "store/queue_store.h"

#include "store/sql_util.h"

namespace mdm::store {

namespace {

// Two CTEs that settle what deployment the reported command carried, in the statement that
// records the result (after a CTE `rec` that returns a row only when a result was recorded), so
// that `device show` agrees with the device at once: an acknowledged removal goes, an install
// becomes installed, an error or format error becomes failed with its first ErrorChain entry.
// The arguments name the statement's parameters: enrollment ID, CommandUUID, status, ErrorChain.
std::string SettleDeployments(const char* enrollment, const char* uuid, const char* status, const char* chain) {
  const std::string e = enrollment, u = uuid, st = status, ch = chain;
  return ", settled_removal AS ("
         "  DELETE FROM device_deployments dd USING rec WHERE dd.device_id = " + e + " AND dd.command_uuid = " + u +
         "    AND dd.status = 'removing' AND " + st + " = 'Acknowledged'"
         "), settled AS ("
         "  UPDATE device_deployments dd SET "
         "    status = CASE WHEN " + st + " = 'Acknowledged' THEN 'installed' ELSE 'failed' END, "
         "    detail = CASE WHEN " + st + " = 'Acknowledged' THEN NULL "
         "      ELSE " + st + " || coalesce(': ' || (" + ch + "::jsonb -> 0 ->> 'LocalizedDescription'), '') END, "
         "    updated_at = now() "
         "  FROM rec WHERE dd.device_id = " + e + " AND dd.command_uuid = " + u +
         "    AND dd.status IN ('pending', 'removing') AND " + st + " <> 'NotNow' "
         "    AND NOT (dd.status = 'removing' AND " + st + " = 'Acknowledged'))";
}

}  // namespace

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

ReportOutcome RecordAndNext(pqxx::transaction_base& tx, const std::string& enrollment_id, const std::string& device_id,
                            const std::string& cert_sha256, const std::string& command_uuid,
                            const std::string& status, const std::string& report_json,
                            const std::string& error_chain_json, const EventSource& event) {
  // As in Idle, all parts see one snapshot: the next command excludes the reported one by name.
  static const std::string sql =
                "WITH e AS ("
                "  SELECT e.id, e.status, coalesce(d.cert_sha256 = decode($3, 'hex'), false) AS cert_ok, e.last_seen_at "
                "  FROM enrollments e JOIN enrollments d ON d.id = $2 WHERE e.id = $1"
                "), touch AS ("
                "  UPDATE enrollments SET last_seen_at = now() FROM e "
                "  WHERE enrollments.id = e.id AND e.status = 'enrolled' AND e.cert_ok "
                "    AND (e.last_seen_at IS NULL OR e.last_seen_at < now() - interval '60 seconds')"
                "), rec AS ("
                "  UPDATE command_queue q SET status = $5, result = $6::jsonb, error_chain = $7::jsonb, "
                "    result_at = now(), not_now_count = q.not_now_count + CASE WHEN $5 = 'NotNow' THEN 1 ELSE 0 END "
                "  FROM e WHERE e.status = 'enrolled' AND e.cert_ok AND q.enrollment_id = $1 "
                "    AND q.command_uuid = $4 AND q.status IN ('Pending', 'NotNow') RETURNING 1"
                ")" + SettleDeployments("$1", "$4", "$5::text", "$7") + ", n AS ("
                "  SELECT q.command_uuid, c.body FROM command_queue q JOIN commands c USING (command_uuid), e "
                "  WHERE q.enrollment_id = $1 AND q.status IN ('Pending', 'NotNow') AND e.status = 'enrolled' "
                "    AND e.cert_ok AND q.command_uuid <> $4 AND NOT ($5 = 'NotNow' AND q.status = 'NotNow') "
                "    AND (c.expires_at IS NULL OR c.expires_at > now()) "
                "  ORDER BY q.priority DESC, q.seq LIMIT 1"
                "), sent AS ("
                "  UPDATE command_queue SET sent_count = sent_count + 1, last_sent_at = now() FROM n "
                "  WHERE command_queue.enrollment_id = $1 AND command_queue.command_uuid = n.command_uuid"
                "), " + AcknowledgeEventCte("EXISTS (SELECT 1 FROM rec)", "$8::text", "$9::text", "$5::text", "$4::text",
                                            "$10::bytea", "$11") +
                " SELECT e.status, e.cert_ok, (SELECT count(*) FROM rec) > 0, n.command_uuid, n.body "
                "FROM e LEFT JOIN n ON true";
  auto r = Exec(tx, "queue_report", sql.c_str(), enrollment_id, device_id, *HexParam(cert_sha256), command_uuid, status, report_json,
                NullIfEmpty(error_chain_json), event.udid, event.enrollment_id,
                pqxx::binarystring(event.raw_payload->data(), event.raw_payload->size()), event.url_params);
  ReportOutcome o;
  if (r.empty()) return o;
  o.enrollment_exists = true;
  o.status = r[0][0].as<std::string>();
  o.cert_matches = r[0][1].as<bool>();
  o.recorded = r[0][2].as<bool>();
  if (!r[0][3].is_null()) o.next = NextCommand{r[0][3].as<std::string>(), *Bytes(r[0][4])};
  return o;
}

std::optional<std::string> RecordResult(pqxx::transaction_base& tx, const std::string& enrollment_id,
                                        const std::string& command_uuid, const std::string& status,
                                        const std::string& report_json, const std::string& error_chain_json) {
  static const std::string sql =
      "WITH rec AS ("
      "  UPDATE command_queue q SET status = $3, result = $4::jsonb, "
      "    error_chain = $5::jsonb, result_at = now(), "
      "    not_now_count = q.not_now_count + CASE WHEN $3 = 'NotNow' THEN 1 ELSE 0 END "
      "  FROM commands c "
      "  WHERE q.enrollment_id = $1 AND q.command_uuid = $2 AND c.command_uuid = q.command_uuid "
      "    AND q.status IN ('Pending', 'NotNow') "
      "  RETURNING c.request_type)" +
      SettleDeployments("$1", "$2", "$3::text", "$5") + " SELECT request_type FROM rec";
  auto r = Exec(tx, "queue_record", sql.c_str(), enrollment_id, command_uuid, status, report_json, NullIfEmpty(error_chain_json));
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

Result<std::vector<std::string>> CheckTargets(pqxx::transaction_base& tx, const std::vector<std::string>& ids) {
  if (ids.empty()) return Status::Invalid("no enrollment IDs given");
  // One statement: the channels among the targets, and the first few that cannot take commands.
  auto r = Exec(tx, "queue_targets",
                "SELECT array_agg(DISTINCT e.channel) FILTER (WHERE e.status = 'enrolled'), "
                "  (array_agg(i.id ORDER BY i.id) FILTER (WHERE e.id IS NULL))[1:5], "
                "  (array_agg(i.id || ' (' || e.status || ')' ORDER BY i.id) FILTER (WHERE e.status <> 'enrolled'))[1:5] "
                "FROM unnest($1::text[]) AS i(id) LEFT JOIN enrollments e ON e.id = i.id",
                TextArray(ids));
  auto list = [](const pqxx::field& f) {
    std::vector<std::string> out;
    if (f.is_null()) return out;
    auto parser = f.as_array();
    for (auto item = parser.get_next(); item.first != pqxx::array_parser::done; item = parser.get_next())
      if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
    return out;
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  auto unknown = list(r[0][1]), not_enrolled = list(r[0][2]);
  if (!unknown.empty())
    return Status::NotFound("cannot queue for " + join(unknown) + ": no such enrollment (see mdm-console device list)");
  if (!not_enrolled.empty()) return Status::Conflict("cannot queue for " + join(not_enrolled) + ": not enrolled");
  return list(r[0][0]);
}

void Insert(pqxx::transaction_base& tx, const EnqueueRequest& req) {
  // One statement, so it is whole without a transaction block around it.
  Exec(tx, "queue_insert",
       "WITH c AS (INSERT INTO commands (command_uuid, request_type, body, source) "
       "  VALUES ($2, $4, decode($5, 'hex'), $6)) "
       "INSERT INTO command_queue (enrollment_id, command_uuid, priority) "
       "SELECT DISTINCT i.id, $2::text, $3::smallint FROM unnest($1::text[]) AS i(id)",
       TextArray(req.enrollment_ids), req.command_uuid, req.priority, req.request_type, *HexParam(req.body),
       req.source);
}

}  // namespace mdm::store
