// How the importer reads OCO's columns: small pure functions, tested on their own.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "import/mysql.h"

namespace mdm::import {

// OCO's `os` ("iOS 17.4.1": the platform, then OSVersion) as the version; nullopt when it names none.
std::optional<std::string> OcoOsVersion(const std::optional<std::string>& os);

// OCO's push token: 32 bytes as they are (a BLOB since OCO 1.1.3), base64 text (before), or 64
// hex digits. False when it is none of them.
bool DecodeOcoPushToken(const std::string& stored, std::string* token);

// Our names for OCO's groups (rows: id, parent id, name), by OCO's id: OCO allows one name under
// two parents, ours are unique, so a repeated name becomes its path ("School A/Class 1").
std::map<std::string, std::string> OcoGroupNames(const std::vector<MysqlRow>& groups);

}  // namespace mdm::import
