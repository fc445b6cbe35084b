// The verb table. Each verb's body lives in a verbs_<topic>.cpp beside this file.
#include "console.h"

namespace mdm::cli {

int RunMigrate(Context& ctx);
int RunHealth(Context& ctx);

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
  };
  return verbs;
}

}  // namespace mdm::cli
