#include "store/declaration_store.h"

#include "store/sql_util.h"

namespace mdm::store {
namespace {

// The token over the enrollment's set: a digest of its identifiers and server tokens, so it
// changes exactly when the set or any member changes. The same SQL serves both documents.
constexpr const char* kTokenSql =
    "encode(sha256(convert_to(coalesce(string_agg(d.identifier || ':' || d.server_token, ',' "
    "ORDER BY d.identifier), ''), 'UTF8')), 'hex')";

}  // namespace

std::string DeclarativeTokensJson(pqxx::transaction_base& tx, const std::string& enrollment_id) {
  static const std::string sql =
      std::string("SELECT jsonb_build_object('SyncTokens', jsonb_build_object('DeclarationsToken', ") + kTokenSql +
      ", 'Timestamp', to_char(coalesce(max(d.updated_at), 'epoch'::timestamptz) AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')))::text "
      "FROM enrollment_declarations ed JOIN declarations d ON d.identifier = ed.declaration_identifier "
      "WHERE ed.enrollment_id = $1";
  return Exec(tx, "ddm_tokens", sql.c_str(), enrollment_id)[0][0].as<std::string>();
}

std::string DeclarationItemsJson(pqxx::transaction_base& tx, const std::string& enrollment_id) {
  static const std::string sql =
      std::string(
          "SELECT jsonb_build_object('Declarations', jsonb_build_object("
          "  'Activations', coalesce(jsonb_agg(i) FILTER (WHERE d.type LIKE 'com.apple.activation.%'), '[]'), "
          "  'Configurations', coalesce(jsonb_agg(i) FILTER (WHERE d.type LIKE 'com.apple.configuration.%'), '[]'), "
          "  'Assets', coalesce(jsonb_agg(i) FILTER (WHERE d.type LIKE 'com.apple.asset.%'), '[]'), "
          "  'Management', coalesce(jsonb_agg(i) FILTER (WHERE d.type LIKE 'com.apple.management.%'), '[]')), "
          "  'DeclarationsToken', ") +
      kTokenSql +
      ")::text "
      "FROM enrollment_declarations ed JOIN declarations d ON d.identifier = ed.declaration_identifier "
      "CROSS JOIN LATERAL jsonb_build_object('Identifier', d.identifier, 'ServerToken', d.server_token) AS i "
      "WHERE ed.enrollment_id = $1";
  return Exec(tx, "ddm_items", sql.c_str(), enrollment_id)[0][0].as<std::string>();
}

std::optional<std::string> DeclarationJson(pqxx::transaction_base& tx, const std::string& enrollment_id,
                                           const std::string& kind, const std::string& identifier) {
  auto r = Exec(tx, "ddm_declaration",
                "SELECT jsonb_build_object('Type', d.type, 'Identifier', d.identifier, "
                "  'ServerToken', d.server_token, 'Payload', d.payload)::text "
                "FROM enrollment_declarations ed JOIN declarations d ON d.identifier = ed.declaration_identifier "
                "WHERE ed.enrollment_id = $1 AND d.identifier = $3 AND d.type LIKE 'com.apple.' || $2 || '.%'",
                enrollment_id, kind, identifier);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

void StoreStatusReport(pqxx::transaction_base& tx, const std::string& enrollment_id, const std::string& json) {
  Exec(tx, "ddm_status", "INSERT INTO declarative_status_reports (enrollment_id, report) VALUES ($1, $2::jsonb)",
       enrollment_id, json);
}

}  // namespace mdm::store
