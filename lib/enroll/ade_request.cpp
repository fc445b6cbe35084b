#include "enroll/ade_request.h"

#include "crypto/signed_data.h"
#include "plist/property_list.h"

namespace mdm::enroll {

Result<AdeMachineInfo> ReadAdeRequest(std::string_view body, X509_STORE* roots) {
  auto signed_info = crypto::VerifyAttached(body, roots, /*ignore_validity_dates=*/true);
  if (!signed_info.ok()) return Status::Invalid("ADE machine info: " + signed_info.status().message());
  return ReadAdeMachineInfo(signed_info->content);
}

Result<AdeMachineInfo> ReadAdeMachineInfo(std::string_view plist_bytes) {
  auto info = plist::ParseDict(plist_bytes);
  if (!info.ok()) return Status::Invalid("ADE machine info: " + info.status().message());
  auto serial = plist::GetString(info->get(), "SERIAL");
  if (!serial || serial->empty() || serial->size() > 64) return Status::Invalid("ADE machine info without SERIAL");
  return AdeMachineInfo{std::move(*serial), plist::GetString(info->get(), "UDID")};
}

}  // namespace mdm::enroll
