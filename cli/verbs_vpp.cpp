// mdm-console vpp: Apps and Books content tokens, and the sync of their assets and licences.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>

#include "console.h"
#include "crypto/crypto.h"
#include "json/json.h"
#include "vpp/sync.h"
#include "vpp/tokens.h"

namespace mdm::cli {
namespace {

std::string Str(const rapidjson::Value& v, const char* k) {
  if (!v.HasMember(k)) return "-";
  const auto& x = v[k];
  if (x.IsString()) return std::string(x.GetString(), x.GetStringLength());
  if (x.IsInt64()) return std::to_string(x.GetInt64());
  if (x.IsBool()) return x.GetBool() ? "yes" : "no";
  return "-";
}

int PrintJson(const std::string& doc, bool json, const std::function<void(const rapidjson::Document&)>& table) {
  if (json) {
    std::printf("%s\n", doc.c_str());
    return 0;
  }
  rapidjson::Document d;
  if (Status s = json::Parse(doc, &d, json::kStoredLimits); !s.ok() || !d.IsArray())
    return Fail("cannot read the database's answer; --json prints it as is");
  table(d);
  return 0;
}

int Upload(Context& ctx, const std::vector<std::string>& a) {
  std::string path;
  bool take_over = false;
  for (size_t i = 2; i < a.size(); ++i) {
    if (a[i] == "--take-over") take_over = true;
    else if (a[i].rfind("--", 0) == 0) return Fail("unknown option '" + a[i] + "'; see mdm-console vpp --help");
    else if (path.empty()) path = a[i];
    else return Fail("one token file at a time; '" + a[i] + "' is one too many");
  }
  if (path.empty()) return Fail("name the token file: mdm-console vpp token upload FILE.vpptoken");
  std::ifstream f(path, std::ios::binary);
  if (!f) return Fail("cannot read " + path + ": check its path and permissions");
  std::stringstream ss;
  ss << f.rdbuf();
  auto r = vpp::UploadToken(ctx.db().connection(), ss.str(), take_over);
  if (!r.ok()) return Fail(path + ": " + r.status().message());
  if (!r->taken_from.empty()) std::printf("taken over from %s\n", r->taken_from.c_str());
  std::printf("Apps and Books token %s for location %s (%s); it expires %s; next: mdm-console vpp sync\n",
              r->replaced ? "replaced" : "stored", r->location_name.c_str(), r->org_name.c_str(),
              crypto::FormatTime(r->expires_at).c_str());
  return 0;
}

int List(Context& ctx, bool json) {
  pqxx::read_transaction tx(ctx.db().connection());
  return PrintJson(vpp::TokenListJson(tx), json, [](const rapidjson::Document& d) {
    std::printf("%-28s %-22s %-26s %-7s %-9s %s\n", "LOCATION", "UID", "EXPIRES", "ASSETS", "LICENCES", "LAST ERROR");
    for (const auto& t : d.GetArray())
      std::printf("%-28s %-22s %-26s %-7s %-9s %s\n", Str(t, "location_name").c_str(), Str(t, "uid").c_str(),
                  Str(t, "expires_at").c_str(), Str(t, "assets").c_str(), Str(t, "licences").c_str(),
                  Str(t, "last_error").c_str());
    std::fprintf(stderr, "%u location(s)\n", d.Size());
  });
}

int Sync(Context& ctx, const std::vector<std::string>& a) {
  vpp::SyncOptions options;
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "--no-assignments") options.assignments = false;
    else return Fail("unknown argument '" + a[i] + "'; see mdm-console vpp --help");
  }
  auto r = vpp::SyncAll(ctx.db().connection(), options);
  if (!r.ok()) return Fail(r.status().message());
  if (r->locations.empty())
    return Fail("no Apps and Books token: download one in ABM/ASM and run mdm-console vpp token upload FILE.vpptoken");
  for (const auto& l : r->locations) {
    if (!l.expiry_warning.empty()) std::fprintf(stderr, "warning: %s\n", l.expiry_warning.c_str());
    if (!l.error.empty()) {
      std::fprintf(stderr, "mdm-console: vpp sync %s: %s\n", l.location.c_str(), l.error.c_str());
      continue;
    }
    std::printf("vpp sync %s: %lld asset(s), %lld device licence(s) at Apple (%lld new here, %lld gone)\n",
                l.location.c_str(), l.assets, l.assignments, l.added, l.removed);
  }
  std::printf("vpp sync: %zu location(s), %d request(s)\n", r->locations.size(), r->requests);
  return r->failed() ? 1 : 0;
}

int Assets(Context& ctx, bool json) {
  pqxx::read_transaction tx(ctx.db().connection());
  std::string doc = vpp::AssetListJson(tx);
  return PrintJson(doc, json, [](const rapidjson::Document& d) {
    std::printf("%-22s %-12s %-6s %-8s %-6s %-9s %-9s %s\n", "LOCATION", "ADAMID", "TYPE", "DEVICES", "TOTAL",
                "ASSIGNED", "AVAILABLE", "APP");
    for (const auto& v : d.GetArray())
      std::printf("%-22s %-12s %-6s %-8s %-6s %-9s %-9s %s\n", Str(v, "location").c_str(), Str(v, "adam_id").c_str(),
                  Str(v, "product_type").c_str(), Str(v, "device_assignable").c_str(), Str(v, "total").c_str(),
                  Str(v, "assigned").c_str(), Str(v, "available").c_str(), Str(v, "app").c_str());
    std::fprintf(stderr, "%u asset(s)\n", d.Size());
  });
}

}  // namespace

int RunVpp(Context& ctx) {
  const auto& a = ctx.args();
  auto json = [&](size_t from) {
    for (size_t i = from; i < a.size(); ++i)
      if (a[i] == "--json") return true;
    return false;
  };
  if (a.size() >= 2 && a[0] == "token" && a[1] == "upload") return Upload(ctx, a);
  if (a.size() >= 2 && a[0] == "token" && a[1] == "list") return List(ctx, json(2));
  if (a.size() == 3 && a[0] == "token" && a[1] == "remove") {
    Status s = vpp::RemoveToken(ctx.db().connection(), a[2]);
    if (!s.ok()) return Fail(s.message());
    std::printf("Apps and Books token of location %s removed\n", a[2].c_str());
    return 0;
  }
  if (!a.empty() && a[0] == "sync") return Sync(ctx, a);
  if (!a.empty() && a[0] == "assets") return Assets(ctx, json(1));
  return Fail("usage: mdm-console vpp token upload FILE.vpptoken [--take-over] | token list | token remove LOCATION | "
              "sync | assets (see mdm-console vpp --help)");
}

}  // namespace mdm::cli
