// The verb table. Each verb's body lives in a verbs_<topic>.cpp beside this file.
#include "console.h"

namespace mdm::cli {

int RunMigrate(Context& ctx);
int RunHealth(Context& ctx);
int RunCommandSend(Context& ctx);
int RunDevice(Context& ctx);

const std::vector<Verb>& Verbs() {
  static const std::vector<Verb> verbs = {
      {"migrate", "apply the database migrations not yet applied",
       "usage: mdm-console migrate\n"
       "  Applies every schema migration built into this binary that the database lacks, each in its\n"
       "  own transaction, and prints the schema version. Running it again changes nothing.\n",
       RunMigrate},
      {"health", "check that the configuration loads and PostgreSQL answers",
       "usage: mdm-console health\n"
       "  Loads the configuration, connects to PostgreSQL and prints the schema version.\n"
       "  Exit status 0 when all is well, 1 otherwise.\n",
       RunHealth},
      {"device", "list devices, show one device's inventory and queue, or remove a device",
       "usage: mdm-console device list [--json]\n"
       "       mdm-console device show <id> [--json]\n"
       "       mdm-console device remove <id>\n"
       "  list: every device with serial, name, model, OS, enrollment status, last contact and the\n"
       "  number of commands waiting. show: identifiers, inventory, enrollments (device and user\n"
       "  channels), the queue and recent results, installed profiles, apps and certificates.\n"
       "  remove: the device and its user channels are no longer managed; at its next contact it\n"
       "  gets 403 (ErrorUnrecognizedDevice) and unenrolls. Pending commands are canceled.\n"
       "  <id> is the device's UDID (or EnrollmentID for User Enrollment).\n",
       RunDevice},
      {"command", "queue an MDM command for one or more enrollments",
       "usage: mdm-console command send <enrollment-id>... <RequestType> [key=value ...]\n"
       "       mdm-console command send <enrollment-id>... --plist FILE [--force]\n"
       "  Queues one command for every enrollment named, in one transaction, and prints its\n"
       "  CommandUUID. The command is checked against Apple's schema first: RequestType known,\n"
       "  required keys present, value types right, channel allowed.\n"
       "  key=value is typed by the schema: numbers, true/false, data as base64 or @FILE, dates as\n"
       "  2026-01-02T03:04:05Z, arrays as a comma list (Queries=DeviceName,OSVersion).\n"
       "  --plist FILE   the Command dictionary (RequestType and its keys) as a plist file\n"
       "  --force        queue it even when the schema check fails (with --plist)\n"
       "  --priority N   higher first (-100..100, default 0); equal priorities go first in, first out\n"
       "  --no-push      do not wake the devices now (they get it at their next check-in)\n"
       "  Example: mdm-console command send 0000-UDID DeviceLock Message='Call IT'\n",
       RunCommandSend},
  };
  return verbs;
}

}  // namespace mdm::cli
