#include <cstdio>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "console.h"
#include "json/json.h"
#include "store/device_reads.h"
#include "store/enrollment_store.h"

namespace mdm::cli {

// "ErrorDomain ErrorCode: LocalizedDescription (USEnglishDescription)" (verbs_command.cpp).
std::string ErrorChainEntryText(const rapidjson::Value& entry);

namespace {

std::string Str(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return "-";
  if (it->value.IsString()) return it->value.GetString();
  if (it->value.IsBool()) return it->value.GetBool() ? "yes" : "no";
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  if (it->value.IsNumber()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", it->value.GetDouble());
    return buf;
  }
  return "?";
}

// Timestamps from PostgreSQL's JSON, shortened to the minute.
std::string When(const rapidjson::Value& obj, const char* key) {
  std::string s = Str(obj, key);
  return s.size() >= 16 ? s.substr(0, 10) + " " + s.substr(11, 5) : s;
}

void Section(const char* title, const rapidjson::Value& arr) {
  std::printf("\n%s (%u)\n", title, arr.IsArray() ? arr.Size() : 0);
}

int List(Context& ctx, bool json) {
  pqxx::read_transaction tx(ctx.db().connection());
  std::string doc = store::DeviceListJson(tx);
  if (json) {
    std::printf("%s\n", doc.c_str());
    return 0;
  }
  rapidjson::Document d;
  // PostgreSQL built it; deeper and longer than the defaults allow is still ours.
  if (Status s = json::Parse(doc, &d, json::kStoredLimits); !s.ok())
    return Fail("cannot read the database's answer (" + s.message() + "); --json prints it as is");
  std::printf("%-40s %-14s %-24s %-18s %-8s %-12s %-16s %s\n", "ID", "SERIAL", "NAME", "MODEL", "OS", "STATUS",
              "LAST SEEN", "PENDING");
  for (const auto& dev : d.GetArray()) {
    std::printf("%-40s %-14s %-24s %-18s %-8s %-12s %-16s %s\n", Str(dev, "id").c_str(),
                Str(dev, "serial_number").c_str(), Str(dev, "device_name").substr(0, 24).c_str(),
                Str(dev, "model").substr(0, 18).c_str(), Str(dev, "os_version").c_str(),
                (Str(dev, "imported_not_seen") == "yes" ? "imported" : Str(dev, "status")).c_str(),
                When(dev, "last_seen_at").c_str(), Str(dev, "pending_commands").c_str());
  }
  std::fprintf(stderr, "%u device(s)\n", d.Size());
  return 0;
}

int Show(Context& ctx, const std::string& id, bool json) {
  pqxx::read_transaction tx(ctx.db().connection());
  auto doc = store::DeviceJson(tx, id);
  if (!doc) return Fail("no device '" + id + "' (see mdm-console device list)");
  if (json) {
    std::printf("%s\n", doc->c_str());
    return 0;
  }
  rapidjson::Document d;
  // PostgreSQL built it; deeper and longer than the defaults allow is still ours.
  if (Status s = json::Parse(*doc, &d, json::kStoredLimits); !s.ok())
    return Fail("cannot read the database's answer (" + s.message() + "); --json prints it as is");
  const auto& dev = d["device"];
  std::printf("Device %s\n", Str(dev, "id").c_str());
  for (auto [label, key] : {std::pair{"Name", "device_name"}, {"Serial number", "serial_number"},
                            {"Model", "model_name"}, {"Product", "product_name"}, {"OS", "os_version"},
                            {"Build", "build_version"}, {"Capacity (GB)", "device_capacity"},
                            {"Available (GB)", "available_capacity"}, {"Battery", "battery_level"},
                            {"Supervised", "is_supervised"}, {"IMEI", "imei"}})
    std::printf("  %-16s %s\n", label, Str(dev, key).c_str());
  std::printf("  %-16s %s\n", "Inventory at", When(dev, "device_information_at").c_str());

  Section("Enrollments", d["enrollments"]);
  for (const auto& e : d["enrollments"].GetArray())
    std::printf("  %-48s %-7s %-12s push token: %-4s last seen %s\n", Str(e, "id").c_str(), Str(e, "channel").c_str(),
                (Str(e, "status") + (Str(e, "imported_not_seen") == "yes" ? " (imported, not seen)" : "")).c_str(),
                Str(e, "has_push_token").c_str(), When(e, "last_seen_at").c_str());
  Section("Queue", d["queue"]);
  for (const auto& q : d["queue"].GetArray())
    std::printf("  %s  %-28s %-8s sent %s time(s)\n", Str(q, "command_uuid").c_str(), Str(q, "request_type").c_str(),
                Str(q, "status").c_str(), Str(q, "sent_count").c_str());
  Section("Recent results", d["recent_results"]);
  for (const auto& q : d["recent_results"].GetArray()) {
    std::printf("  %s  %-28s %-18s %s\n", Str(q, "command_uuid").c_str(), Str(q, "request_type").c_str(),
                Str(q, "status").c_str(), When(q, "result_at").c_str());
    // What went wrong, as the device said it (command show <uuid> has the whole answer).
    auto chain = q.FindMember("error_chain");
    if (chain != q.MemberEnd() && chain->value.IsArray())
      for (const auto& entry : chain->value.GetArray())
        std::printf("      %s\n", ErrorChainEntryText(entry).c_str());
  }
  Section("Profiles", d["profiles"]);
  for (const auto& p : d["profiles"].GetArray())
    std::printf("  %-48s %s\n", Str(p, "identifier").c_str(), Str(p, "display_name").c_str());
  Section("Apps", d["apps"]);
  for (const auto& a : d["apps"].GetArray())
    std::printf("  %-48s %-24s %s\n", Str(a, "identifier").c_str(), Str(a, "name").c_str(), Str(a, "version").c_str());
  Section("Deployed by groups", d["deployments"]);
  for (const auto& x : d["deployments"].GetArray())
    std::printf("  %-8s %-40s %-10s %s\n", Str(x, "kind").c_str(), Str(x, "identifier").c_str(), Str(x, "status").c_str(),
                x["detail"].IsString() ? x["detail"].GetString() : "");
  Section("App licences (Apps and Books)", d["vpp_licences"]);
  for (const auto& l : d["vpp_licences"].GetArray())
    std::printf("  %-40s %-12s %-15s %s\n", Str(l, "app").c_str(), Str(l, "adam_id").c_str(), Str(l, "state").c_str(),
                l["detail"].IsString() ? l["detail"].GetString() : "");
  std::printf("\nParameters (%u)\n", d["params"].MemberCount());
  for (auto m = d["params"].MemberBegin(); m != d["params"].MemberEnd(); ++m)
    std::printf("  %-24s %s\n", m->name.GetString(), m->value.GetString());
  Section("Certificates", d["certificates"]);
  for (const auto& c : d["certificates"].GetArray())
    std::printf("  %-48s identity: %s\n", Str(c, "common_name").c_str(), Str(c, "is_identity").c_str());
  if (d["declarative_status"].IsObject()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d["declarative_status"].Accept(w);
    std::printf("\nDeclarative status (latest report)\n  %s\n", buf.GetString());
  }
  return 0;
}

}  // namespace

int RunEnrollProfile(Context& ctx);
int ListAbmDevices(Context& ctx, bool json);
int RunEnrollLink(Context& ctx);
int RunRegister(Context& ctx);
int RunSetParam(Context& ctx);
int RunUnsetParam(Context& ctx);

int RunDevice(Context& ctx) {
  const auto& a = ctx.args();
  if (!a.empty() && a[0] == "enroll-profile") return RunEnrollProfile(ctx);
  if (!a.empty() && a[0] == "enroll-link") return RunEnrollLink(ctx);
  if (!a.empty() && a[0] == "register") return RunRegister(ctx);
  if (!a.empty() && a[0] == "set-param") return RunSetParam(ctx);
  if (!a.empty() && a[0] == "unset-param") return RunUnsetParam(ctx);
  bool json = false, abm = false;
  std::vector<std::string> rest;
  for (const auto& s : a) {
    if (s == "--json") json = true;
    else if (s == "--abm") abm = true;
    else rest.push_back(s);
  }
  if (rest.size() == 1 && rest[0] == "list") return abm ? ListAbmDevices(ctx, json) : List(ctx, json);
  if (rest.size() == 2 && rest[0] == "show") return Show(ctx, rest[1], json);
  if (rest.size() == 2 && rest[0] == "remove") {
    pqxx::work tx(ctx.db().connection());
    if (!store::RemoveDevice(tx, rest[1])) return Fail("no device '" + rest[1] + "' (see mdm-console device list)");
    tx.commit();
    std::printf("removed %s: it unenrolls at its next contact; its history is kept\n", rest[1].c_str());
    return 0;
  }
  return Fail("usage: mdm-console device list | show | remove | enroll-profile | enroll-link | register; "
              "see mdm-console device --help");
}

}  // namespace mdm::cli
