// main() of every integration test binary: Catch2's run, then the shared stack is shut down and
// its workers' sanitizer findings, if any, fail the run.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "stack.h"

int main(int argc, char** argv) {
  int rc = Catch::Session().run(argc, argv);
  int sanitizer = mdm::test::ShutdownSharedStack();
  return rc != 0 ? rc : sanitizer;
}
