// A check of a property list's raw bytes before libplist sees them. libplist 2.2 aborts the
// process on a string or key holding a NUL (plist_get_string_val and plist_get_key_val assert
// length == strlen); its binary parser recurses once per nesting level (100,000 levels
// overflow the stack, after 20 s of a quadratic cycle check), and so do plist_free,
// plist_to_bin and our own walkers on whatever the XML parser built (1,000,000 levels crash
// them); and it expands a binary plist's shared object references into copies (an array
// referencing the next one twice, 40 levels deep, is 2^40 nodes). This check refuses all of
// that in one linear pass, without recursion and without building a tree.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace mdm::plist {

struct PlistLimits {
  // Container nesting; the root dict or array is level 1. Apple's MDM schema
  // (shared/apple-device-management/mdm, checkin/*.yaml and commands/*.yaml, request and
  // response keys, with the command's envelope counted) nests at most 6 levels, e.g. Settings:
  // root > Command > Settings > item > Attributes > AssociatedDomains. Values typed <any>
  // (managed app configuration and feedback, error details) are free-form and may nest a few
  // levels more, and operators' profiles (deploy/profile_file) go through the same Parse, so
  // the limit is generous: 32.
  int max_depth = 32;
  // Nodes libplist would build: every value and every dict key, each visit of a binary plist's
  // shared object counted again (so exponential sharing and cycles hit this limit). An
  // InstalledApplicationList of 2,000 apps with 15 keys each is 62,009; this leaves four times
  // that.
  uint64_t max_elements = 250000;
  // Longest string or key, in UTF-8 bytes after decoding (data is not limited here: the
  // request body limit bounds it). Device names, identifiers and error messages are short;
  // certificates and other blobs come as data.
  uint64_t max_string_bytes = uint64_t{1} << 20;
};

// Checks an XML or binary (bplist00) property list, chosen the way libplist chooses
// (plist_is_binary). Ok means libplist may parse the bytes; otherwise Status::Invalid with one
// short sentence. Never crashes, never recurses, and runs in time linear in the input (for a
// binary plist, linear in the input plus max_elements).
Status CheckPlistBytes(std::string_view bytes, const PlistLimits& limits = {});
Status CheckXmlPlist(std::string_view bytes, const PlistLimits& limits = {});
Status CheckBinaryPlist(std::string_view bytes, const PlistLimits& limits = {});

}  // namespace mdm::plist
