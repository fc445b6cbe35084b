#include "service/device_responses.h"

namespace mdm::service {

http::Response BadRequest(const std::string& enrollment_id, const std::string& why) {
  auto r = http::Response::Text(400, "bad request", why);
  r.enrollment_id = enrollment_id;
  return r;
}

http::Response UnrecognizedDevice(const std::string& enrollment_id, const std::string& why) {
  http::Response r;
  r.status = 403;
  r.content_type = "application/json";
  r.body = "{\"code\":\"com.apple.unrecognized.device\",\"description\":\"This device is not enrolled with this server.\"}";
  r.enrollment_id = enrollment_id;
  r.reason = why;
  return r;
}

}  // namespace mdm::service
