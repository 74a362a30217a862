// The process the reliability harnesses kill: saves one version of the versioned model.
//
//   ksave_save_driver KIND TARGET VERSION MEGABYTES
//
// Builds the model first, then prints "saving" on stdout (the harness starts its clock there,
// so that its kills land during the save itself), saves, prints "saved". Exit status 0 when
// saved, 1 with "error: ..." on stderr when the save failed, 2 for a wrong command line.
#include <cstdio>
#include <exception>
#include <string>

#include "versioned_model.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: ksave_save_driver KIND TARGET VERSION MEGABYTES\n");
    return 2;
  }
  try {
    using namespace ksave::reliability;
    const SaveKind& kind = save_kind(argv[1]);
    const Version version{std::stoi(argv[3]), std::stoi(argv[4])};
    ksave::ModelPtr model = versioned_model(version);
    std::printf("saving\n");
    std::fflush(stdout);
    save_version(kind, *model, argv[2]);
    std::printf("saved\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
