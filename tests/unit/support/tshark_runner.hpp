// Runs tshark (path from the RPCTRACE_TSHARK definition) on a capture and returns its stdout.
// Tests call tshark_available() first and GTEST_SKIP when it is not installed.
#pragma once

#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "temp_file.hpp"

namespace rpctrace::testsupport {

inline bool tshark_available() {
  const std::string path = RPCTRACE_TSHARK;
  return !path.empty() && std::filesystem::exists(path);
}

// `arguments` go after "-r <file>"; stderr is discarded.
inline std::string run_tshark(std::span<const std::byte> capture, std::string_view arguments) {
  TempFile file("tshark", capture);
  const std::string command = std::string(RPCTRACE_TSHARK) + " -n -r '" + file.path().string() +
                              "' " + std::string(arguments) + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run tshark");
  std::string out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) out.append(buffer, n);
  return out;
}

// Lines of `text` (without their newlines).
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace rpctrace::testsupport
