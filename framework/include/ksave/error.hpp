// One exception type for every failure ksave reports. Messages follow one rule: say what failed,
// where (file, object path, layer), what was expected and what was found.
#pragma once

#include <stdexcept>
#include <string>

namespace ksave {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A usage mistake by the caller (wrong shapes, unknown option); distinct so the CLI can map it
// to exit status 2 where it comes from the command line.
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace ksave
