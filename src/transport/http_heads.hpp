// RPC over HTTP v2 (MS-RPCH 2.1.2): each channel is an HTTP message whose body is a stream of
// DCE/RPC PDUs. The client's RPC_IN_DATA or RPC_OUT_DATA request head, and the proxy's response
// head on the OUT channel, come before the first PDU: this cuts them off a direction's first
// octets, so the stream framer sees PDUs from their first octet. A head that is no RPC over
// HTTP message leaves the direction as it was (its octets go to the framer, which says what
// they are); a response other than 200 has a body that is no PDU stream (an error page).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "rpctrace/analysis/model.hpp"
#include "rpctrace/common/byte_reader.hpp"

namespace rpctrace::transport {

// Octets collected across calls until a head or a ClientHello is whole, on the heap only
// while there are some: every connection keeps three of these (a head per direction, the
// opener's ClientHello) and almost every one stays empty.
class HeldOctets {
 public:
  std::vector<std::byte>& get() {
    if (!octets_) octets_ = std::make_unique<std::vector<std::byte>>();
    return *octets_;
  }
  [[nodiscard]] bool empty() const { return !octets_ || octets_->empty(); }
  void release() { octets_.reset(); }

 private:
  std::unique_ptr<std::vector<std::byte>> octets_;
};

class HttpHead {
 public:
  enum class State : std::uint8_t {
    undecided,  // the direction's first octets have not come yet
    head,       // collecting the head
    pdus,       // the body (or the whole direction): DCE/RPC PDUs
    skip,       // the body of a response other than 200: not PDUs
  };
  struct Result {
    common::Bytes rest;                           // octets after the head, for the framer
    std::optional<analysis::CarrierEvent> event;  // the head, once complete
    bool rpc_over_http = false;                   // an RPC_IN_DATA / RPC_OUT_DATA request
  };
  // Octets of the direction in order. `stream_start`: they are its first octets;
  // `response_expected`: the other direction sent an RPC over HTTP request head, so a status
  // line here is its answer (a web server's responses are left alone).
  Result data(common::Bytes data, bool stream_start, bool response_expected);
  // A gap: a head not complete yet is given up (its octets are lost with the gap).
  void gap() {
    if (state_ == State::head) state_ = State::pdus;
    buffer_.release();
  }
  [[nodiscard]] State state() const { return state_; }

 private:
  State state_ = State::undecided;
  HeldOctets buffer_;
};

// RPC over HTTPS (MS-RPCH 2.1.2.1 over TLS): without keys, the opener's ClientHello is all a
// capture shows in clear; its server_name (RFC 6066 3) names the host the client wanted.
class TlsHello {
 public:
  // The opener's octets in order, from its first (`stream_start`): the ClientHello as a
  // carrier step once it is whole; nothing for a stream that is no TLS.
  std::optional<analysis::CarrierEvent> data(common::Bytes data, bool stream_start);
  [[nodiscard]] bool done() const { return done_; }

 private:
  bool done_ = false;
  HeldOctets buffer_;
};

}  // namespace rpctrace::transport
