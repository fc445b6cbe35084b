// The SCEP server (RFC 8894) at /scep: a device installing its enrollment profile gets from it
// the identity certificate it then signs every MDM message with. The device CA answers itself
// (no separate RA certificate). A PKCSReq needs a one-time challenge (enroll/tokens.h); a
// RenewalReq is signed with an identity our CA issued instead.
#pragma once

#include <mutex>

#include <pqxx/pqxx>

#include "enroll/device_ca.h"
#include "http/message.h"

namespace mdm::enroll {

class ScepService {
 public:
  ScepService();

  // Handles GET/POST /scep?operation=GetCACaps|GetCACert|PKIOperation. Never throws for bad
  // input: a PKIOperation that can be answered gets a CertRep (FAILURE with a failInfo when
  // refused), one that is not PKCS#7 at all a 400.
  http::Response Handle(const http::Request& req, pqxx::connection& conn);

 private:
  // The device CA, loaded once per process: it does not change while workers run.
  const DeviceCa& Ca(pqxx::connection& conn);
  http::Response PkiOperation(const http::Request& req, pqxx::connection& conn);

  std::once_flag ca_once_;
  DeviceCa ca_;
  crypto::Store ca_store_;  // the CA alone, for RenewalReq signers
};

}  // namespace mdm::enroll
