#include "store/event_store.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "http/message.h"
#include "store/sql_util.h"

namespace mdm::store {
namespace {

// One event for every enabled webhook that takes `topic_expr`: `device_key`, `kind` (the
// envelope's key of the event object) and `object` are SQL expressions over `from` (more FROM
// items, each source row one event) and `where`.
std::string OutboxInsert(const std::string& topic_expr, const std::string& device_key, const std::string& kind,
                         const std::string& object, const std::string& from = "", const std::string& where = "true") {
  return "INSERT INTO webhook_outbox (webhook_id, device_key, topic, event_id, payload) "
         "SELECT w.id, " + device_key + ", " + topic_expr + ", ev_id.id, "
         "  json_build_object('topic', " + topic_expr + ", 'event_id', ev_id.id, 'created_at', ev_id.at, '" + kind +
         "', " + object + ") "
         "FROM webhooks w, (SELECT gen_random_uuid() AS id, now() AS at) ev_id" + (from.empty() ? "" : ", " + from) +
         " WHERE (" + where + ") AND w.enabled AND (w.topics = '{}' OR " + topic_expr + " = ANY (w.topics))";
}

// A topic as an SQL text literal (topics are our constants, never input).
std::string TopicLiteral(const char* topic) {
  std::string s(1, '\'');
  s.append(topic);
  s.append("'::text");
  return s;
}

// The raw payload travels as bytea in binary, so a large report costs no hex or escaping.
std::string Base64Of(const std::string& bytea_expr) {
  return "translate(encode(" + bytea_expr + ", 'base64'), E'\\n', '')";
}

}  // namespace

const std::vector<std::string>& WebhookTopics() {
  static const std::vector<std::string> topics = {
      "mdm.Authenticate", "mdm.TokenUpdate",          "mdm.CheckOut",     "mdm.SetBootstrapToken",
      "mdm.GetBootstrapToken", "mdm.DeclarativeManagement", topic::kConnect, topic::kDeviceRemoved,
      topic::kAbmDevice};
  return topics;
}

std::pair<std::string, std::string> EventIdentity(const protocol::EnrollmentRef& who) {
  if (who.kind.rfind("user-enrollment", 0) == 0) return {"", who.device_id};
  return {who.device_id, ""};
}

EventSource EventSourceOf(const protocol::EnrollmentRef& who, const std::string& raw_payload, const std::string& query) {
  auto [udid, enrollment_id] = EventIdentity(who);
  return {std::move(udid), std::move(enrollment_id), &raw_payload, UrlParamsJson(query)};
}

std::string UrlParamsJson(const std::string& query) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [k, v] : http::QueryParams(query)) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return buf.GetString();
}

void FileCheckinEvent(pqxx::transaction_base& tx, const std::string& topic, const protocol::EnrollmentRef& who,
                      const std::string& raw_payload, const std::string& query, int token_update_tally) {
  static const std::string sql = OutboxInsert(
      "$1::text", "$2::text", "checkin_event",
      "json_strip_nulls(json_build_object('udid', nullif($3, ''), 'enrollment_id', nullif($4, ''), "
      "  'url_params', $5::json, 'raw_payload', " + Base64Of("$6::bytea") + ", "
      "  'token_update_tally', nullif($7::int, 0)))");
  auto [udid, enrollment_id] = EventIdentity(who);
  Exec(tx, "event_checkin", sql.c_str(), topic, who.device_id, udid, enrollment_id, UrlParamsJson(query),
       pqxx::binarystring(raw_payload.data(), raw_payload.size()), token_update_tally);
}

std::string AcknowledgeEventCte(const std::string& when, const std::string& udid, const std::string& enrollment_id,
                                const std::string& status, const std::string& command_uuid,
                                const std::string& raw_bytea, const std::string& url_params) {
  return "ev AS (" +
         OutboxInsert(TopicLiteral(topic::kConnect), "coalesce(nullif(" + udid + ", ''), " + enrollment_id + ")",
                      "acknowledge_event",
                      "json_strip_nulls(json_build_object('udid', nullif(" + udid + ", ''), 'enrollment_id', nullif(" +
                          enrollment_id + ", ''), 'status', " + status + ", 'command_uuid', " + command_uuid +
                          ", 'url_params', " + url_params + "::json, 'raw_payload', " + Base64Of(raw_bytea) + "))",
                      "", when) +
         ")";
}

void FileDeviceRemovedEvent(pqxx::transaction_base& tx, const std::string& device_id) {
  static const std::string sql = OutboxInsert(
      TopicLiteral(topic::kDeviceRemoved), "d.id", "device_event",
      "json_strip_nulls(json_build_object('udid', d.id, 'serial_number', d.serial_number, 'removed_by', 'operator'))",
      "devices d", "d.id = $1");
  Exec(tx, "event_device_removed", sql.c_str(), device_id);
}

std::string AbmDeviceEventCtes(const std::string& rows) {
  // Each changed device its own event id: the ids are drawn per row of a materialised CTE, and
  // only when a webhook could take them (applesync writes 100,000 rows on a cold sync).
  const std::string t = TopicLiteral(topic::kAbmDevice);
  return "abm_ev_rows AS (SELECT gen_random_uuid() AS id, now() AS at, r.* FROM " + rows +
         " r WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled AND (topics = '{}' OR " + t +
         " = ANY (topics)))), abm_ev AS (INSERT INTO webhook_outbox (webhook_id, device_key, topic, event_id, payload) "
         "SELECT w.id, x.serial_number, " + t + ", x.id, json_build_object('topic', " + t +
         ", 'event_id', x.id, 'created_at', x.at, 'abm_event', json_strip_nulls(json_build_object("
         "'serial_number', x.serial_number, 'op_type', x.op_type, 'op_date', x.op_date, 'model', x.model, "
         "'description', x.description, 'color', x.color, 'asset_tag', x.asset_tag, 'os', x.os, "
         "'device_family', x.device_family, 'profile_status', x.profile_status, 'profile_uuid', x.profile_uuid))) "
         "FROM abm_ev_rows x, webhooks w WHERE w.enabled AND (w.topics = '{}' OR " + t + " = ANY (w.topics)))";
}

void FileAcknowledgeEvent(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who, const std::string& status,
                          const std::string& command_uuid, const std::string& raw_payload, const std::string& query) {
  static const std::string sql =
      "WITH " + AcknowledgeEventCte("true", "$1::text", "$2::text", "$3::text", "$4::text", "$5::bytea", "$6") +
      " SELECT 1";
  auto [udid, enrollment_id] = EventIdentity(who);
  Exec(tx, "event_acknowledge", sql.c_str(), udid, enrollment_id, status, command_uuid,
       pqxx::binarystring(raw_payload.data(), raw_payload.size()), UrlParamsJson(query));
}

}  // namespace mdm::store
