#include "vpp/responses.h"

#include <rapidjson/document.h>

#include "json/json.h"

namespace mdm::vpp {
namespace {

const rapidjson::Value* Member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto m = v.FindMember(name);
  return m == v.MemberEnd() ? nullptr : &m->value;
}

std::string Str(const rapidjson::Value& v, const char* name) {
  const rapidjson::Value* m = Member(v, name);
  if (!m) return "";
  if (m->IsString()) return std::string(m->GetString(), m->GetStringLength());
  if (m->IsInt64()) return std::to_string(m->GetInt64());  // adamId as a number in some answers
  return "";
}

int64_t Int(const rapidjson::Value& v, const char* name, int64_t fallback = 0) {
  const rapidjson::Value* m = Member(v, name);
  if (m && m->IsInt64()) return m->GetInt64();
  if (m && m->IsString()) {
    const std::string s(m->GetString(), m->GetStringLength());
    if (!s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
  }
  return fallback;
}

bool Bool(const rapidjson::Value& v, const char* name, bool fallback) {
  const rapidjson::Value* m = Member(v, name);
  return m && m->IsBool() ? m->GetBool() : fallback;
}

Status Object(std::string_view body, const char* what, rapidjson::Document* d) {
  if (Status s = json::Parse(body, d); !s.ok())
    return Status::Unavailable(std::string("Apps and Books answered ") + what + " with JSON that is refused: " +
                               s.message());
  if (!d->IsObject()) return Status::Unavailable(std::string("Apps and Books answered ") + what + " with no JSON object");
  return Status::Ok();
}

Page ReadPage(const rapidjson::Value& d) {
  Page p;
  p.current = static_cast<int>(Int(d, "currentPageIndex", 0));
  p.total_pages = static_cast<int>(Int(d, "totalPages", 1));
  if (const auto* n = Member(d, "nextPageIndex"); n && n->IsInt()) p.next = n->GetInt();
  p.version_id = Str(d, "versionId");
  return p;
}

}  // namespace

Result<ClientConfig> ReadClientConfig(std::string_view body) {
  rapidjson::Document d;
  if (Status s = Object(body, "client/config", &d); !s.ok()) return s;
  ClientConfig c;
  c.location_name = Str(d, "locationName");
  c.uid = Str(d, "uId");
  c.country = Str(d, "countryISO2ACode");
  c.token_expiration = Str(d, "tokenExpirationDate");
  if (const auto* m = Member(d, "mdmInfo"); m && m->IsObject()) {
    MdmInfo info{Str(*m, "id"), Str(*m, "name"), Str(*m, "metadata")};
    if (!info.id.empty() || !info.name.empty()) c.mdm_info = std::move(info);
  }
  return c;
}

Result<AssetPage> ReadAssetPage(std::string_view body) {
  rapidjson::Document d;
  if (Status s = Object(body, "assets", &d); !s.ok()) return s;
  AssetPage out;
  out.page = ReadPage(d);
  const auto* list = Member(d, "assets");
  if (!list || !list->IsArray()) return Status::Unavailable("Apps and Books answered assets without an assets list");
  for (const auto& a : list->GetArray()) {
    Asset x;
    x.adam_id = Str(a, "adamId");
    if (x.adam_id.empty()) continue;
    x.pricing_param = Str(a, "pricingParam");
    if (x.pricing_param.empty()) x.pricing_param = "STDQ";
    x.product_type = Str(a, "productType");
    x.device_assignable = Bool(a, "deviceAssignable", false);
    x.revocable = Bool(a, "revocable", true);
    if (const auto* p = Member(a, "supportedPlatforms"); p && p->IsArray())
      for (const auto& v : p->GetArray())
        if (v.IsString()) x.supported_platforms.emplace_back(v.GetString(), v.GetStringLength());
    x.total = Int(a, "totalCount");
    x.assigned = Int(a, "assignedCount");
    x.available = Int(a, "availableCount");
    x.retired = Int(a, "retiredCount");
    out.assets.push_back(std::move(x));
  }
  return out;
}

Result<AssignmentPage> ReadAssignmentPage(std::string_view body) {
  rapidjson::Document d;
  if (Status s = Object(body, "assignments", &d); !s.ok()) return s;
  AssignmentPage out;
  out.page = ReadPage(d);
  const auto* list = Member(d, "assignments");
  if (!list || !list->IsArray())
    return Status::Unavailable("Apps and Books answered assignments without an assignments list");
  for (const auto& a : list->GetArray()) {
    Assignment x{Str(a, "adamId"), Str(a, "pricingParam"), Str(a, "serialNumber"), Str(a, "clientUserId")};
    if (x.adam_id.empty()) continue;
    if (x.pricing_param.empty()) x.pricing_param = "STDQ";
    out.assignments.push_back(std::move(x));
  }
  return out;
}

Result<std::string> ReadEventId(std::string_view body) {
  rapidjson::Document d;
  if (Status s = Object(body, "the licence request", &d); !s.ok()) return s;
  std::string id = Str(d, "eventId");
  if (id.empty() || id.size() > 200) return Status::Unavailable("Apps and Books answered the licence request without an eventId");
  return id;
}

Result<EventStatus> ReadEventStatus(std::string_view body) {
  rapidjson::Document d;
  if (Status s = Object(body, "status", &d); !s.ok()) return s;
  EventStatus e;
  e.status = Str(d, "eventStatus");
  e.type = Str(d, "eventType");
  e.requested = Int(d, "numRequested");
  e.completed = Int(d, "numCompleted");
  if (e.status.empty()) return Status::Unavailable("Apps and Books answered status without an eventStatus");
  // Each failure is an error body whose errorInfo names the serial numbers (and assets) it is
  // for: one entry may cover many serials. One Failure per serial here.
  if (const auto* list = Member(d, "failures"); list && list->IsArray()) {
    for (const auto& f : list->GetArray()) {
      const int number = static_cast<int>(Int(f, "errorNumber", 0));
      const std::string message = Str(f, "errorMessage").substr(0, 300);
      const auto* info = Member(f, "errorInfo");
      std::string adam;
      if (const auto* assets = info ? Member(*info, "assets") : nullptr; assets && assets->IsArray() &&
                                                                          !assets->Empty())
        adam = Str((*assets)[0], "adamId");
      const auto* serials = info ? Member(*info, "serialNumbers") : nullptr;
      if (!serials || !serials->IsArray() || serials->Empty()) {
        e.failures.push_back({adam, "", number, message});  // for users, or the whole request
        continue;
      }
      for (const auto& s : serials->GetArray())
        if (s.IsString()) e.failures.push_back({adam, std::string(s.GetString(), s.GetStringLength()), number, message});
    }
  }
  return e;
}

ServiceLimits ReadServiceLimits(std::string_view body) {
  ServiceLimits l;
  rapidjson::Document d;
  if (!json::Parse(body, &d).ok()) return l;
  if (const auto* m = Member(d, "limits")) {
    int64_t serials = Int(*m, "maxSerialNumbers", l.max_serial_numbers);
    int64_t assets = Int(*m, "maxAssets", l.max_assets);
    // Within sense: a limit of 0 or of millions is read as the documented default.
    if (serials >= 1 && serials <= 100000) l.max_serial_numbers = static_cast<int>(serials);
    if (assets >= 1 && assets <= 1000) l.max_assets = static_cast<int>(assets);
  }
  return l;
}

ErrorBody ReadError(std::string_view body) {
  ErrorBody e;
  rapidjson::Document d;
  if (!json::Parse(body, &d).ok() || !d.IsObject()) return e;
  e.number = static_cast<int>(Int(d, "errorNumber", 0));
  e.message = Str(d, "errorMessage").substr(0, 300);
  return e;
}

std::string ErrorMeaning(int n) {
  // Apple's numbers (docs/vpp-api.md); the words say what happened and, where it helps, what to do.
  switch (n) {
    case 9600: return "a required argument is missing";
    case 9601: return "login required: the content token is missing or unknown";
    case 9602: return "an argument is not valid";
    case 9603: return "Apple's internal error; tried again at the next run";
    case 9609: return "the registered user was not found";
    case 9621: return "the content token has expired";
    case 9625: return "Apple revoked the content token";
    case 9634: return "the service is no longer available";
    case 9635: return "the Apple Account cannot be associated";
    case 9637: return "not allowed for facilitator accounts";
    case 9641: return "the Apple Account is already tied to another user";
    case 9644: return "Apps and Books is in maintenance; tried again at the next run";
    case 9646: return "too many requests for this organisation; tried again later";
    case 9647: return "not supported for legacy tokens: download a new content token";
    case 9650: return "the page index is out of range";
    case 9700: return "too many assets in one request";
    case 9702: return "too many serial numbers in one request";
    case 9703: return "the same asset twice in one request";
    case 9705: return "the same serial number twice in one request";
    case 9706: return "this app's licences cannot be revoked";
    case 9707: return "this app cannot be assigned to devices, only to users";
    case 9708: return "Apple does not know this event";
    case 9709: return "not enough licences available: buy more in ABM/ASM or free some";
    case 9716: return "a registered user with that client user ID exists";
    case 9718: return "no asset in the request";
    case 9719: return "no serial number or user in the request";
    case 9722: return "the Authorization header is malformed";
    case 9723: return "the server's mdmInfo is incomplete";
    case 9726: return "the method is not supported on that endpoint";
    case 9727: return "the content type is not supported";
    case 9729: return "Apps and Books is temporarily unavailable; tried again later";
    default: return "";
  }
}

bool IsTokenError(int n) { return n == 9601 || n == 9621 || n == 9625 || n == 9722; }

}  // namespace mdm::vpp
