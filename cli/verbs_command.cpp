#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <span>
#include <sstream>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "console.h"
#include "crypto/crypto.h"
#include "json/json.h"
#include "plist/property_list.h"
#include "protocol/command_schema.h"
#include "service/commands.h"
#include "store/device_reads.h"

namespace mdm::cli {

int PushAfterEnqueue(Context& ctx, const std::vector<std::string>& enrollment_ids);

namespace {

// Text from devices goes to a terminal: control characters are shown escaped, never sent as is.
std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// A long string (base64 data, mostly) cut to its start, at a UTF-8 character boundary.
std::string Shorten(const std::string& s, size_t max = 100) {
  if (s.size() <= max) return s;
  size_t cut = max * 3 / 5;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  size_t chars = std::ranges::count_if(s, [](unsigned char c) { return (c & 0xC0) != 0x80; });
  return s.substr(0, cut) + "... (" + std::to_string(chars) + " characters; --json prints it whole)";
}

// Texts padded to their widths (a longer one pushes the rest right), without trailing blanks.
std::string Columns(std::initializer_list<std::pair<std::string, size_t>> cells) {
  std::string line;
  for (const auto& [text, width] : cells)
    line += text + std::string(width > text.size() ? width - text.size() : 0, ' ');
  line.erase(line.find_last_not_of(' ') + 1);
  return line;
}

// A JSON scalar as text; objects and arrays as {} and [] (callers print those themselves).
std::string Scalar(const rapidjson::Value& v) {
  if (v.IsNull()) return "-";
  if (v.IsString()) return Printable(std::string_view(v.GetString(), v.GetStringLength()));
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.GetDouble());
    return buf;
  }
  return v.IsObject() ? "{}" : "[]";
}

const rapidjson::Value* Member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string Field(const rapidjson::Value& obj, const char* key) {
  const rapidjson::Value* v = Member(obj, key);
  return v ? Scalar(*v) : "-";
}

// A timestamp from PostgreSQL's JSON ("2026-01-02T03:04:05.123456+00:00") to the second; the
// offset is kept when it is not UTC.
std::string Time(const rapidjson::Value& obj, const char* key) {
  std::string s = Field(obj, key);
  if (s.size() < 19 || s[10] != 'T') return s;
  size_t zone = 19;
  while (zone < s.size() && (s[zone] == '.' || std::isdigit(static_cast<unsigned char>(s[zone])))) ++zone;
  std::string offset = s.substr(zone);
  bool utc = offset.empty() || offset == "Z" || offset == "+00" || offset == "+00:00";
  return s.substr(0, 10) + " " + s.substr(11, 8) + (utc ? "" : offset);
}

// Arrays print their first items only; --json has them all.
constexpr rapidjson::SizeType kMaxItems = 20;

bool IsScalar(const rapidjson::Value& v) { return !v.IsObject() && !v.IsArray(); }

void PrintValue(const std::string& label, const rapidjson::Value& v, int indent);

// The members of an object in name order, one per line, nested ones indented under their key.
void PrintMembers(const rapidjson::Value& obj, int indent, std::span<const std::string_view> skip = {}) {
  std::vector<std::pair<std::string_view, const rapidjson::Value*>> members;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    if (std::ranges::find(skip, name) == skip.end()) members.emplace_back(name, &m->value);
  }
  std::ranges::sort(members, {}, &std::pair<std::string_view, const rapidjson::Value*>::first);
  for (const auto& [name, value] : members) PrintValue(Printable(name), *value, indent);
}

void PrintValue(const std::string& label, const rapidjson::Value& v, int indent) {
  if (IsScalar(v)) {
    std::printf("%*s%s: %s\n", indent, "", label.c_str(), Shorten(Scalar(v)).c_str());
  } else if (v.IsObject()) {
    std::printf("%*s%s:%s\n", indent, "", label.c_str(), v.ObjectEmpty() ? " {}" : "");
    PrintMembers(v, indent + 2);
  } else if (std::all_of(v.Begin(), v.End(), IsScalar)) {
    // Scalars on one line: Queries: DeviceName, OSVersion
    std::string line;
    rapidjson::SizeType shown = std::min(v.Size(), kMaxItems);
    for (rapidjson::SizeType i = 0; i < shown; ++i) line += (i ? ", " : "") + Shorten(Scalar(v[i]), 40);
    if (v.Size() > shown) line += ", ... " + std::to_string(v.Size() - shown) + " more";
    std::printf("%*s%s: %s\n", indent, "", label.c_str(), v.Empty() ? "[]" : line.c_str());
  } else {
    std::printf("%*s%s: %u item(s)\n", indent, "", label.c_str(), v.Size());
    rapidjson::SizeType shown = std::min(v.Size(), kMaxItems);
    for (rapidjson::SizeType i = 0; i < shown; ++i) PrintValue("[" + std::to_string(i) + "]", v[i], indent + 2);
    if (v.Size() > shown)
      std::printf("%*s... %u more (--json prints them all)\n", indent + 2, "", v.Size() - shown);
  }
}

Result<rapidjson::Document> ParseStored(const std::string& text) {
  rapidjson::Document d;
  // PostgreSQL built it; deeper and longer than the defaults allow is still ours.
  if (Status s = json::Parse(text, &d, json::kStoredLimits); !s.ok())
    return Status::Invalid("cannot read the database's answer (" + s.message() + "); --json prints it as is");
  return d;
}

// The Command dictionary of a stored body (base64 of the XML plist {CommandUUID, Command}) as
// JSON, into `doc`'s allocator.
Result<rapidjson::Value> StoredCommand(const rapidjson::Value& body, rapidjson::Document::AllocatorType& alloc) {
  std::string bytes;
  if (!body.IsString() || !crypto::Base64Decode(std::string_view(body.GetString(), body.GetStringLength()), &bytes))
    return Status::Invalid("the stored command is not base64");
  auto parsed = plist::ParseDict(bytes);
  if (!parsed.ok()) return parsed.status();
  plist_t command = plist::Get(parsed->get(), "Command");
  if (!command) return Status::Invalid("the stored command has no Command dictionary");
  rapidjson::Document d;
  if (Status s = json::Parse(plist::ToJson(command), &d, json::kStoredLimits); !s.ok()) return s;
  return rapidjson::Value(d, alloc);
}

// What a device says besides its payload: who it is and the status, printed elsewhere.
constexpr std::string_view kReportEnvelope[] = {"Status", "CommandUUID", "ErrorChain", "UDID", "EnrollmentID",
                                                "EnrollmentUserID", "UserID", "UserShortName", "UserLongName"};

}  // namespace

// One ErrorChain entry as "ErrorDomain ErrorCode: LocalizedDescription (USEnglishDescription)"
// (the part in parentheses when it says something else). device show prints them too.
std::string ErrorChainEntryText(const rapidjson::Value& entry) {
  if (!entry.IsObject()) return Shorten(Scalar(entry));
  std::string out = Field(entry, "ErrorDomain") + " " + Field(entry, "ErrorCode");
  std::string localized = Field(entry, "LocalizedDescription");
  std::string english = Field(entry, "USEnglishDescription");
  if (localized != "-") out += ": " + localized;
  if (english != "-" && english != localized) out += (localized != "-" ? " (" + english + ")" : ": " + english);
  return Shorten(out, 300);
}

namespace {

// "'Lock' is not one of Apple's request types; did you mean DeviceLock? (...)"
std::string UnknownRequestType(const std::string& word) {
  std::string sentence = "'" + Printable(word) + "' is not one of Apple's request types";
  std::vector<std::string> near = protocol::NearestRequestTypes(word);
  for (size_t i = 0; i < near.size(); ++i)
    sentence += (i == 0 ? "; did you mean " : i + 1 == near.size() ? " or " : ", ") + near[i];
  return sentence + (near.empty() ? "" : "?") + " (mdm-console command types lists them)";
}

// Whether an argument before any known RequestType is more likely a request type gone wrong
// than an enrollment ID: a word of letters and digits starting with a capital (or any case of
// a known type), and not hexadecimal like a UDID. The caller checks it is no enrollment.
bool LooksLikeRequestType(const std::string& word) {
  if (word.empty() || word.size() > 64) return false;
  if (!std::ranges::all_of(word, [](unsigned char c) { return std::isalnum(c); })) return false;
  if (word.size() >= 16 && std::ranges::all_of(word, [](unsigned char c) { return std::isxdigit(c); })) return false;
  if (std::isupper(static_cast<unsigned char>(word[0]))) return true;
  std::vector<std::string> near = protocol::NearestRequestTypes(word);
  return !near.empty() && near[0].size() == word.size() &&
         std::ranges::equal(near[0], word, {}, [](unsigned char c) { return std::tolower(c); },
                            [](unsigned char c) { return std::tolower(c); });
}

bool ParseCount(const std::string& text, long long min, long long max, long long* out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size() && *out >= min && *out <= max;
}

int Types(Context& ctx) {
  if (ctx.args().size() != 1) return Fail("usage: mdm-console command types; see mdm-console command --help");
  for (const protocol::CommandSpec& spec : protocol::AllCommands()) {
    std::string channels = spec.device_channel && spec.user_channel ? "device, user"
                           : spec.device_channel                    ? "device"
                                                                    : "user";
    std::string required;
    for (const protocol::KeySpec& key : spec.keys)
      if (key.required) required += (required.empty() ? "requires " : ", ") + std::string(key.name);
    std::printf("%s\n", Columns({{std::string(spec.request_type), 33}, {channels, 14}, {required, 0}}).c_str());
  }
  std::fflush(stdout);
  std::fprintf(stderr, "%zu request types from Apple's schema, with the channels that take them "
               "(see mdm-console command --help)\n", protocol::AllCommands().size());
  return 0;
}

int Show(Context& ctx) {
  const auto& args = ctx.args();
  bool json = false;
  std::vector<std::string> rest;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--json") json = true;
    else if (args[i].rfind("--", 0) == 0) return Fail("unknown option " + args[i] + "; see mdm-console command --help");
    else rest.push_back(args[i]);
  }
  if (rest.size() != 1) return Fail("usage: mdm-console command show <CommandUUID> [--json]");
  std::string uuid = rest[0];
  std::optional<std::string> doc;
  {
    pqxx::read_transaction tx(ctx.db().connection());
    doc = store::CommandJson(tx, uuid, /*with_body=*/true);
    // The server writes CommandUUIDs in capitals; a lower-case copy of one is the same command.
    std::string upper = uuid;
    std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return std::toupper(c); });
    if (!doc && upper != uuid) doc = store::CommandJson(tx, upper, /*with_body=*/true);
  }
  if (!doc) return Fail("no command " + Printable(uuid) + ": see mdm-console command list <enrollment-id>");
  auto parsed = ParseStored(*doc);
  if (!parsed.ok()) return Fail(parsed.status().message());
  rapidjson::Document& d = *parsed;
  auto command = StoredCommand(d["body"], d.GetAllocator());
  if (json) {
    d.RemoveMember("body");
    if (command.ok()) d.AddMember("command", *command, d.GetAllocator());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d.Accept(w);
    std::printf("%s\n", buf.GetString());
    return 0;
  }
  std::printf("Command %s\n", Field(d, "command_uuid").c_str());
  std::printf("  %-16s %s\n", "RequestType", Field(d, "request_type").c_str());
  std::printf("  %-16s %s\n", "Source", Field(d, "source").c_str());
  std::printf("  %-16s %s\n", "Queued at", Time(d, "created_at").c_str());
  if (Member(d, "expires_at")) std::printf("  %-16s %s\n", "Expires at", Time(d, "expires_at").c_str());
  if (!command.ok()) {
    std::printf("  %-16s cannot be read: %s\n", "Request", command.status().message().c_str());
  } else if (command->IsObject() && command->MemberCount() > (command->HasMember("RequestType") ? 1u : 0u)) {
    std::printf("  Request\n");
    constexpr std::string_view kSkip[] = {"RequestType"};
    PrintMembers(*command, 4, kSkip);
  } else {
    std::printf("  %-16s %s\n", "Request", "no keys besides its RequestType");
  }
  const rapidjson::Value& enrollments = d["enrollments"];
  std::printf("\nEnrollments (%u)\n", enrollments.Size());
  for (const auto& e : enrollments.GetArray()) {
    std::printf("  %s\n", Field(e, "enrollment_id").c_str());
    std::printf("    %-16s %s\n", "Status", Field(e, "status").c_str());
    if (Field(e, "priority") != "0") std::printf("    %-16s %s\n", "Priority", Field(e, "priority").c_str());
    std::string sent = Field(e, "sent_count") + " time(s)";
    if (Member(e, "last_sent_at")) sent += ", last at " + Time(e, "last_sent_at");
    std::printf("    %-16s %s\n", "Sent", sent.c_str());
    if (Field(e, "not_now_count") != "0")
      std::printf("    %-16s %s time(s)\n", "NotNow answers", Field(e, "not_now_count").c_str());
    std::printf("    %-16s %s\n", "Answered at", Time(e, "result_at").c_str());
    const rapidjson::Value* chain = Member(e, "error_chain");
    if (chain && chain->IsArray() && !chain->Empty()) {
      std::printf("    ErrorChain\n");
      for (const auto& entry : chain->GetArray()) std::printf("      %s\n", ErrorChainEntryText(entry).c_str());
    }
    const rapidjson::Value* result = Member(e, "result");
    bool payload = false;
    if (result && result->IsObject())
      for (auto m = result->MemberBegin(); m != result->MemberEnd() && !payload; ++m)
        payload = std::ranges::find(kReportEnvelope, std::string_view(m->name.GetString(), m->name.GetStringLength())) ==
                  std::end(kReportEnvelope);
    if (payload) {
      std::printf("    Answer\n");
      PrintMembers(*result, 6, kReportEnvelope);
    }
  }
  return 0;
}

int List(Context& ctx) {
  const auto& args = ctx.args();
  bool json = false;
  store::CommandHistoryQuery q;
  std::vector<std::string> rest;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--status" && i + 1 < args.size()) {
      const std::string& want = args[++i];
      q.status.reset();
      for (const char* status : store::kQueueStatuses) {
        std::string_view s(status);
        if (s.size() == want.size() &&
            std::ranges::equal(s, want, {}, [](unsigned char c) { return std::tolower(c); },
                               [](unsigned char c) { return std::tolower(c); }))
          q.status = status;
      }
      if (!q.status) {
        std::string known;
        for (const char* status : store::kQueueStatuses) known += (known.empty() ? "" : ", ") + std::string(status);
        return Fail("--status takes one of " + known + "; '" + Printable(want) + "' is none of them");
      }
    } else if (a == "--limit" && i + 1 < args.size()) {
      if (!ParseCount(args[++i], 1, 10000, &q.limit)) return Fail("--limit takes a number from 1 to 10000");
    } else if (a == "--offset" && i + 1 < args.size()) {
      if (!ParseCount(args[++i], 0, 1'000'000'000, &q.offset)) return Fail("--offset takes a number, 0 or more");
    } else if (a.rfind("--", 0) == 0) {
      return Fail("unknown option " + a + " (or its value is missing); see mdm-console command --help");
    } else {
      rest.push_back(a);
    }
  }
  if (rest.size() != 1)
    return Fail("usage: mdm-console command list <enrollment-id> [--status S] [--limit N] [--offset N] [--json]");
  q.enrollment_id = rest[0];
  std::optional<std::string> doc;
  {
    pqxx::read_transaction tx(ctx.db().connection());
    doc = store::CommandHistoryJson(tx, q);
  }
  if (!doc)
    return Fail("no enrollment '" + Printable(q.enrollment_id) +
                "': command list takes an enrollment ID, a device's UDID (or EnrollmentID) or a user "
                "channel's UDID:UserID; see mdm-console device list and device show");
  if (json) {
    std::printf("%s\n", doc->c_str());
    return 0;
  }
  auto parsed = ParseStored(*doc);
  if (!parsed.ok()) return Fail(parsed.status().message());
  const rapidjson::Document& d = *parsed;
  const rapidjson::Value& commands = d["commands"];
  auto row = [](const std::string& queued, const std::string& uuid, const std::string& type,
                const std::string& status, const std::string& answered, const std::string& error) {
    std::printf("%s\n",
                Columns({{queued, 21}, {uuid, 38}, {type, 33}, {status, 20}, {answered, 21}, {error, 0}}).c_str());
  };
  row("QUEUED", "COMMAND UUID", "REQUEST TYPE", "STATUS", "ANSWERED", "ERROR");
  for (const auto& c : commands.GetArray()) {
    std::string error;
    const rapidjson::Value* chain = Member(c, "error_chain");
    if (chain && chain->IsArray() && !chain->Empty()) error = ErrorChainEntryText((*chain)[0]);
    row(Time(c, "queued_at"), Field(c, "command_uuid"), Field(c, "request_type"), Field(c, "status"),
        Time(c, "result_at"), error);
  }
  std::fflush(stdout);
  std::string which = q.status ? " with status " + *q.status : "";
  if (commands.Empty()) {
    std::fprintf(stderr, "no commands%s%s for %s\n", which.c_str(), q.offset ? " at this offset" : "",
                 q.enrollment_id.c_str());
  } else {
    std::fprintf(stderr, "%u command(s)%s, newest first, from number %lld", commands.Size(), which.c_str(),
                 q.offset + 1);
    if (d["more"].IsTrue()) std::fprintf(stderr, "; more with --offset %lld", q.offset + q.limit);
    std::fprintf(stderr, "\n");
  }
  return 0;
}

}  // namespace

static int Send(Context& ctx) {
  const auto& args = ctx.args();
  std::vector<std::string> targets, key_values;
  std::string plist_file, request_type;
  service::EnqueueOptions opts;
  bool push = true;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--plist" && i + 1 < args.size()) {
      plist_file = args[++i];
    } else if (a == "--force") {
      opts.force = true;
    } else if (a == "--no-push") {
      push = false;
    } else if (a == "--priority" && i + 1 < args.size()) {
      try {
        opts.priority = std::stoi(args[++i]);
      } catch (...) {
        return Fail("--priority takes a number from -100 to 100");
      }
      if (opts.priority < -100 || opts.priority > 100) return Fail("--priority takes a number from -100 to 100");
    } else if (a.rfind("--", 0) == 0) {
      return Fail("unknown option " + a + "; see mdm-console command --help");
    } else if (!request_type.empty()) {
      key_values.push_back(a);
    } else if (plist_file.empty() && protocol::FindCommand(a)) {
      request_type = a;
    } else {
      targets.push_back(a);
    }
  }
  if (request_type.empty() && plist_file.empty()) {
    // The first known RequestType ends the enrollment IDs. Without one, the last word that is
    // not key=value may be a request type Apple does not have ("Lock") rather than an ID.
    auto last = std::find_if(targets.rbegin(), targets.rend(),
                             [](const std::string& t) { return t.find('=') == std::string::npos; });
    if (last != targets.rend() && LooksLikeRequestType(*last)) {
      pqxx::read_transaction tx(ctx.db().connection());
      if (!store::EnrollmentExists(tx, *last)) return Fail(UnknownRequestType(*last));
    }
  }
  if (targets.empty()) return Fail("name at least one enrollment ID (see mdm-console device list)");
  plist::Owned command;
  if (!plist_file.empty()) {
    if (!request_type.empty() || !key_values.empty())
      return Fail("give either --plist FILE or RequestType key=value, not both");
    std::ifstream f(plist_file, std::ios::binary);
    if (!f) return Fail("cannot read " + plist_file);
    std::stringstream ss;
    ss << f.rdbuf();
    auto parsed = plist::ParseDict(ss.str());
    if (!parsed.ok()) return Fail(plist_file + ": " + parsed.status().message() + "; it must hold the Command dictionary");
    command = std::move(parsed).value();
  } else {
    if (request_type.empty())
      return Fail("name a RequestType after the enrollment IDs (e.g. DeviceInformation), or give --plist FILE");
    // Typed by the schema; the channel check happens at enqueue, per target.
    auto built = protocol::BuildCommand(request_type, key_values, protocol::Channel::kDevice);
    if (!built.ok()) {
      auto user = protocol::BuildCommand(request_type, key_values, protocol::Channel::kUser);
      if (!user.ok()) return Fail(built.status().message());
      built = std::move(user);
    }
    command = std::move(built).value();
  }
  auto queued = service::EnqueueCommand(ctx.db().connection(), command.get(), targets, opts);
  if (!queued.ok()) return Fail(queued.status().message());
  std::printf("%s\n", queued->command_uuid.c_str());
  std::fprintf(stderr, "queued %s for %zu enrollment(s)\n", queued->request_type.c_str(), queued->enrollments);
  std::fflush(stdout);
  return push ? PushAfterEnqueue(ctx, targets) : 0;
}

// The whole `command` verb: send, show, list, types.
int RunCommandSend(Context& ctx) {
  const auto& args = ctx.args();
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "send") return Send(ctx);
  if (sub == "show") return Show(ctx);
  if (sub == "list") return List(ctx);
  if (sub == "types") return Types(ctx);
  return Fail("usage: mdm-console command send | show | list | types ...; see mdm-console command --help");
}

}  // namespace mdm::cli
