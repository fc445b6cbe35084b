// The MDM commands Apple documents (request types, their keys, the channels that take them),
// generated from Apple's device-management schema, and the check and console builder that use
// them. Regenerate the table with tools/gen_command_schema.py.
#pragma once

#include <plist/plist.h>
#include <rapidjson/fwd.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "plist/property_list.h"

namespace mdm::protocol {

enum class Channel { kDevice, kUser };
enum class ValueType { kString, kInteger, kBoolean, kReal, kData, kDate, kArray, kDictionary, kAny };

// One key of a command as the schema states it. All of it is static data.
struct KeySpec {
  std::string_view name;
  ValueType type = ValueType::kAny;
  bool required = false;
  // kDictionary: its known keys. kArray: the spec of its elements; several when the elements are
  // dictionaries told apart by their "Item" value (Settings), each named after its Item.
  // Empty: the contents are not checked.
  std::span<const KeySpec> subkeys = {};
  std::span<const std::string_view> allowed = {};  // the schema's rangelist, integers in decimal
};

struct CommandSpec {
  std::string_view request_type;
  bool device_channel = false;
  bool user_channel = false;
  std::span<const KeySpec> keys = {};
};

// nullptr when unknown.
const CommandSpec* FindCommand(std::string_view request_type);
// Sorted by request type.
std::span<const CommandSpec> AllCommands();
// AllCommands as JSON for the console's command form: [{request_type, device_channel,
// user_channel, keys: [{name, type, required, allowed?, subkeys?}]}].
const std::string& CommandSchemaJson();

// The request types nearest to `text`, for a "did you mean" after an unknown one: compared
// without regard to case, a type is near when it contains `text` (3 characters or more), is
// contained in it, or is within a few edits (1 for up to 4 characters, 2 up to 8, else 3).
// Best first (fewest edits, then by name), keeping only those at most 2 edits behind the best,
// at most 3. "Lock" -> {DeviceLock}; "devicelock" -> {DeviceLock}; "Wipe" -> {}.
std::vector<std::string> NearestRequestTypes(std::string_view text);

// Checks a Command dictionary (RequestType and its keys): RequestType known and allowed on the
// channel, required keys present (recursively), value types right (an integer passes for a
// real), allowed values respected. Unknown keys pass: Apple adds keys over time. The message
// names the key path, e.g. "InstallProfile: required key 'Payload' is missing".
Status ValidateCommand(plist_t command, Channel channel);

// Builds a Command dictionary from console "key=value" arguments typed by the schema: strings
// as is, integers and reals as numbers, booleans true/false/yes/no/1/0, data as base64 or
// @FILE (raw bytes), dates as "2026-01-02T03:04:05Z" (UTC), arrays of scalars as a comma-
// separated list. Dictionaries (alone or in arrays) need --plist FILE instead. The result has
// passed ValidateCommand.
Result<plist::Owned> BuildCommand(std::string_view request_type,
                                  const std::vector<std::string>& key_values, Channel channel);

// Builds a Command dictionary from the admin API's JSON parameters: JSON strings become data
// (base64) or dates (ISO-8601 UTC) where the schema says so; the rest maps by JSON type. Not
// validated here: EnqueueCommand checks it against the target enrollments' channels.
Result<plist::Owned> CommandFromJson(std::string_view request_type, const rapidjson::Value& parameters);

}  // namespace mdm::protocol
