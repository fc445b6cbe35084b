// The enrollment routes: /enroll/<one-time token> (manual enrollment from a link) and /profile
// (Automated Device Enrollment: the device POSTs its Apple-signed machine info).
#pragma once

#include <mutex>

#include <pqxx/pqxx>

#include "crypto/crypto.h"
#include "http/message.h"

namespace mdm::enroll {

class EnrollmentService {
 public:
  http::Response EnrollLink(const http::Request& req, const std::string& token, pqxx::connection& conn);
  http::Response AdeProfile(const http::Request& req, pqxx::connection& conn);

 private:
  X509_STORE* AdeRoots(pqxx::connection& conn);

  std::once_flag roots_once_;
  crypto::Store roots_;
};

}  // namespace mdm::enroll
