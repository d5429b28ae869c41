// Helpers shared by the dcom decoder tests: decoding a built stub, the byte-order parameter,
// the truncation sweep, and a two-binding DUALSTRINGARRAY like the ones Windows sends.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "rpctrace/dcom/activation.hpp"
#include "rpctrace/dcom/limits.hpp"
#include "support/bytes.hpp"
#include "support/dcom_builder.hpp"

namespace rpctrace::dcomtest {

namespace ts = rpctrace::testsupport;

inline common::Bytes view(const ts::Bytes& b) { return common::Bytes(b.data(), b.size()); }
inline common::ByteOrder to_order(ts::Endian e) {
  return e == ts::Endian::little ? common::ByteOrder::little : common::ByteOrder::big;
}

inline common::ParseResult<dcom::ActivationAnswer, dcom::Reason> decode(const common::Uuid& iface,
                                                                        std::uint16_t opnum,
                                                                        const ts::Bytes& stub,
                                                                        ts::Endian e) {
  return dcom::decode_activation_answer(iface, opnum, view(stub), to_order(e));
}

// "HOST[49667]" and "10.1.1.5[49667]" over ncacn_ip_tcp, then NTLM (0x0a) and Kerberos
// (0x10) security bindings: the shape of every answer in the public captures.
inline ts::DualStringArray tcp_bindings(const std::string& port = "49667") {
  ts::DualStringArray d;
  d.string_bindings = {{0x07, "HOST[" + port + "]"}, {0x07, "10.1.1.5[" + port + "]"}};
  d.security_bindings = {{0x0a, "HOST\\SYSTEM"}, {0x10, "host/HOST.example"}};
  return d;
}

// Every strict prefix of `stub` is malformed (truncated or a count that no longer fits),
// never complete and never a crash (ASan builds check the reads).
inline void expect_every_prefix_malformed(const common::Uuid& iface, std::uint16_t opnum,
                                          const ts::Bytes& stub, ts::Endian e) {
  for (std::size_t n = 0; n < stub.size(); ++n) {
    ts::Bytes prefix(stub.begin(), stub.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = decode(iface, opnum, prefix, e);
    ASSERT_TRUE(r.is_malformed()) << "prefix of " << n << " octets decoded";
    EXPECT_LE(r.error().offset, n) << "prefix of " << n << " octets";
  }
}

inline std::string endian_name(const ::testing::TestParamInfo<ts::Endian>& p) {
  return p.param == ts::Endian::little ? "little" : "big";
}

}  // namespace rpctrace::dcomtest
