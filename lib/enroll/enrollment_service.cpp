#include "enroll/enrollment_service.h"

#include "certs/apple_pki.h"
#include "enroll/ade_request.h"
#include "enroll/profile.h"
#include "enroll/tokens.h"
#include "protocol/messages.h"
#include "store/settings.h"
#include "store/sql_util.h"

namespace mdm::enroll {
namespace {

http::Response ProfileResponse(std::string profile, std::string note) {
  http::Response r;
  r.content_type = kProfileContentType;
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"enroll.mobileconfig\"");
  r.body = std::move(profile);
  r.reason = std::move(note);
  return r;
}

}  // namespace

http::Response EnrollmentService::EnrollLink(const http::Request& req, const std::string& token,
                                             pqxx::connection& conn) {
  if (req.method != "GET") return http::Response::Text(405, "enrollment links answer GET");
  pqxx::work tx(conn);
  auto use = ConsumeToken(tx, TokenKind::kEnrollLink, token);
  if (!use.ok()) {
    if (use.status().code() == Status::Code::kNotFound) return http::Response::Text(404, "no such enrollment link");
    return http::Response::Text(410, "this enrollment link was already used or has expired; ask for a new one",
                                "enrollment link " + use.status().message());
  }
  ProfileRequest pr;
  pr.identity = use->identity;
  pr.label = use->label;
  pr.serial_number = use->serial_number;
  auto profile = BuildEnrollmentProfile(tx, pr);
  if (!profile.ok()) return http::Response::Text(503, "the server is not ready to enroll devices", profile.status().message());
  tx.commit();
  return ProfileResponse(std::move(profile).value(), "enrollment link served (" + use->label + ")");
}

X509_STORE* EnrollmentService::AdeRoots(pqxx::connection& conn) {
  std::call_once(roots_once_, [&] {
    pqxx::read_transaction tx(conn);
    auto pem = store::GetSetting(tx, store::setting::kAdeRootCa);
    std::vector<crypto::Cert> roots;
    std::string all = pem ? *pem : std::string(certs::kAppleRootCaPem);
    for (size_t p = all.find("-----BEGIN CERTIFICATE-----"); p != std::string::npos;
         p = all.find("-----BEGIN CERTIFICATE-----", p + 1))
      if (auto c = crypto::CertFromPem(all.substr(p)); c.ok()) roots.push_back(std::move(c).value());
    std::vector<X509*> raw;
    for (auto& c : roots) raw.push_back(c.get());
    roots_ = crypto::MakeStore(raw);
  });
  return roots_.get();
}

http::Response EnrollmentService::AdeProfile(const http::Request& req, pqxx::connection& conn) {
  if (req.method != "POST") return http::Response::Text(405, "the ADE profile request is a POST");
  if (!protocol::ContentTypeIs(req.content_type(), "application/pkcs7-signature"))
    return http::Response::Text(400, "bad request", "ADE profile request without Content-Type application/pkcs7-signature");
  auto info = ReadAdeRequest(req.body, AdeRoots(conn));
  if (!info.ok()) return http::Response::Text(400, "bad request", info.status().message());
  const std::string& serial = info->serial;
  const std::optional<std::string>& udid = info->udid;
  pqxx::work tx(conn);
  auto known = store::Exec(tx, "ade_device_seen",
                           "UPDATE dep_devices SET udid = coalesce($2, udid), profile_requested_at = now(), "
                           "  updated_at = now() WHERE serial_number = $1 AND deleted_at IS NULL RETURNING 1",
                           serial, store::Nullable(udid));
  if (known.empty()) {
    auto r = http::Response::Text(403, "this device is not assigned to this server",
                                  "ADE request from serial " + serial + ", unknown to applesync and the operator");
    r.enrollment_id = udid.value_or("");
    return r;
  }
  ProfileRequest pr;
  pr.serial_number = serial;
  pr.label = serial;
  pr.challenge_ttl_seconds = 3600;
  auto profile = BuildEnrollmentProfile(tx, pr);
  if (!profile.ok()) return http::Response::Text(503, "the server is not ready to enroll devices", profile.status().message());
  tx.commit();
  auto r = ProfileResponse(std::move(profile).value(), "ADE profile for serial " + serial);
  r.enrollment_id = udid.value_or("");
  return r;
}

}  // namespace mdm::enroll
