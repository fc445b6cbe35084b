#include <cstdio>
#include <fstream>
#include <sstream>

#include "console.h"
#include "protocol/command_schema.h"
#include "service/commands.h"

namespace mdm::cli {

int PushAfterEnqueue(Context& ctx, const std::vector<std::string>& enrollment_ids);

int RunCommandSend(Context& ctx) {
  const auto& args = ctx.args();
  if (args.empty() || args[0] != "send") return Fail("usage: mdm-console command send ...; see mdm-console command --help");
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

}  // namespace mdm::cli
