// A uniquely named file under the system temp directory, removed when the object dies.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <span>
#include <string>

#include "support/pcap_writer.hpp"

namespace rpctrace::testsupport {

class TempFile {
 public:
  TempFile(std::string_view stem, std::span<const std::byte> contents) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("rpctrace_support_" + std::string(stem) + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter++));
    write_file(path_, contents);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace rpctrace::testsupport
