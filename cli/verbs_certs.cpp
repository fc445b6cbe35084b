// The setup verbs: settings, vendor, apns, token, activation-profile, status.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "certs/certs.h"
#include "console.h"
#include "crypto/crypto.h"
#include "store/settings.h"

namespace mdm::cli {
namespace {

// The file's bytes, or a failure message naming it.
bool ReadInput(const std::string& path, std::string* out, std::string* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot read " + path;
    return false;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

bool Has(const std::vector<std::string>& args, const char* flag) {
  for (const auto& a : args)
    if (a == flag) return true;
  return false;
}

// The value after `flag`, or `fallback`.
std::string FlagValue(const std::vector<std::string>& args, const char* flag, const std::string& fallback) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) return args[i + 1];
  return fallback;
}

// Settings the operator may set and read by name (the secrets are not among them).
struct NamedSetting {
  const char* name;
  const char* key;
};
constexpr NamedSetting kNamed[] = {
    {"api-url", store::setting::kApiUrl},
    {"push-topic", store::setting::kPushTopic},
    {"apns-url", store::setting::kApnsUrl},
    {"apns-ca-file", store::setting::kApnsCaFile},
    {"abm-url", store::setting::kAbmUrl},
    {"abm-ca-file", store::setting::kAbmCaFile},
    {"apns-timeout-seconds", store::setting::kApnsTimeout},
    {"abm-timeout-seconds", store::setting::kAbmTimeout},
    {"vpp-url", store::setting::kVppUrl},
    {"vpp-ca-file", store::setting::kVppCaFile},
    {"vpp-timeout-seconds", store::setting::kVppTimeout},
};

// Checks a value for one of the plainer settings; "" when fine, else what is wrong.
std::string CheckSetting(const std::string& name, const std::string& value) {
  if (name == "abm-url") {
    if (value.rfind("https://", 0) != 0 || value.size() <= 8 || value.back() == '/')
      return "abm-url must be https://HOST[:PORT] without a trailing slash (https://mdmenrollment.apple.com)";
  } else if (name == "apns-url") {
    if (value.rfind("https://", 0) != 0 || value.size() <= 8 || value.back() == '/')
      return "apns-url must be https://HOST[:PORT] without a trailing slash (https://api.push.apple.com, or "
             "https://api.sandbox.push.apple.com)";
  } else if (name == "vpp-url") {
    if (value.rfind("https://", 0) != 0 || value.size() <= 8 || value.back() == '/')
      return "vpp-url must be https://HOST[:PORT]/PATH without a trailing slash "
             "(https://vpp.itunes.apple.com/mdm/v2)";
  } else if (name == "apns-timeout-seconds" || name == "abm-timeout-seconds" || name == "vpp-timeout-seconds") {
    if (!store::ParseSeconds(value, store::kMinTimeoutSeconds, store::kMaxTimeoutSeconds))
      return name + " takes whole seconds from " + std::to_string(store::kMinTimeoutSeconds) + " to " +
             std::to_string(store::kMaxTimeoutSeconds) + " (default " +
             (name == "apns-timeout-seconds" ? "30" : "120") + ")";
  } else if (name == "apns-ca-file" || name == "abm-ca-file" || name == "vpp-ca-file") {
    std::string bytes, error;
    if (!ReadInput(value, &bytes, &error)) return error + ": " + name + " must name a readable PEM file";
    if (!crypto::CertFromPem(bytes).ok()) return value + " holds no PEM certificate";
  }
  return "";
}

}  // namespace

int RunSettings(Context& ctx) {
  const auto& a = ctx.args();
  if (a.size() == 3 && a[0] == "set") {
    if (a[1] == "api-url") {
      std::string warning;
      Status s = certs::SetApiUrl(ctx.db().connection(), a[2], &warning);
      if (!s.ok()) return Fail(s.message());
      if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    } else {
      const NamedSetting* named = nullptr;
      for (const auto& n : kNamed)
        if (a[1] == n.name && a[1] != "push-topic") named = &n;
      if (!named)
        return Fail("settings set takes api-url, apns-url, apns-ca-file, apns-timeout-seconds, abm-url, "
                    "abm-ca-file, abm-timeout-seconds, vpp-url, vpp-ca-file or vpp-timeout-seconds");
      std::string problem = CheckSetting(a[1], a[2]);
      if (!problem.empty()) return Fail(problem);
      pqxx::work tx(ctx.db().connection());
      store::SetSetting(tx, named->key, a[2]);
      tx.commit();
    }
    std::printf("%s = %s\n", a[1].c_str(), a[2].c_str());
    return 0;
  }
  if ((a.size() == 1 || a.size() == 2) && a[0] == "get") {
    pqxx::read_transaction tx(ctx.db().connection());
    bool found = false;
    for (const auto& n : kNamed) {
      if (a.size() == 2 && a[1] != n.name) continue;
      found = true;
      auto v = store::GetSetting(tx, n.key);
      if (a.size() == 2 && !v) return Fail(std::string(n.name) + " is not set");
      std::printf("%s = %s\n", n.name, v ? v->c_str() : "(not set)");
    }
    if (!found)
      return Fail("unknown setting '" + a[1] + "'; known: api-url, push-topic, apns-url, apns-ca-file, "
                  "apns-timeout-seconds, abm-url, abm-ca-file, abm-timeout-seconds, vpp-url, vpp-ca-file, "
                  "vpp-timeout-seconds");
    return 0;
  }
  return Fail("usage: mdm-console settings set NAME VALUE | settings get [NAME]");
}

int RunVendor(Context& ctx) {
  const auto& a = ctx.args();
  if (!a.empty() && a[0] == "csr") {
    auto csr = certs::VendorCsr(ctx.db().connection(), FlagValue(a, "--cn", "MDM Vendor"));
    if (!csr.ok()) return Fail(csr.status().message());
    std::fputs(csr->c_str(), stdout);
    return 0;
  }
  if (a.size() == 2 && a[0] == "cert") {
    std::string bytes, error;
    if (!ReadInput(a[1], &bytes, &error)) return Fail(error);
    auto expires = certs::StoreVendorCert(ctx.db().connection(), bytes);
    if (!expires.ok()) return Fail(expires.status().message());
    std::printf("vendor certificate stored; it expires %s\n", crypto::FormatTime(*expires).c_str());
    return 0;
  }
  return Fail("usage: mdm-console vendor csr [--cn NAME] | vendor cert FILE");
}

int RunApns(Context& ctx) {
  const auto& a = ctx.args();
  if (!a.empty() && a[0] == "csr") {
    std::string cn = FlagValue(a, "--cn", "MDM Push");
    auto out = Has(a, "--unsigned") ? certs::ApnsCsrUnsigned(ctx.db().connection(), cn)
                                    : certs::ApnsCsrSigned(ctx.db().connection(), cn);
    if (!out.ok()) return Fail(out.status().message());
    std::printf("%s%s", out->c_str(), out->back() == '\n' ? "" : "\n");
    return 0;
  }
  if (a.size() >= 2 && a[0] == "cert") {
    std::string bytes, error;
    if (!ReadInput(a[1], &bytes, &error)) return Fail(error);
    auto info = certs::StorePushCert(ctx.db().connection(), bytes, Has(a, "--allow-topic-change"));
    if (!info.ok()) return Fail(info.status().message());
    std::printf("push certificate stored: topic %s, expires %s\n", info->topic.c_str(),
                crypto::FormatTime(info->expires_at).c_str());
    if (info->topic_changed)
      std::fprintf(stderr, "warning: the topic changed: every device must enroll again to be reachable\n");
    return 0;
  }
  return Fail("usage: mdm-console apns csr [--unsigned] [--cn NAME] | apns cert FILE [--allow-topic-change]");
}

int RunToken(Context& ctx) {
  const auto& a = ctx.args();
  if (a.size() == 1 && a[0] == "cert") {
    auto pem = certs::TokenCert(ctx.db().connection());
    if (!pem.ok()) return Fail(pem.status().message());
    std::fputs(pem->c_str(), stdout);
    return 0;
  }
  if (a.size() == 2 && a[0] == "upload") {
    std::string bytes, error;
    if (!ReadInput(a[1], &bytes, &error)) return Fail(error);
    auto token = certs::StoreAbmToken(ctx.db().connection(), bytes);
    if (!token.ok()) return Fail(token.status().message());
    std::printf("server token stored (consumer key %s); it expires %s\n", token->consumer_key.c_str(),
                crypto::FormatTime(token->expires_at).c_str());
    if (token->server_changed)
      std::printf("it is another MDM server's token than the one before: the next applesync fetches every "
                  "device again and defines the activation profile anew\n");
    return 0;
  }
  return Fail("usage: mdm-console token cert | token upload FILE.p7m");
}

int RunActivationProfile(Context& ctx) {
  const auto& a = ctx.args();
  if (a.size() == 2 && a[0] == "set") {
    std::string json, error;
    if (!ReadInput(a[1], &json, &error)) return Fail(error);
    Status s = certs::SetActivationProfile(ctx.db().connection(), json);
    if (!s.ok()) return Fail(a[1] + ": " + s.message());
    std::printf("activation profile stored; the next applesync defines it at Apple\n");
    return 0;
  }
  if (a.size() == 1 && a[0] == "get") {
    pqxx::read_transaction tx(ctx.db().connection());
    auto json = store::GetSetting(tx, store::setting::kActivationProfile);
    if (!json) return Fail("no activation profile: mdm-console activation-profile set FILE.json");
    std::printf("%s%s", json->c_str(), json->back() == '\n' ? "" : "\n");
    return 0;
  }
  return Fail("usage: mdm-console activation-profile set FILE.json | activation-profile get");
}

int RunStatus(Context& ctx) {
  if (!ctx.args().empty()) return Fail("status takes no arguments");
  certs::StatusReport r = certs::Report(ctx.db().connection(), static_cast<int64_t>(std::time(nullptr)));
  for (const auto& l : r.lines) std::printf("%s\n", l.c_str());
  for (const auto& w : r.warnings) std::printf("WARNING: %s\n", w.c_str());
  return r.expired ? 1 : 0;
}

}  // namespace mdm::cli
