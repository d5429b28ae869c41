// Text lines for one PDU in the shape of Network Monitor's summaries quoted by KB159298
// ("MSRPC: c/o RPC Bind: UUID ... call 0x54004E assoc grp 0x0 xmit 0x16D0 recv 0x16D0"),
// plus indented detail lines.
#pragma once

#include <fmt/compile.h>
#include <fmt/format.h>

#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/analysis/model.hpp"

namespace rpctrace::report {

// Formats with a compiled format string (FMT_COMPILE) into a buffer on the stack and appends
// it in one piece: fmt writing straight into a std::string resizes it, zeroing the new octets,
// field by field, which on the hot lines cost more than the formatting.
template <typename CompiledFormat, typename... Args>
void append_format(std::string& out, const CompiledFormat& f, const Args&... args) {
  fmt::memory_buffer b;
  fmt::format_to(std::back_inserter(b), f, args...);
  out.append(b.data(), b.size());
}

// Detail lines in one buffer with their ends: a line is appended in place (no string of its
// own), and clear() keeps the capacity, so a writer that reuses one PduText from PDU to PDU
// allocates nothing for its lines once the buffers have grown (issue 17: no string per line).
// A line may hold any octet a capture gave, '\n' included: lines are kept by their ends.
class TextLines {
 public:
  void push_back(std::string_view line) {
    text_ += line;
    end();
  }
  void emplace_back(std::string_view line) { push_back(line); }
  // A line formatted straight into the buffer.
  template <typename... Args>
  void format(fmt::format_string<Args...> f, Args&&... args) {
    fmt::format_to(std::back_inserter(text_), f, std::forward<Args>(args)...);
    end();
  }
  // The buffer to append the next line to, piece by piece; end() closes it.
  std::string& open() { return text_; }
  void end() { ends_.push_back(text_.size()); }
  [[nodiscard]] std::size_t size() const { return ends_.size(); }
  [[nodiscard]] bool empty() const { return ends_.empty(); }
  [[nodiscard]] std::string_view operator[](std::size_t i) const {
    const std::size_t from = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(text_).substr(from, ends_[i] - from);
  }
  [[nodiscard]] std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < size(); ++i) out.emplace_back((*this)[i]);
    return out;
  }
  void clear() {
    text_.clear();
    ends_.clear();
  }

 private:
  std::string text_;
  std::vector<std::size_t> ends_;
};

// The summary line (without frame number) and the detail lines.
struct PduText {
  std::string summary;
  TextLines details;
  void clear() {
    summary.clear();
    details.clear();
  }
};
PduText format_pdu(const analysis::ReportedPdu& p);
// The same into `t`, cleared first: a writer passes the same PduText for every PDU.
void format_pdu(const analysis::ReportedPdu& p, PduText& t);
// "EPMv4 v3.0 ept_map", with " (inferred from ept_map: bind not captured)" when inferred.
std::string interface_label(const std::optional<dcerpc::SyntaxId>& i,
                            std::optional<std::uint16_t> opnum, bool inferred);
// The same appended to `out` after `before`; nothing when there is no interface.
void append_interface_label(std::string& out, std::string_view before,
                            const std::optional<dcerpc::SyntaxId>& i,
                            std::optional<std::uint16_t> opnum, bool inferred);
// " [first fragment]" ...; empty for a PDU that is a whole call direction.
std::string_view frag_label(std::uint8_t pfc_flags);
// The summary and header details of a connectionless PDU (pdu_text_cl.cpp).
void cl_pdu_text(const dcerpc::PduEvent& e, PduText& t);
// An RTS PDU's summary ("MSRPC: c/o RPC RTS CONN/C1 or CONN/C2: ...") and details
// (pdu_text_rts.cpp).
void rts_pdu_text(const analysis::ReportedPdu& p, PduText& t);
// A carrier's step ("SMB2 TREE_CONNECT response: 0x0 (success), \\dc\IPC$") and the name
// a pipe is shown by (carrier_text.cpp).
PduText format_event(const analysis::CarrierEvent& e);
std::string channel_label(const analysis::ChannelFacts& c);
// "auth_value: NTLMSSP authenticate domain D user U workstation W ..." (auth_text.cpp).
std::string format_auth_value(const analysis::AuthDecode& d);

}  // namespace rpctrace::report
