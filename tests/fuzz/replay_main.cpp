// A main() for the fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput over every file
// given (or every file in a directory given). The normal and sanitizer builds use it to replay
// the committed seeds and every input a fuzzer ever crashed on (regressions/), with GCC.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::size_t run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  // An exact-size heap copy, so a read one past the end is an ASan report.
  auto* copy = new std::uint8_t[data.size() + (data.empty() ? 1 : 0)];
  std::copy(data.begin(), data.end(), copy);
  LLVMFuzzerTestOneInput(copy, data.size());
  delete[] copy;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) inputs += run_file(e.path());
    } else {
      inputs += run_file(p);
    }
  }
  std::printf("%zu inputs replayed without a crash\n", inputs);
  return inputs > 0 ? 0 : 1;
}
