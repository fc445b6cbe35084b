// Apple's public CA certificates, embedded so the build and the server need no files.
#pragma once

namespace mdm::certs {

extern const char* const kAppleWwdrCaG3Pem;
extern const char* const kAppleRootCaPem;

}  // namespace mdm::certs
