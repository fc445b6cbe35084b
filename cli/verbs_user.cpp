// mdm-console user: the web console's accounts.
#include <cstdio>

#include <rapidjson/document.h>

#include "accounts/users.h"
#include "console.h"
#include "json/json.h"

namespace mdm::cli {
namespace {

// The new password: typed twice on a terminal, or the first line of stdin (--password-stdin).
std::optional<std::string> NewPassword(bool from_stdin) {
  if (from_stdin) return PromptSecret("");
  std::string a = PromptSecret("new password (12 characters or more): ");
  std::string b = PromptSecret("the same again: ");
  if (a != b) return std::nullopt;
  return a;
}

std::string Str(const rapidjson::Value& v, const char* k) {
  if (!v.HasMember(k) || v[k].IsNull()) return "-";
  if (v[k].IsString()) return v[k].GetString();
  if (v[k].IsInt64()) return std::to_string(v[k].GetInt64());
  return "-";
}

int List(Context& ctx, bool json) {
  pqxx::read_transaction tx(ctx.db().connection());
  std::string doc = accounts::UserListJson(tx);
  if (json) {
    std::printf("%s\n", doc.c_str());
    return 0;
  }
  rapidjson::Document d;
  if (!json::Parse(doc, &d, json::kStoredLimits).ok() || !d.IsArray()) return Fail("cannot read the user list");
  std::printf("%-24s %-9s %-26s %-8s %s\n", "NAME", "ROLE", "PASSWORD CHANGED", "SESSIONS", "LAST USED");
  for (const auto& u : d.GetArray())
    std::printf("%-24s %-9s %-26s %-8s %s\n", Str(u, "name").c_str(), Str(u, "role").c_str(),
                Str(u, "password_changed_at").substr(0, 19).c_str(), Str(u, "sessions").c_str(),
                Str(u, "last_used_at").substr(0, 19).c_str());
  return 0;
}

}  // namespace

int RunUser(Context& ctx) {
  const auto& a = ctx.args();
  bool from_stdin = false, json = false;
  std::vector<std::string> words;
  std::string role;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "--password-stdin") from_stdin = true;
    else if (a[i] == "--json") json = true;
    else if (a[i] == "--role" && i + 1 < a.size()) role = a[++i];
    else if (a[i].rfind("--", 0) == 0) return Fail("unknown option '" + a[i] + "'; see mdm-console user --help");
    else words.push_back(a[i]);
  }
  if (!words.empty() && words[0] == "list") return List(ctx, json);
  if (words.size() == 2 && words[0] == "add") {
    auto r = accounts::ParseRole(role);
    if (!r) return Fail("give the role: --role admin, helpdesk or viewer");
    auto password = NewPassword(from_stdin);
    if (!password) return Fail("the two passwords differ; nothing was changed");
    if (Status s = accounts::AddUser(ctx.db().connection(), words[1], *r, *password); !s.ok()) return Fail(s.message());
    std::printf("user %s added (%s); they log in at https://HOST/console/\n", words[1].c_str(), accounts::RoleName(*r));
    return 0;
  }
  if (words.size() == 2 && words[0] == "passwd") {
    auto password = NewPassword(from_stdin);
    if (!password) return Fail("the two passwords differ; nothing was changed");
    if (Status s = accounts::SetPassword(ctx.db().connection(), words[1], *password); !s.ok()) return Fail(s.message());
    std::printf("password of %s changed; their sessions have ended\n", words[1].c_str());
    return 0;
  }
  if (words.size() == 2 && words[0] == "remove") {
    if (Status s = accounts::RemoveUser(ctx.db().connection(), words[1]); !s.ok()) return Fail(s.message());
    std::printf("user %s removed\n", words[1].c_str());
    return 0;
  }
  return Fail("usage: mdm-console user add NAME --role admin|helpdesk|viewer | list | passwd NAME | remove NAME "
              "(see mdm-console user --help)");
}

}  // namespace mdm::cli
