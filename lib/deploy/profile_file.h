// A configuration profile as the operator uploads it to the catalog: plain XML, binary, or
// signed (CMS SignedData with the plist attached), checked and reduced to what deployment needs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mdm::deploy {

struct ProfileFile {
  std::string identifier;    // PayloadIdentifier: devices replace a profile with the same one
  std::string payload_uuid;  // PayloadUUID
  std::string display_name;  // PayloadDisplayName, "" when absent
  std::string xml;           // the unsigned plist as XML text; placeholders are filled in it
  std::string original;      // the bytes as given (a signed profile keeps its signature)
  std::string signer;        // subject CN of the signer, "" when unsigned
  std::vector<std::string> placeholders;  // distinct $$name$$ names in string values, sorted
  std::string content_hash;  // hex SHA-256 of xml
};

// Accepts an XML plist, a binary plist or a DER SignedData whose signature verifies over the
// attached content (the signer need not chain to anything we trust: devices judge that).
// Refuses anything that is not a Configuration profile with well-formed payloads, and profiles
// carrying an MDM payload.
Result<ProfileFile> ReadProfile(std::string_view bytes);

}  // namespace mdm::deploy
