// dcom_stub_decode: a driver for check_public_captures.py. Reads lines
//   <label> <interface uuid> <opnum> <le|be> <stub hex>
// from standard input and prints, per line, what decode_activation_answer() gives:
//   <label> ok <operation> oxid=<hex|-> hresult=<hex|-> bindings=<tower>:<address>[<endpoint>],...
//   <label> malformed <reason> <offset> <detail>
// Test tooling only: bad input lines are reported and skipped.
#include <fmt/format.h>

#include <cstddef>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "rpctrace/dcom/activation.hpp"

int main() {
  using namespace rpctrace;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string label, uuid_text, order_text, hex;
    unsigned opnum = 0;
    if (!(in >> label >> uuid_text >> opnum >> order_text >> hex) || hex.size() % 2 != 0) {
      fmt::print("{} bad-input\n", label);
      continue;
    }
    auto uuid = common::Uuid::parse(uuid_text);
    if (!uuid) {
      fmt::print("{} bad-input\n", label);
      continue;
    }
    std::vector<std::byte> stub;
    for (std::size_t i = 0; i < hex.size(); i += 2)
      stub.push_back(static_cast<std::byte>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    auto r = dcom::decode_activation_answer(
        *uuid, static_cast<std::uint16_t>(opnum), stub,
        order_text == "be" ? common::ByteOrder::big : common::ByteOrder::little);
    if (!r.is_complete()) {
      fmt::print("{} malformed {} {} {}\n", label, dcom::to_string(r.error().reason),
                 r.error().offset, r.error().detail);
      continue;
    }
    const auto& a = r.value();
    std::string bindings;
    for (const auto& b : a.bindings) {
      if (!bindings.empty()) bindings += ',';
      bindings += fmt::format("0x{:04x}:{}", b.tower_id, b.network_address);
      if (!b.endpoint.empty()) bindings += fmt::format("[{}]", b.endpoint);
      if (b.port) bindings += fmt::format("/port={}", *b.port);
    }
    std::string results;
    for (auto h : a.interface_hresults)
      results += fmt::format("{}0x{:08x}", results.empty() ? "" : ",", h);
    fmt::print(
        "{} ok {} oxid={} hresult={} activation_hresult={} interface_hresults={} bindings={}\n",
        label, a.operation, a.oxid ? fmt::format("0x{:016x}", *a.oxid) : "-",
        a.hresult ? fmt::format("0x{:08x}", *a.hresult) : "-",
        a.activation_hresult ? fmt::format("0x{:08x}", *a.activation_hresult) : "-",
        results.empty() ? "-" : results, bindings);
  }
  return 0;
}
