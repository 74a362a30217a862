// Captures what is written to std::cerr (the library's warnings) while the object lives.
#pragma once

#include <iostream>
#include <sstream>

namespace ksave::test {

struct StderrCapture {
  std::stringstream text;
  std::streambuf* old;
  StderrCapture() : old(std::cerr.rdbuf(text.rdbuf())) {}
  ~StderrCapture() { std::cerr.rdbuf(old); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
};

}  // namespace ksave::test
