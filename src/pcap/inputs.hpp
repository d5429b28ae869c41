// The two kinds of input open_input() chooses between (input.hpp).
#pragma once

#include "rpctrace/pcap/input.hpp"

namespace rpctrace::pcap {

std::unique_ptr<Input> open_files(const std::vector<std::string>& paths, const std::string& filter,
                                  bool read_ahead = false);
std::unique_ptr<Input> open_live(const std::string& interface, const std::string& filter,
                                 bool promiscuous);

}  // namespace rpctrace::pcap
