// What an ADE device's POST /profile says: its machine info (SERIAL, UDID, ...), a property list
// it sends signed by its Apple device certificate. Read here without the database, so the
// reading is tested and fuzzed on its own (tests/fuzz/ade_fuzz.cpp); EnrollmentService acts on it.
#pragma once

#include <openssl/x509_vfy.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mdm::enroll {

struct AdeMachineInfo {
  std::string serial;               // SERIAL: 1 to 64 bytes of valid UTF-8 without NUL
  std::optional<std::string> udid;  // UDID, when the device sent one
};

// The body of POST /profile: a DER attached SignedData whose signer chains to `roots` (validity
// dates ignored: Apple's old device CA has expired and devices still sign under it), holding
// the machine info. kInvalid with a sentence that starts "ADE machine info".
Result<AdeMachineInfo> ReadAdeRequest(std::string_view body, X509_STORE* roots);

// The machine info itself, once the signature is verified: a plist dictionary with SERIAL.
Result<AdeMachineInfo> ReadAdeMachineInfo(std::string_view plist_bytes);

}  // namespace mdm::enroll
