// mdm-console import oco: moves an OCO server's Apple devices and settings here.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "console.h"
#include "import/mysql.h"
#include "import/oco.h"

namespace mdm::cli {
namespace {

void PrintReport(const import::OcoReport& r, bool dry_run) {
  std::printf("%-22s %8s %8s %8s %8s\n", "KIND", "IN OCO", dry_run ? "WOULD" : "IMPORTED", "PRESENT", "SKIPPED");
  for (const auto& t : r.tallies)
    std::printf("%-22s %8zu %8zu %8zu %8zu\n", t.kind.c_str(), t.found, t.imported, t.present, t.skipped);
  for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
}

int ImportOco(Context& ctx) {
  const auto& a = ctx.args();
  std::string mysql;
  bool password_stdin = false;
  import::OcoOptions opts;
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i] == "--mysql" && i + 1 < a.size()) mysql = a[++i];
    else if (a[i].rfind("--mysql=", 0) == 0) mysql = a[i].substr(8);
    else if (a[i] == "--dry-run") opts.dry_run = true;
    else if (a[i] == "--replace-push-cert") opts.replace_push_cert = true;
    else if (a[i] == "--password-stdin") password_stdin = true;
    else return Fail("unknown argument '" + a[i] + "'; see mdm-console import --help");
  }
  if (mysql.empty())
    return Fail("name OCO's database: mdm-console import oco --mysql 'host=HOST user=USER dbname=oco' "
                "(the password from MDM_OCO_MYSQL_PASSWORD, --password-stdin or a prompt)");
  auto params = import::ParseMysqlParams(mysql);
  if (!params.ok()) return Fail(params.status().message());
  if (params->password_given)
    return Fail("keep the password out of --mysql: the process list shows it to every user; set "
                "MDM_OCO_MYSQL_PASSWORD, pass --password-stdin, or answer the prompt");
  if (const char* env = std::getenv("MDM_OCO_MYSQL_PASSWORD")) {
    params->password = env;
    params->password_given = true;
  } else if (password_stdin) {
    std::getline(std::cin, params->password);
    params->password_given = true;
  } else if (isatty(STDIN_FILENO)) {
    params->password = PromptSecret("password of " + (params->user.empty() ? "the MySQL user" : params->user) +
                                      " for OCO's database (empty: none): ");
    params->password_given = !params->password.empty();
  }
  auto session = import::MysqlSession::Open(*params);
  if (!session.ok()) return Fail(session.status().message());
  bool tty = isatty(STDERR_FILENO);
  if (tty)
    opts.progress = [](const std::string& stage, size_t done, size_t total) {
      std::fprintf(stderr, "\r%s: %zu of %zu", stage.c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\n");
    };
  auto report = import::ImportOco(**session, ctx.db().connection(), opts);
  if (!report.ok()) return Fail(report.status().message() + (opts.dry_run ? "" : "; nothing was imported"));
  PrintReport(*report, opts.dry_run);
  if (opts.dry_run)
    std::printf("dry run: nothing was changed (%.1f s); run again without --dry-run to import\n", report->seconds);
  else
    std::printf("imported in %.1f s; next: point nginx at this server, then mdm-console mdmcron "
                "(docs/migrating-from-oco.md)\n", report->seconds);
  return 0;
}

}  // namespace

int RunImport(Context& ctx) {
  const auto& a = ctx.args();
  if (!a.empty() && a[0] == "oco") return ImportOco(ctx);
  return Fail("usage: mdm-console import oco --mysql 'host=HOST user=USER dbname=DB' [--dry-run] "
              "[--replace-push-cert] (see mdm-console import --help)");
}

}  // namespace mdm::cli
