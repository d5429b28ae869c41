// --format zeek: Zeek's dce_rpc.log records (call_writers.hpp, docs/zeek.md).
#include <fmt/format.h>

#include <array>
#include <map>
#include <string_view>
#include <unordered_map>

#include "rpctrace/report/call_writers.hpp"
#include "rpctrace/report/json.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace zeek_data {
extern const std::string_view kEndpoints;
extern const std::string_view kOperations;
}  // namespace zeek_data

namespace {

// The embedded tables, read once: "uuid<TAB>name" and "uuid<TAB>opnum<TAB>name" lines, '#'
// lines comments.
struct ZeekNames {
  std::unordered_map<std::string_view, std::string_view> endpoints;
  std::map<std::pair<std::string_view, std::uint16_t>, std::string_view> operations;

  ZeekNames() {
    each_line(zeek_data::kEndpoints, [&](std::array<std::string_view, 3> f, std::size_t n) {
      if (n == 2) endpoints.emplace(f[0], f[1]);
    });
    each_line(zeek_data::kOperations, [&](std::array<std::string_view, 3> f, std::size_t n) {
      unsigned op = 0;
      for (char c : f[1]) op = op * 10 + static_cast<unsigned>(c - '0');
      if (n == 3 && op <= 0xFFFF)
        operations.emplace(std::pair{f[0], static_cast<std::uint16_t>(op)}, f[2]);
    });
  }

  template <typename Fn>
  static void each_line(std::string_view text, Fn&& fn) {
    while (!text.empty()) {
      const std::size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
      if (line.empty() || line.front() == '#') continue;
      std::array<std::string_view, 3> fields{};
      std::size_t n = 0;
      while (n < fields.size()) {
        const std::size_t tab = line.find('\t');
        fields[n++] = line.substr(0, tab);
        if (tab == std::string_view::npos) break;
        line = line.substr(tab + 1);
      }
      fn(fields, n);
    }
  }
};

const ZeekNames& names() {
  static const ZeekNames n;
  return n;
}

// Zeek's DCE_RPC::ignored_operations (main.zeek), by endpoint name: not logged by default.
bool ignored(std::string_view endpoint, std::string_view operation) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kIgnored{{
      {"winreg", "BaseRegCloseKey"},
      {"winreg", "BaseRegGetVersion"},
      {"winreg", "BaseRegOpenKey"},
      {"winreg", "BaseRegQueryValue"},
      {"winreg", "BaseRegDeleteKeyEx"},
      {"winreg", "OpenLocalMachine"},
      {"winreg", "BaseRegEnumKey"},
      {"winreg", "OpenClassesRoot"},
      {"spoolss", "RpcSplOpenPrinter"},
      {"spoolss", "RpcClosePrinter"},
      {"wkssvc", "NetrWkstaGetInfo"},
  }};
  for (const auto& [e, o] : kIgnored)
    if (e == endpoint && o == operation) return true;
  return false;
}

// Seconds as Zeek's JSON writer prints a double: the shortest decimal, at least one digit after
// the point ("1361916332.298338", "1700000000.0", "0.000734"). Times are microseconds here.
std::string seconds_text(std::int64_t sec, std::int64_t usec) {
  std::string out = fmt::format("{}.{:06}", sec, usec);
  while (out.back() == '0' && out[out.size() - 2] != '.') out.pop_back();
  return out;
}

// Zeek's uitoa_n in base 62: least significant digit first, digits 0-9a-zA-Z.
void base62(std::uint64_t v, std::string& out) {
  static constexpr std::string_view kDigits =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  do {
    out += kDigits[v % 62];
    v /= 62;
  } while (v != 0);
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t hash_endpoint(std::uint64_t h, const common::Endpoint& e) {
  for (auto o : e.address.octets) h = mix(h ^ o);
  return mix(h ^ e.port);
}

}  // namespace

std::string ZeekWriter::endpoint_name(const common::Uuid& u) {
  const std::string key = u.to_string(false);
  auto it = names().endpoints.find(key);
  return it != names().endpoints.end() ? std::string(it->second) : "unknown-" + key;
}

std::string ZeekWriter::operation_name(const common::Uuid& u, std::uint16_t opnum) {
  const std::string key = u.to_string(false);
  auto it = names().operations.find({key, opnum});
  return it != names().operations.end() ? std::string(it->second)
                                        : fmt::format("unknown-{}", opnum);
}

std::string ZeekWriter::uid(std::uint64_t conversation, const common::Endpoint& orig,
                            const common::Endpoint& resp) {
  const std::uint64_t h = hash_endpoint(hash_endpoint(mix(conversation), orig), resp);
  std::string out = "C";
  base62(h, out);                       // Zeek's first 64 bits
  base62(mix(h) & 0xFFFFFFFFull, out);  // ... and its last 32 (bits_per_uid 96)
  return out;
}

void ZeekWriter::frame(const analysis::FrameRecord& f) {
  for (const auto& p : f.pdus) {
    if (p.event.header.ptype != dcerpc::PacketType::bind_ack) continue;
    if (const auto* ack = std::get_if<dcerpc::BindAck>(&p.event.body))
      sec_addr_[{f.conversation, p.channel ? p.channel->id : 0}] = ack->sec_addr;
  }
}

void ZeekWriter::shown_call(const analysis::CallRecord& r) {
  const dcerpc::CallEnd& c = r.call;
  if (c.outcome == dcerpc::CallOutcome::fault || c.outcome == dcerpc::CallOutcome::rejected) {
    ++faults_;
    return;
  }
  if (c.outcome != dcerpc::CallOutcome::response || !c.request_seen) {
    ++not_answered_;
    return;
  }
  if (!c.interface) {
    ++no_interface_;
    return;
  }
  const std::string endpoint = endpoint_name(c.interface->uuid);
  const std::string operation = operation_name(c.interface->uuid, c.opnum);
  if (ignored(endpoint, operation)) {
    ++ignored_;
    return;
  }
  const common::Timestamp ts = c.request_last.ts;
  JsonLine j;
  j.begin_object();
  j.number_text("ts", seconds_text(ts.sec, ts.usec));
  j.str("uid", uid(r.conversation, r.client, r.server));
  j.ip("id.orig_h", r.client.address).num("id.orig_p", r.client.port);
  j.ip("id.resp_h", r.server.address).num("id.resp_p", r.server.port);
  const std::int64_t rtt = c.end.ts.micros() - ts.micros();
  if (rtt > 0) j.number_text("rtt", seconds_text(rtt / 1000000, rtt % 1000000));
  auto pipe = sec_addr_.find({r.conversation, r.channel ? r.channel->id : 0});
  if (pipe != sec_addr_.end()) j.str("named_pipe", pipe->second);
  j.str("endpoint", endpoint).str("operation", operation).end_object();
  j.write_line(out_);
  ++logged_;
}

void ZeekWriter::conversation_end(const analysis::Conversation& c) {
  ShownCalls::conversation_end(c);
  sec_addr_.erase(sec_addr_.lower_bound({c.id, 0}), sec_addr_.upper_bound({c.id, UINT32_MAX}));
}

void ZeekWriter::finish(const analysis::Statistics& s, const analysis::EpmLinks& /*l*/) {
  std::string text = format_statistics(s);
  text += fmt::format(
      "  zeek dce_rpc.log records: {} (not logged, as Zeek does not: {} faulted, {} never "
      "answered, {} of Zeek's ignored operations, {} with no interface known{})\n",
      logged_, faults_, not_answered_, ignored_, no_interface_,
      dropped_ != 0
          ? fmt::format("; {} past {} waiting in a conversation shown late", dropped_, kMaxWaiting)
          : std::string());
  std::fputs(text.c_str(), stats_out_);
}

}  // namespace rpctrace::report
