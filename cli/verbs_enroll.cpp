// Enrollment verbs: device enroll-profile | enroll-link | register, signing-cert import.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "console.h"
#include "enroll/profile.h"
#include "enroll/tokens.h"
#include "store/settings.h"
#include "store/sql_util.h"

namespace mdm::cli {
namespace {

// "7d", "12h", "30m", "45s", or plain seconds; -1 when malformed.
int64_t ParseDuration(const std::string& s) {
  if (s.empty()) return -1;
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(s, &used);
  } catch (...) {
    return -1;
  }
  if (n <= 0) return -1;
  std::string unit = s.substr(used);
  if (unit.empty() || unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  return -1;
}

struct EnrollFlags {
  enroll::ProfileRequest req;
  int64_t expires = 7 * 86400;
  std::string error;
};

EnrollFlags ParseEnrollFlags(const std::vector<std::string>& a) {
  EnrollFlags f;
  for (size_t i = 1; i < a.size(); ++i) {
    bool has_value = i + 1 < a.size();
    if (a[i] == "--serial" && has_value) f.req.serial_number = a[++i];
    else if (a[i] == "--name" && has_value) f.req.label = a[++i];
    else if (a[i] == "--identity" && has_value) f.req.identity = a[++i];
    else if (a[i] == "--expires" && has_value) f.expires = ParseDuration(a[++i]);
    else f.error = "unknown argument '" + a[i] + "'";
  }
  if (f.req.identity != "scep" && f.req.identity != "pkcs12") f.error = "--identity takes scep or pkcs12";
  if (f.expires <= 0) f.error = "--expires takes a duration such as 7d, 12h or 30m";
  if (f.req.label.empty()) f.req.label = f.req.serial_number;
  f.req.challenge_ttl_seconds = f.expires;
  return f;
}

// "7 days (until 2026-12-11 21:40 UTC)": a lifetime as an operator reads it.
std::string Lifetime(int64_t seconds) {
  auto count = [](int64_t n, const char* unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); };
  std::string span = seconds % 86400 == 0 ? count(seconds / 86400, "day")
                     : seconds % 3600 == 0 ? count(seconds / 3600, "hour")
                     : seconds % 60 == 0   ? count(seconds / 60, "minute")
                                           : count(seconds, "second");
  std::time_t until = std::time(nullptr) + static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&until, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
  return span + " (until " + date + ")";
}

}  // namespace

int RunEnrollProfile(Context& ctx) {
  EnrollFlags f = ParseEnrollFlags(ctx.args());
  if (!f.error.empty()) return Fail(f.error + "; see mdm-console device --help");
  if (isatty(STDOUT_FILENO)) return Fail("the profile is binary: redirect it to a file (> enroll.mobileconfig)");
  pqxx::work tx(ctx.db().connection());
  auto profile = enroll::BuildEnrollmentProfile(tx, f.req);
  if (!profile.ok()) return Fail(profile.status().message());
  tx.commit();
  std::fwrite(profile->data(), 1, profile->size(), stdout);
  std::string serial = f.req.serial_number.empty() ? "" : ", serial " + f.req.serial_number;
  if (f.req.identity == "pkcs12")
    std::fprintf(stderr, "signed enrollment profile (pkcs12 identity%s): it holds the device's key, keep it private\n",
                 serial.c_str());
  else
    std::fprintf(stderr, "signed enrollment profile (scep identity%s): its SCEP challenge works once, within %s\n",
                 serial.c_str(), Lifetime(f.expires).c_str());
  return 0;
}

int RunEnrollLink(Context& ctx) {
  EnrollFlags f = ParseEnrollFlags(ctx.args());
  if (!f.error.empty()) return Fail(f.error + "; see mdm-console device --help");
  pqxx::work tx(ctx.db().connection());
  auto url = enroll::CreateEnrollLink(tx, f.req);
  if (!url.ok()) return Fail(url.status().message());
  tx.commit();
  std::printf("%s\n", url->c_str());
  std::fprintf(stderr, "the link serves the profile once, within %s\n", Lifetime(f.expires).c_str());
  return 0;
}

int RunRegister(Context& ctx) {
  std::vector<std::string> serials(ctx.args().begin() + 1, ctx.args().end());
  if (serials.empty()) return Fail("name the serial numbers to register for Automated Device Enrollment");
  pqxx::work tx(ctx.db().connection());
  auto r = store::Exec(tx, "dep_register",
                       "INSERT INTO dep_devices (serial_number, source) SELECT s, 'operator' FROM unnest($1::text[]) s "
                       "ON CONFLICT (serial_number) DO UPDATE SET deleted_at = NULL, updated_at = now() RETURNING 1",
                       store::TextArray(serials));
  tx.commit();
  std::printf("registered %zu serial number(s) for Automated Device Enrollment\n", r.size());
  return 0;
}

int RunSigningCert(Context& ctx) {
  const auto& a = ctx.args();
  if (a.size() < 2 || a[0] != "import") return Fail("usage: mdm-console signing-cert import FILE [--key KEY.pem] [--password-file F]");
  auto read = [](const std::string& path, std::string* out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::stringstream ss;
    ss << f.rdbuf();
    *out = ss.str();
    return true;
  };
  std::string file, key, password;
  if (!read(a[1], &file)) return Fail("cannot read " + a[1]);
  for (size_t i = 2; i + 1 < a.size(); i += 2) {
    if (a[i] == "--key") {
      if (!read(a[i + 1], &key)) return Fail("cannot read " + a[i + 1]);
    } else if (a[i] == "--password-file") {
      if (!read(a[i + 1], &password)) return Fail("cannot read " + a[i + 1]);
      while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    } else {
      return Fail("unknown argument '" + a[i] + "'");
    }
  }
  std::string subject;
  Status s = enroll::ImportSigningIdentity(ctx.db().connection(), file, key, password, &subject);
  if (!s.ok()) return Fail(a[1] + ": " + s.message());
  std::printf("profiles are now signed by \"%s\"\n", subject.c_str());
  return 0;
}

}  // namespace mdm::cli
