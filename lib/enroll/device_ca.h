// The device CA: issues the identities devices authenticate with (by SCEP or PKCS#12) and is
// the only root their signatures are checked against. Kept in the settings table.
#pragma once

#include <pqxx/pqxx>

#include "crypto/crypto.h"

namespace mdm::enroll {

struct DeviceCa {
  crypto::Cert cert;
  crypto::Pkey key;
};

// Loads the device CA, creating it first when the database has none (two hosts racing to
// create it end up with the same one).
DeviceCa LoadOrCreateDeviceCa(pqxx::connection& conn);
// The same inside the caller's transaction (created rows commit with it).
DeviceCa LoadOrCreateDeviceCa(pqxx::transaction_base& tx);

// The CA certificate alone (what workers need to verify devices), creating the CA if absent.
crypto::Cert LoadDeviceCaCert(pqxx::connection& conn);

// Issues a device identity certificate for `device_key` (used by PKCS#12 enrollment and tests).
crypto::Cert IssueDeviceIdentity(const DeviceCa& ca, EVP_PKEY* device_key, const std::string& common_name,
                                 int days = 730);

}  // namespace mdm::enroll
