#include "accounts/audit.h"

#include "store/sql_util.h"

namespace mdm::accounts {

void Audit(pqxx::transaction_base& tx, const std::string& actor, const std::string& action,
           const std::vector<std::string>& device_ids, const std::string& detail) {
  store::Exec(tx, "accounts_audit",
              "INSERT INTO audit_log (actor, action, device_id, detail) "
              "SELECT $1, $2, d, $4::jsonb FROM unnest(CASE WHEN cardinality($3::text[]) = 0 THEN ARRAY[NULL]::text[] "
              "  ELSE $3::text[] END) AS d",
              actor, action, store::TextArray(device_ids), store::NullIfEmpty(detail));
}

std::string AuditJson(pqxx::transaction_base& tx, long long limit, long long offset,
                      const std::optional<std::string>& device_id) {
  return store::Exec(tx, "accounts_audit_read",
                     "WITH page AS (SELECT * FROM audit_log WHERE ($3::text IS NULL OR device_id = $3) "
                     "  ORDER BY at DESC, id DESC LIMIT $1 + 1 OFFSET $2) "
                     "SELECT jsonb_build_object('entries', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, "
                     "  'at', at, 'actor', actor, 'action', action, 'device_id', device_id, 'detail', detail) "
                     "  ORDER BY at DESC, id DESC) FROM (SELECT * FROM page ORDER BY at DESC, id DESC LIMIT $1) p), "
                     "  '[]'::jsonb), 'more', (SELECT count(*) FROM page) > $1)::text",
                     limit, offset, store::Nullable(device_id))[0][0]
      .as<std::string>();
}

}  // namespace mdm::accounts
