// FastCGI params and streams to http::Request, http::Response back out. Nothing else.
#pragma once

#include <fcgiapp.h>

#include <cstddef>

#include "http/message.h"

namespace mdm::fcgi {

enum class ReadOutcome { kOk, kTooLarge, kBadLength, kShortBody };

// Fills `req` from the FastCGI request; refuses a declared body above `max_body` before reading it.
ReadOutcome ReadRequest(FCGX_Request& fr, std::size_t max_body, http::Request* req);

void WriteResponse(FCGX_Request& fr, const http::Response& res);

}  // namespace mdm::fcgi
