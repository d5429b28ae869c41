// make_testdata: writes every capture of testdata/ into a directory.
//
//   make_testdata <output-dir>          write all captures
//   make_testdata --list                print "<file> <frames>" per capture
//
// Output is deterministic (seeded PRNG, capture-time clocks only), so a rerun on any machine
// gives the same bytes; the support tests compare it with the committed files.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string_view>

#include "support/pcap_writer.hpp"
#include "support/testdata_common.hpp"

int main(int argc, char** argv) {
  using namespace rpctrace::testsupport;
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_testdata <output-dir> | --list\n");
    return 2;
  }
  try {
    const std::string_view arg = argv[1];
    const std::vector<TestCapture> captures = all_test_captures();
    if (arg == "--list") {
      for (const TestCapture& c : captures) std::printf("%s %zu\n", c.file_name.c_str(), c.frames);
      return 0;
    }
    const std::filesystem::path dir(arg);
    std::filesystem::create_directories(dir);
    for (const TestCapture& c : captures) write_file(dir / c.file_name, c.bytes);
    std::printf("wrote %zu captures to %s\n", captures.size(), dir.string().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_testdata: %s\n", e.what());
    return 2;
  }
  return 0;
}
