// Devices and their enrollments: what check-in messages change.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "core/status.h"
#include "protocol/messages.h"

namespace mdm::store {

// What authentication needs to know about the enrollment a message names.
struct EnrollmentAuth {
  bool exists = false;          // the enrollment row
  std::string status;           // pending, enrolled, checked-out, removed
  bool device_exists = false;   // the device channel's row (for user channels)
  std::string device_status;
  std::optional<std::string> bound_sha256;  // the device channel's certificate binding
};

EnrollmentAuth LookupAuth(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who);

// Authenticate: the device and its device-channel enrollment, bound to `cert_sha256`.
// Refused (kConflict) when that certificate is bound to another device.
struct AuthenticateFields {
  std::string topic;
  std::optional<std::string> serial_number, product_name, model, model_name, device_name, os_version,
      build_version, imei, meid, udid;
};
Status RecordAuthenticate(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who,
                          const AuthenticateFields& f, const std::string& cert_sha256);

struct TokenUpdateFields {
  std::string topic;
  std::string token;       // raw bytes
  std::string push_magic;
  std::optional<std::string> unlock_token;
  bool awaiting_configuration = false;
};
// Returns the update count afterwards (1 means "newly enrolled").
int RecordTokenUpdate(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who, const TokenUpdateFields& f);

// An imported device channel (bind_on_contact, no certificate yet) takes `cert_sha256` as its
// binding, once, unless that certificate is bound to another device. True when it did: the
// caller checks the message again as from a bound device. False for every other enrollment.
bool BindOnContact(pqxx::transaction_base& tx, const std::string& device_id, const std::string& cert_sha256);

// Records contact, at most once a minute (the hot paths do the same inside their statements).
void TouchLastSeen(pqxx::transaction_base& tx, const std::string& enrollment_id);

// CheckOut of the device channel also checks out its user channels.
void RecordCheckOut(pqxx::transaction_base& tx, const protocol::EnrollmentRef& who);

// The operator removes a device: all its enrollments become `removed` (the device gets 403 and
// unenrolls at its next contact) and their pending commands are canceled. History is kept.
// Returns false when there is no such device.
bool RemoveDevice(pqxx::transaction_base& tx, const std::string& device_id);

void SetBootstrapToken(pqxx::transaction_base& tx, const std::string& device_id,
                       const std::optional<std::string>& token);
std::optional<std::string> GetBootstrapToken(pqxx::transaction_base& tx, const std::string& device_id);

}  // namespace mdm::store
