// Deployment catalog verbs: group, profile, app, declaration, and device set-param/unset-param.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "console.h"
#include "deploy/catalog.h"
#include "deploy/profile_file.h"
#include "json/json.h"

namespace mdm::cli {
namespace {

using deploy::Change;
using deploy::Kind;

struct Args {
  std::vector<std::string> pos;             // after the sub-verb's name
  std::set<std::string> switches;           // --json, --force, ...
  std::map<std::string, std::string> values;  // --parent P, ...
  bool has(const char* s) const { return switches.count(s) > 0; }
  std::optional<std::string> value(const char* f) const {
    auto it = values.find(f);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

struct SubVerb {
  std::string name;
  std::string usage;  // its arguments, as in the verb's --help
  std::vector<std::string> switches, valued;
  size_t min_pos, max_pos;
  std::function<int(Context&, const Args&)> run;
};

constexpr size_t kMany = static_cast<size_t>(-1);

// Finds the sub-verb named by the first argument and parses the rest against what it takes;
// "--" ends the options (a value may start with "--").
int Dispatch(Context& ctx, const std::string& verb, const std::vector<SubVerb>& subs) {
  const auto& a = ctx.args();
  for (const auto& sub : subs) {
    if (a.empty() || a[0] != sub.name) continue;
    auto usage = [&](const std::string& why) {
      return Fail(why + "usage: mdm-console " + verb + " " + sub.name + " " + sub.usage);
    };
    Args args;
    bool options = true;
    for (size_t i = 1; i < a.size(); ++i) {
      const std::string& s = a[i];
      auto in = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), s) != v.end(); };
      if (!options || s.rfind("--", 0) != 0) args.pos.push_back(s);
      else if (s == "--") options = false;
      else if (in(sub.switches)) args.switches.insert(s);
      else if (in(sub.valued) && i + 1 < a.size()) args.values[s] = a[++i];
      else if (in(sub.valued)) return usage(s + " needs a value; ");
      else return usage("unknown option " + s + "; ");
    }
    if (args.pos.size() < sub.min_pos || args.pos.size() > sub.max_pos) return usage("");
    return sub.run(ctx, args);
  }
  std::string names;
  for (const auto& sub : subs) names += (names.empty() ? "" : " | ") + sub.name;
  return Fail("usage: mdm-console " + verb + " " + names + "; see mdm-console " + verb + " --help");
}

int Report(const Status& s, const std::string& done) {
  if (!s.ok()) return Fail(s.message());
  std::printf("%s\n", done.c_str());
  return 0;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string JsonText(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// A field for a table: "-" when absent, arrays as a comma list, objects as JSON.
std::string Str(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return "-";
  const auto& v = it->value;
  if (v.IsString()) return v.GetString();
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsArray()) {
    std::string out;
    for (const auto& item : v.GetArray())
      out += (out.empty() ? "" : ", ") + (item.IsString() ? item.GetString() : JsonText(item));
    return out.empty() ? "-" : out;
  }
  return JsonText(v);
}

std::string Cut(const std::string& s, size_t n) { return s.size() > n ? s.substr(0, n - 1) + "~" : s; }

// Prints the document as is for --json; otherwise parses it for `print`.
int Print(const std::string& doc, const Args& args, const std::function<void(const rapidjson::Document&)>& print) {
  if (args.has("--json")) {
    std::printf("%s\n", doc.c_str());
    return 0;
  }
  rapidjson::Document d;
  // PostgreSQL built it; deeper and longer than the defaults allow is still ours.
  if (Status s = json::Parse(doc, &d, json::kStoredLimits); !s.ok())
    return Fail("cannot read the database's answer (" + s.message() + "); --json prints it as is");
  print(d);
  return 0;
}

void Section(const char* title, const rapidjson::Value& arr) { std::printf("\n%s (%u)\n", title, arr.Size()); }

// --- group ---------------------------------------------------------------------------------

int GroupList(Context& ctx, const Args& args) {
  pqxx::read_transaction tx(ctx.db().connection());
  return Print(deploy::GroupListJson(tx), args, [](const rapidjson::Document& d) {
    std::printf("%-32s %-20s %7s %7s %8s %5s %5s  %s\n", "NAME", "PARENT", "DEVICES", "SERIALS", "PROFILES", "APPS",
                "DECLS", "RULE");
    for (const auto& g : d.GetArray()) {
      std::string name = std::string(2 * g["depth"].GetInt(), ' ') + g["name"].GetString();
      std::printf("%-32s %-20s %7s %7s %8s %5s %5s  %s\n", Cut(name, 32).c_str(), Cut(Str(g, "parent"), 20).c_str(),
                  Str(g, "devices").c_str(), Str(g, "serials").c_str(), Str(g, "profiles").c_str(),
                  Str(g, "apps").c_str(), Str(g, "declarations").c_str(), Str(g, "rule").c_str());
    }
    std::fprintf(stderr, "%u group(s)\n", d.Size());
  });
}

int GroupShow(Context& ctx, const Args& args) {
  pqxx::read_transaction tx(ctx.db().connection());
  auto doc = deploy::GroupJson(tx, args.pos[0]);
  if (!doc) return Fail("no group '" + args.pos[0] + "' (see mdm-console group list)");
  return Print(*doc, args, [](const rapidjson::Document& g) {
    std::printf("Group %s\n", g["name"].GetString());
    std::string path;
    for (const auto& p : g["path"].GetArray()) path += (path.empty() ? "" : " / ") + std::string(p.GetString());
    std::printf("  %-10s %s\n  %-10s %s\n  %-10s %s\n", "Path", path.c_str(), "Children", Str(g, "children").c_str(),
                "Rule", Str(g, "rule").c_str());
    Section("Devices", g["devices"]);
    for (const auto& m : g["devices"].GetArray())
      std::printf("  %-40s %-14s %-24s %s\n", Str(m, "id").c_str(), Str(m, "serial_number").c_str(),
                  Cut(Str(m, "device_name"), 24).c_str(), Str(m, "source").c_str());
    Section("Serial numbers", g["serials"]);
    for (const auto& s : g["serials"].GetArray()) std::printf("  %s\n", s.GetString());
    Section("Profiles", g["profiles"]);
    for (const auto& p : g["profiles"].GetArray())
      std::printf("  %-48s v%-4s %s\n", Str(p, "identifier").c_str(), Str(p, "version").c_str(),
                  Str(p, "display_name").c_str());
    Section("Apps", g["apps"]);
    for (const auto& a : g["apps"].GetArray())
      std::printf("  %-48s %-12s %s\n", Str(a, "identifier").c_str(), Str(a, "itunes_store_id").c_str(),
                  Str(a, "name").c_str());
    Section("Declarations", g["declarations"]);
    for (const auto& x : g["declarations"].GetArray())
      std::printf("  %-48s %s\n", Str(x, "identifier").c_str(), Str(x, "type").c_str());
  });
}

// add-devices, remove-devices, add-serials, remove-serials: a group and a list.
using MembersFn = Result<size_t> (*)(pqxx::connection&, const std::string&, const std::vector<std::string>&);
SubVerb Members(const char* name, const char* what, MembersFn fn, const char* done) {
  return {name, std::string("NAME ") + what + "...", {}, {}, 2, kMany, [=](Context& ctx, const Args& args) {
            std::vector<std::string> items(args.pos.begin() + 1, args.pos.end());
            auto n = fn(ctx.db().connection(), args.pos[0], items);
            if (!n.ok()) return Fail(n.status().message());
            std::printf("group %s: %s %zu of the %zu named\n", args.pos[0].c_str(), done, *n, items.size());
            return 0;
          }};
}

// --- profile, app, declaration ---------------------------------------------------------------

// remove, assign and unassign work alike for the three kinds.
std::vector<SubVerb> ItemSubVerbs(Kind kind, const std::string& noun) {
  auto assign = [=](bool add) {
    return [=](Context& ctx, const Args& args) {
      std::vector<std::string> groups(args.pos.begin() + 1, args.pos.end());
      auto n = add ? deploy::Assign(ctx.db().connection(), kind, args.pos[0], groups)
                   : deploy::Unassign(ctx.db().connection(), kind, args.pos[0], groups);
      if (!n.ok()) return Fail(n.status().message());
      size_t same = groups.size() - *n;
      std::string note = " (" + std::to_string(same) + (add ? " had it already)" : " did not have it)");
      if (same == 0) note.clear();
      std::printf("%s %s %s %zu group(s)%s; mdmcron updates the devices at its next run\n",
                  add ? "assigned" : "unassigned", args.pos[0].c_str(), add ? "to" : "from", *n, note.c_str());
      return 0;
    };
  };
  return {
      {"remove", "IDENTIFIER [--force]", {"--force"}, {}, 1, 1,
       [=](Context& ctx, const Args& args) {
         return Report(deploy::Remove(ctx.db().connection(), kind, args.pos[0], args.has("--force")),
                       "removed " + noun + " " + args.pos[0]);
       }},
      {"assign", "IDENTIFIER GROUP...", {}, {}, 2, kMany, assign(true)},
      {"unassign", "IDENTIFIER GROUP...", {}, {}, 2, kMany, assign(false)},
  };
}

std::vector<SubVerb> With(std::vector<SubVerb> subs, const std::vector<SubVerb>& more) {
  subs.insert(subs.end(), more.begin(), more.end());
  return subs;
}

int ProfileAdd(Context& ctx, const Args& args) {
  std::string bytes;
  if (!ReadFile(args.pos[0], &bytes)) return Fail("cannot read " + args.pos[0]);
  auto profile = deploy::ReadProfile(bytes);
  if (!profile.ok()) return Fail(args.pos[0] + ": " + profile.status().message());
  auto saved = deploy::AddProfile(ctx.db().connection(), *profile);
  if (!saved.ok()) return Fail(saved.status().message());
  const char* id = profile->identifier.c_str();
  switch (saved->change) {
    case Change::kAdded:
      std::printf("added profile %s (version 1)", id);
      break;
    case Change::kEdited:
      std::printf("replaced profile %s: now version %d; mdmcron installs it again where it is deployed", id,
                  saved->version);
      break;
    case Change::kUnchanged:
      std::printf("profile %s is unchanged (version %d)", id, saved->version);
      break;
  }
  std::printf("%s\n", profile->signer.empty() ? "" : (", signed by " + profile->signer).c_str());
  std::fflush(stdout);
  if (!profile->placeholders.empty()) {
    std::string names;
    for (const auto& n : profile->placeholders) names += (names.empty() ? "$$" : ", $$") + n + "$$";
    std::fprintf(stderr,
                 "it uses %s: give each device its values with mdm-console device set-param <id> NAME VALUE "
                 "(a device without them does not get the profile)\n",
                 names.c_str());
  }
  return 0;
}

int ProfileList(Context& ctx, const Args& args) {
  pqxx::read_transaction tx(ctx.db().connection());
  return Print(deploy::ProfileListJson(tx), args, [](const rapidjson::Document& d) {
    std::printf("%-44s %-4s %-28s %-20s %s\n", "IDENTIFIER", "VER", "NAME", "SIGNER", "GROUPS");
    for (const auto& p : d.GetArray())
      std::printf("%-44s %-4s %-28s %-20s %s\n", Cut(Str(p, "identifier"), 44).c_str(), Str(p, "version").c_str(),
                  Cut(Str(p, "display_name"), 28).c_str(), Cut(Str(p, "signer"), 20).c_str(), Str(p, "groups").c_str());
    std::fprintf(stderr, "%u profile(s)\n", d.Size());
  });
}

int ProfileShow(Context& ctx, const Args& args) {
  pqxx::read_transaction tx(ctx.db().connection());
  auto doc = deploy::ProfileJson(tx, args.pos[0]);
  if (!doc) return Fail("no profile '" + args.pos[0] + "' (see mdm-console profile list)");
  return Print(*doc, args, [](const rapidjson::Document& p) {
    std::printf("Profile %s\n", p["identifier"].GetString());
    for (auto [label, key] : {std::pair{"Name", "display_name"}, {"PayloadUUID", "payload_uuid"},
                              {"Version", "version"}, {"Content hash", "content_hash"}, {"Signer", "signer"},
                              {"Placeholders", "placeholders"}, {"Groups", "groups"}, {"Added", "created_at"},
                              {"Changed", "updated_at"}})
      std::printf("  %-14s %s\n", label, Str(p, key).c_str());
  });
}

int AppAdd(Context& ctx, const Args& args) {
  deploy::AppSpec app;
  app.identifier = args.pos[0];
  app.name = args.value("--name");
  if (auto v = args.value("--itunes-store-id")) {
    if (!(app.itunes_store_id = ParseInt(*v))) return Fail("--itunes-store-id takes the app's number (adamId)");
  }
  if (auto v = args.value("--vpp")) {
    if (args.value("--itunes-store-id")) return Fail("--vpp ADAMID already names the app's number; drop --itunes-store-id");
    if (!(app.itunes_store_id = ParseInt(*v))) return Fail("--vpp takes the app's number in the App Store (adamId)");
    app.vpp = deploy::AppSpec::Vpp::kRequired;
  }
  if (args.has("--no-vpp")) app.vpp = deploy::AppSpec::Vpp::kNever;
  app.vpp_location = args.value("--location");
  if (auto v = args.value("--flags")) {
    auto n = ParseInt(*v);
    if (!n || *n < 0 || *n > 255) return Fail("--flags takes a number: 1, 4 or 5");
    app.management_flags = static_cast<int>(*n);
  }
  auto change = deploy::AddApp(ctx.db().connection(), app);
  if (!change.ok()) return Fail(change.status().message());
  std::printf("%s app %s\n", *change == Change::kAdded ? "added" : "updated", app.identifier.c_str());
  pqxx::read_transaction tx(ctx.db().connection());
  if (auto doc = deploy::AppJson(tx, app.identifier)) {
    rapidjson::Document d;
    if (json::Parse(*doc, &d, json::kStoredLimits).ok() && d.IsObject() && d["vpp_location"].IsString())
      std::printf("licences from Apps and Books, location %s (%s available of %s); mdmcron assigns one to each "
                  "device before installing it\n",
                  d["vpp_location"].GetString(), Str(d, "licences_available").c_str(), Str(d, "licences_total").c_str());
  }
  return 0;
}

int AppShow(Context& ctx, const Args& args) {
  pqxx::read_transaction tx(ctx.db().connection());
  auto doc = deploy::AppJson(tx, args.pos[0]);
  if (!doc) return Fail("no app '" + args.pos[0] + "' (see mdm-console app list)");
  return Print(*doc, args, [](const rapidjson::Document& a) {
    std::printf("App %s\n", Str(a, "identifier").c_str());
    for (const auto& [label, key] : {std::pair<const char*, const char*>{"Name", "name"}, {"adamId", "itunes_store_id"},
                                     {"Flags", "management_flags"}, {"Groups", "groups"},
                                     {"Location", "vpp_location"}, {"Licences", "licences_total"},
                                     {"Assigned", "licences_assigned"}, {"Available", "licences_available"}})
      std::printf("  %-10s %s\n", label, Str(a, key).c_str());
    if (!a["vpp_location"].IsString()) return;
    Section("Licences per device", a["devices"]);
    for (const auto& l : a["devices"].GetArray())
      std::printf("  %-14s %-40s %-15s %s\n", Str(l, "serial_number").c_str(), Str(l, "device_id").c_str(),
                  Str(l, "state").c_str(), Str(l, "detail").c_str());
  });
}

int AppList(Context& ctx, const Args& args) {
  pqxx::read_transaction tx(ctx.db().connection());
  return Print(deploy::AppListJson(tx), args, [](const rapidjson::Document& d) {
    std::printf("%-44s %-12s %-28s %-5s %-16s %s\n", "IDENTIFIER", "ADAMID", "NAME", "FLAGS", "LICENCES", "GROUPS");
    for (const auto& a : d.GetArray()) {
      // Apps and Books: assigned / total (available), from Apple's counts at the last sync.
      std::string licences = a["vpp_location"].IsString() ? Str(a, "licences_assigned") + "/" +
                                                                Str(a, "licences_total") + " (" +
                                                                Str(a, "licences_available") + " free)"
                                                          : "-";
      std::printf("%-44s %-12s %-28s %-5s %-16s %s\n", Cut(Str(a, "identifier"), 44).c_str(),
                  Str(a, "itunes_store_id").c_str(), Cut(Str(a, "name"), 28).c_str(),
                  Str(a, "management_flags").c_str(), licences.c_str(), Str(a, "groups").c_str());
    }
    std::fprintf(stderr, "%u app(s)\n", d.Size());
  });
}

int DeclarationAdd(Context& ctx, const Args& args) {
  std::string json;
  if (!ReadFile(args.pos[0], &json)) return Fail("cannot read " + args.pos[0]);
  auto saved = deploy::AddDeclaration(ctx.db().connection(), json);
  if (!saved.ok()) return Fail(args.pos[0] + ": " + saved.status().message());
  const char* id = saved->identifier.c_str();
  const char* token = saved->server_token.c_str();
  switch (saved->change) {
    case Change::kAdded:
      std::printf("added declaration %s (ServerToken %.12s)\n", id, token);
      break;
    case Change::kEdited:
      std::printf("replaced declaration %s: ServerToken now %.12s; devices fetch it at their next sync\n", id, token);
      break;
    case Change::kUnchanged:
      std::printf("declaration %s is unchanged (ServerToken %.12s)\n", id, token);
      break;
  }
  return 0;
}

int DeclarationList(Context& ctx, const Args& args) {
  pqxx::read_transaction tx(ctx.db().connection());
  return Print(deploy::DeclarationListJson(tx), args, [](const rapidjson::Document& d) {
    std::printf("%-40s %-44s %-12s %s\n", "IDENTIFIER", "TYPE", "SERVERTOKEN", "GROUPS");
    for (const auto& x : d.GetArray())
      std::printf("%-40s %-44s %-12.12s %s\n", Cut(Str(x, "identifier"), 40).c_str(), Cut(Str(x, "type"), 44).c_str(),
                  Str(x, "server_token").c_str(), Str(x, "groups").c_str());
    std::fprintf(stderr, "%u declaration(s)\n", d.Size());
  });
}

}  // namespace

int RunGroup(Context& ctx) {
  static const std::vector<SubVerb> subs = {
      {"create", "NAME [--parent PARENT]", {}, {"--parent"}, 1, 1,
       [](Context& ctx, const Args& args) {
         std::string parent = args.value("--parent").value_or("");
         return Report(deploy::CreateGroup(ctx.db().connection(), args.pos[0], parent),
                       "created group " + args.pos[0] + (parent.empty() ? "" : " under " + parent));
       }},
      {"delete", "NAME", {}, {}, 1, 1,
       [](Context& ctx, const Args& args) {
         return Report(deploy::DeleteGroup(ctx.db().connection(), args.pos[0]), "deleted group " + args.pos[0]);
       }},
      {"set-parent", "NAME PARENT | NAME --none", {"--none"}, {}, 1, 2,
       [](Context& ctx, const Args& args) {
         if ((args.pos.size() == 2) == args.has("--none"))
           return Fail("name the new parent group, or give --none for the top level");
         std::string parent = args.pos.size() == 2 ? args.pos[1] : "";
         std::string where = parent.empty() ? "at the top level" : "under " + parent;
         return Report(deploy::SetGroupParent(ctx.db().connection(), args.pos[0], parent),
                       "group " + args.pos[0] + " is now " + where);
       }},
      {"set-rule", "NAME '{\"model\": \"iPad%\", \"os_min\": \"17.0\"}' | NAME none", {}, {}, 2, 2,
       [](Context& ctx, const Args& args) {
         bool clear = args.pos[1] == "none";
         return Report(deploy::SetGroupRule(ctx.db().connection(), args.pos[0], args.pos[1]),
                       "group " + args.pos[0] + (clear ? ": rule cleared" : ": rule set") +
                           "; mdmcron applies it at its next run");
       }},
      Members("add-devices", "DEVICE-ID", deploy::AddGroupDevices, "added devices:"),
      Members("remove-devices", "DEVICE-ID", deploy::RemoveGroupDevices, "removed devices:"),
      Members("add-serials", "SERIAL", deploy::AddGroupSerials, "added serial numbers:"),
      Members("remove-serials", "SERIAL", deploy::RemoveGroupSerials, "removed serial numbers:"),
      {"list", "[--json]", {"--json"}, {}, 0, 0, GroupList},
      {"show", "NAME [--json]", {"--json"}, {}, 1, 1, GroupShow},
  };
  return Dispatch(ctx, "group", subs);
}

int RunProfile(Context& ctx) {
  static const std::vector<SubVerb> subs =
      With({{"add", "FILE.mobileconfig", {}, {}, 1, 1, ProfileAdd},
            {"list", "[--json]", {"--json"}, {}, 0, 0, ProfileList},
            {"show", "IDENTIFIER [--json]", {"--json"}, {}, 1, 1, ProfileShow}},
           ItemSubVerbs(Kind::kProfile, "profile"));
  return Dispatch(ctx, "profile", subs);
}

int RunApp(Context& ctx) {
  static const std::vector<SubVerb> subs =
      With({{"add", "BUNDLE-ID [--itunes-store-id N | --vpp ADAMID [--location NAME] | --no-vpp] [--name NAME] [--flags N]",
             {"--no-vpp"}, {"--itunes-store-id", "--vpp", "--location", "--name", "--flags"}, 1, 1, AppAdd},
            {"list", "[--json]", {"--json"}, {}, 0, 0, AppList},
            {"show", "BUNDLE-ID [--json]", {"--json"}, {}, 1, 1, AppShow}},
           ItemSubVerbs(Kind::kApp, "app"));
  return Dispatch(ctx, "app", subs);
}

int RunDeclaration(Context& ctx) {
  static const std::vector<SubVerb> subs =
      With({{"add", "FILE.json", {}, {}, 1, 1, DeclarationAdd},
            {"list", "[--json]", {"--json"}, {}, 0, 0, DeclarationList}},
           ItemSubVerbs(Kind::kDeclaration, "declaration"));
  return Dispatch(ctx, "declaration", subs);
}

int RunSetParam(Context& ctx) {
  static const std::vector<SubVerb> subs = {
      {"set-param", "<id> NAME VALUE", {}, {}, 3, 3, [](Context& ctx, const Args& args) {
         return Report(deploy::SetDeviceParam(ctx.db().connection(), args.pos[0], args.pos[1], args.pos[2]),
                       "device " + args.pos[0] + ": $$" + args.pos[1] + "$$ set");
       }}};
  return Dispatch(ctx, "device", subs);
}

int RunUnsetParam(Context& ctx) {
  static const std::vector<SubVerb> subs = {
      {"unset-param", "<id> NAME", {}, {}, 2, 2, [](Context& ctx, const Args& args) {
         return Report(deploy::UnsetDeviceParam(ctx.db().connection(), args.pos[0], args.pos[1]),
                       "device " + args.pos[0] + ": $$" + args.pos[1] + "$$ unset");
       }}};
  return Dispatch(ctx, "device", subs);
}

}  // namespace mdm::cli
