#include "service/commands.h"

#include "crypto/crypto.h"
#include "protocol/command_schema.h"
#include "store/queue_store.h"
#include "store/sql_util.h"

namespace mdm::service {

std::string CommandBody(const std::string& command_uuid, plist_t command) {
  plist::Owned body(plist_new_dict());
  plist::SetString(body.get(), "CommandUUID", command_uuid);
  plist::Set(body.get(), "Command", plist_copy(command));
  return plist::ToXml(body.get());
}

Result<Enqueued> EnqueueCommand(pqxx::connection& conn, plist_t command, const std::vector<std::string>& enrollment_ids,
                                const EnqueueOptions& opts) {
  if (!command || plist_get_node_type(command) != PLIST_DICT) return Status::Invalid("the command is not a dictionary");
  auto request_type = plist::GetString(command, "RequestType");
  if (!request_type || request_type->empty()) return Status::Invalid("the command has no RequestType");
  if (enrollment_ids.empty()) return Status::Invalid("name at least one enrollment ID");

  // Two statements, no transaction block: the insert is one statement, whole or not at all.
  pqxx::nontransaction tx(conn);
  auto channels = store::CheckTargets(tx, enrollment_ids);
  if (!channels.ok()) return channels.status();
  // ClearPasscode carries the UnlockToken the device gave at its TokenUpdate: the server adds
  // it, so nobody has to handle the secret.
  plist::Owned with_token;
  if (*request_type == "ClearPasscode" && !plist::Get(command, "UnlockToken")) {
    if (enrollment_ids.size() != 1) return Status::Invalid("ClearPasscode goes to one device at a time");
    auto r = tx.exec_params("SELECT unlock_token FROM enrollments WHERE id = $1 AND channel = 'device'",
                            enrollment_ids[0]);
    auto token = r.empty() ? std::nullopt : store::Bytes(r[0][0]);
    if (!token || token->empty())
      return Status::Invalid("the device gave no UnlockToken (supervised or with a passcode set at enrollment), so "
                             "ClearPasscode cannot be sent");
    with_token.reset(plist_copy(command));
    plist::SetData(with_token.get(), "UnlockToken", *token);
    command = with_token.get();
  }
  if (!opts.force) {
    for (const auto& channel : *channels) {
      Status s = protocol::ValidateCommand(command, channel == "user" ? protocol::Channel::kUser : protocol::Channel::kDevice);
      if (!s.ok()) return Status::Invalid(s.message() + " (--force queues it anyway)");
    }
  }
  store::EnqueueRequest req;
  req.command_uuid = crypto::NewUuid();
  req.request_type = *request_type;
  req.body = CommandBody(req.command_uuid, command);
  req.enrollment_ids = enrollment_ids;
  req.priority = opts.priority;
  req.source = opts.source;
  store::Insert(tx, req);
  return Enqueued{req.command_uuid, req.request_type, enrollment_ids.size()};
}

}  // namespace mdm::service
