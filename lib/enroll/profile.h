// Enrollment profiles: a signed Configuration profile with the identity payload (SCEP, or a
// PKCS#12 the server makes) and the com.apple.mdm payload.
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "core/status.h"

namespace mdm::enroll {

struct ProfileRequest {
  std::string identity = "scep";  // scep | pkcs12
  std::string serial_number;      // binds the SCEP challenge to a device, when known
  std::string label;              // shown in the certificate subject and logs
  int64_t challenge_ttl_seconds = 7 * 86400;
};

// The signed profile (DER CMS, content attached). kConflict naming the missing setting (api-url,
// push certificate) and how to set it.
Result<std::string> BuildEnrollmentProfile(pqxx::transaction_base& tx, const ProfileRequest& req);

// A one-time link <api-url>/enroll/<token> that serves such a profile once, within
// req.challenge_ttl_seconds; refused like BuildEnrollmentProfile when something is missing.
Result<std::string> CreateEnrollLink(pqxx::transaction_base& tx, const ProfileRequest& req);

// The unsigned profile XML inside (for tests and inspection).
Result<std::string> BuildEnrollmentProfileXml(pqxx::transaction_base& tx, const ProfileRequest& req);

// The profile-signing identity: the operator's imported one, else one made once and issued by
// the device CA. Import accepts a PEM file (certificate, key, chain) or PKCS#12 (with password).
Status ImportSigningIdentity(pqxx::connection& conn, const std::string& file_bytes, const std::string& key_pem,
                             const std::string& password, std::string* subject);

// The PayloadIdentifier of this server's enrollment profiles (from the api-url's host): a catalog
// profile with the same identifier would replace it on the device and take the device out of MDM.
std::string EnrollmentProfileIdentifier(const std::string& api_url);

constexpr const char* kProfileContentType = "application/x-apple-aspen-config";

}  // namespace mdm::enroll
