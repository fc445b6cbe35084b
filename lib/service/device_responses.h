// Answers to devices that both device routes share.
#pragma once

#include <string>

#include "http/message.h"

namespace mdm::service {

// 400 with the reason in the log line (never 401: that can make a device unenroll).
http::Response BadRequest(const std::string& enrollment_id, const std::string& why);

// 403 with an ErrorUnrecognizedDevice body: the device unenrolls cleanly (iOS 17+).
http::Response UnrecognizedDevice(const std::string& enrollment_id, const std::string& why);

}  // namespace mdm::service
