// The text report: per conversation, the KB159298 frame walkthrough.
#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "pdu_text.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/color.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

// Network Monitor's flag column, as KB159298 prints it: U A P R S F, '.' when clear.
std::string flag_column(std::uint8_t flags) {
  std::string s = "......";
  if (flags & analysis::control::urg) s[0] = 'U';
  if (flags & analysis::control::ack) s[1] = 'A';
  if (flags & analysis::control::psh) s[2] = 'P';
  if (flags & analysis::control::rst) s[3] = 'R';
  if (flags & analysis::control::syn) s[4] = 'S';
  if (flags & analysis::control::fin) s[5] = 'F';
  return s;
}

// Appends the TCP line; compiled format strings: this is the hottest line of the report.
void append_tcp_line(std::string& out, const FrameRecord& f) {
  const analysis::SegmentFacts& s = f.segment;
  // seq range as Network Monitor prints it: first-last octet, or seq-seq when empty.
  std::uint32_t last = s.payload_length == 0 ? s.seq : s.seq + s.payload_length - 1;
  append_format(
      out, FMT_COMPILE("TCP: {}, len: {}, seq: {}-{}, ack: {}, win: {}, src: {} dst: {}\n"),
      flag_column(s.flags), s.payload_length, s.seq, last, s.ack, s.window, f.src.port, f.dst.port);
}

// A datagram's line, when it carried nothing decoded (a malformed PDU).
void append_udp_line(std::string& out, const FrameRecord& f) {
  append_format(out, FMT_COMPILE("UDP: len: {}, src: {} dst: {}\n"), f.segment.payload_length,
                f.src.port, f.dst.port);
}

constexpr std::string_view kIndent = "                    ";

// Refusals and faults in red (--color).
Color pdu_color(const dcerpc::PduEvent& e) {
  using dcerpc::PacketType;
  switch (e.header.ptype) {
    case PacketType::fault:
    case PacketType::bind_nak:
    case PacketType::reject:
    case PacketType::nocall:
      return Color::red;
    default:
      return Color::none;
  }
}

// The Wireshark display filter that shows the conversation's carrier connection (the form of
// Wireshark's own conversation filter: both addresses, both ports).
std::string wireshark_filter(analysis::Protseq protseq, const common::Endpoint& a,
                             const common::Endpoint& b) {
  const std::string_view ip = a.address.family == common::IpAddress::Family::v6 ? "ipv6" : "ip";
  const std::string_view carrier = analysis::is_datagram(protseq) ? "udp" : "tcp";
  return fmt::format(
      FMT_COMPILE(
          "  Wireshark: {0}.addr=={1} && {2}.port=={3} && {0}.addr=={4} && {2}.port=={5}\n"),
      ip, a.address.to_string(), carrier, a.port, b.address.to_string(), b.port);
}

// KB159298's story: the endpoint mapper's answer is what sent the client to this port.
std::string epm_link_line(const EpmLink& l, std::uint16_t port) {
  std::string iface;
  if (l.interface) {
    auto n = dcerpc::interface_name(l.interface->uuid);
    iface = fmt::format(FMT_COMPILE(" for {} v{}.{}"),
                        n.empty() ? l.interface->uuid.to_string(true) : std::string(n),
                        l.interface->major, l.interface->minor);
  }
  std::string other =
      l.same_client ? std::string()
                    : fmt::format(FMT_COMPILE(" (to another client, {})"), l.client.to_string());
  return fmt::format(
      FMT_COMPILE("  port {} was given by {}{} in conversation {}, frame {}, {} s earlier{}\n"),
      port, l.source, iface, l.conversation, common::FrameNo{l.frame},
      common::format_seconds(l.delay_us), other);
}

// RPC over HTTP v2: the channels whose frames make up this timeline, or where this
// channel's frames went on.
std::string virtual_connection_lines(std::uint64_t id, const analysis::VirtualConnection& vc) {
  auto channel = [](const analysis::HttpChannel& ch) {
    return fmt::format(FMT_COMPILE("{} channel {} -> {}"), ch.name.empty() ? "a" : ch.name,
                       ch.client.to_string(), ch.server.to_string());
  };
  if (vc.conversation != id) {
    if (vc.channels.empty()) return {};
    const auto& ch = vc.channels.front();
    return fmt::format(
        FMT_COMPILE(
            "  {} of RPC over HTTP virtual connection {}: named in frame {}; its later frames are "
            "in the timeline of conversation {}, which holds the virtual connection\n"),
        channel(ch), vc.cookie.to_string(), common::FrameNo{ch.frame}, vc.conversation);
  }
  std::string out = fmt::format(FMT_COMPILE("  RPC over HTTP virtual connection {}: requests and "
                                            "responses of its channels in one timeline\n"),
                                vc.cookie.to_string());
  for (const auto& ch : vc.channels) {
    out += fmt::format(FMT_COMPILE("    {}, named in frame {}"), channel(ch),
                       common::FrameNo{ch.frame});
    out += ch.conversation == id
               ? " (this conversation's own connection)\n"
               : fmt::format(
                     FMT_COMPILE(
                         " (its opening is conversation {}; frames after frame {} are here)\n"),
                     ch.conversation, common::FrameNo{ch.frame});
  }
  if (vc.channels.size() == 1) out += "    no other channel named it in this capture\n";
  if (vc.channels.size() > 1) {  // the display filter of the whole virtual connection (-w)
    std::string filter;
    for (const auto& ch : vc.channels) {
      std::string one = wireshark_filter(analysis::Protseq::ncacn_http, ch.client, ch.server);
      one = one.substr(one.find(": ") + 2);
      one.pop_back();  // its newline
      filter += (filter.empty() ? "" : " || ") + ("(" + one + ")");
    }
    out += "    Wireshark, every channel: " + filter + "\n";
  }
  if (vc.channels_not_listed)
    out += fmt::format(FMT_COMPILE("    and {} more channels\n"), vc.channels_not_listed);
  return out;
}

std::string conversation_footer(const Conversation& c, std::uint64_t omitted,
                                std::size_t hidden_cap) {
  std::string names;
  for (const auto& u : c.interfaces) {
    auto n = dcerpc::interface_name(u.interface.uuid);
    std::string label = n.empty() ? u.interface.uuid.to_string(true) : std::string(n);
    names += (names.empty() ? "" : ", ") +
             fmt::format(FMT_COMPILE("{} v{}.{}"), label, u.interface.major, u.interface.minor);
  }
  std::string out = fmt::format(
      FMT_COMPILE(
          "  end of conversation {}: {}; {} - {}, frames {}-{} ({} frames), {} PDUs, {} calls"),
      c.id,
      c.end_reason == analysis::EndReason::joined && c.virtual_connection
          ? fmt::format(FMT_COMPILE("joined conversation {}"), c.virtual_connection->conversation)
          : std::string(analysis::to_string(c.end_reason)),
      c.start.to_iso8601(), c.end.to_iso8601(), common::FrameNo{c.first_frame},
      common::FrameNo{c.last_frame}, c.frames, c.pdus, c.calls);
  if (c.faults) out += fmt::format(FMT_COMPILE(", {} faults"), c.faults);
  if (c.notes) out += fmt::format(FMT_COMPILE(", {} anomalies"), c.notes);
  out += '\n';
  if (!names.empty()) out += fmt::format(FMT_COMPILE("  interfaces: {}\n"), names);
  for (const auto& ch : c.channels) {
    out += fmt::format(FMT_COMPILE("  pipe {}: {} (SMB session 0x{:x}, tree 0x{:x}, handle {})"),
                       ch->id, ch->name.empty() ? "name unknown, open not captured" : ch->name,
                       ch->session, ch->tree, ch->handle);
    if (!ch->account.empty()) out += fmt::format(FMT_COMPILE(", account {}"), ch->account);
    out += '\n';
  }
  if (!c.dcerpc) out += "  no DCE/RPC in this conversation\n";
  if (c.protseq == analysis::Protseq::ncacn_http)
    out += "  ncacn_http: RPC over HTTP (v1 greeting or v2 channel heads, then DCE/RPC)\n";
  if (c.virtual_connection) out += virtual_connection_lines(c.id, *c.virtual_connection);
  if (c.inferred_from) {
    const auto& l = *c.inferred_from;
    auto n = l.interface ? dcerpc::interface_name(l.interface->uuid) : std::string_view();
    out += fmt::format(
        FMT_COMPILE(
            "  interface inferred: the ept_map answer in conversation {}, frame {} gave port {} "
            "for {}; this connection began before the capture and its bind was not captured\n"),
        l.conversation, common::FrameNo{l.frame}, c.server.port,
        !l.interface ? std::string("an interface")
        : n.empty()
            ? dcerpc::format_syntax(*l.interface)
            : fmt::format(FMT_COMPILE("{} v{}.{}"), n, l.interface->major, l.interface->minor));
  }
  if (c.dcerpc && c.protseq != analysis::Protseq::ncacn_np && !c.epm_link && !c.inferred_from &&
      !c.well_known_port)
    out += fmt::format(FMT_COMPILE("  port {} was not given by an EPM answer in this capture (a "
                                   "static port, or the lookup came before the capture began)\n"),
                       c.server.port);
  if (omitted)
    out += fmt::format(FMT_COMPILE("  ({} frames not listed: they came after the first {} while "
                                   "the conversation showed no DCE/RPC)\n"),
                       omitted, hidden_cap);
  return out;
}

}  // namespace

TextWriter::TextWriter(std::FILE* out, std::FILE* stats_out, bool summary,
                       std::size_t max_ended_waiting, std::size_t max_buffered_text)
    : out_(out),
      stats_out_(stats_out),
      summary_(summary),
      max_buffered_text_(max_buffered_text),
      max_ended_waiting_(max_ended_waiting) {}

TextWriter::~TextWriter() = default;

// The time column of a frame line; spaces of its width on a record that is no frame. Written
// into `buf` (no string of its own: it is on every frame line).
std::string_view TextWriter::time_column(const FrameRecord& f, const Block& b,
                                         TimeColumn& buf) const {
  char text[sizeof buf];
  char* end = text;
  auto seconds = [&](std::int64_t us) {
    const auto u = static_cast<std::uint64_t>(us < 0 ? 0 : us);
    end = fmt::format_to(text, FMT_COMPILE("+{}.{:06}"), u / 1000000, u % 1000000);
  };
  auto clock = [&](common::Timestamp ts, bool local, bool date) {
    const auto t = static_cast<std::time_t>(ts.sec);
    std::tm tm{};
    std::size_t n = 0;
    if (local ? localtime_r(&t, &tm) != nullptr : gmtime_r(&t, &tm) != nullptr)
      n = std::strftime(text, 32, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
    if (n == 0) {
      text[0] = '?';
      end = text + 1;
      return;
    }
    end = fmt::format_to(text + n, FMT_COMPILE(".{:06}"), ts.usec);
  };
  switch (time_format_) {
    case TimeFormat::delta:
      seconds(f.delta_us);
      break;
    case TimeFormat::relative:
      seconds(b.first ? f.ts.micros() - b.first->micros() : 0);
      break;
    case TimeFormat::utc:
    case TimeFormat::utc_date:
    case TimeFormat::local:
    case TimeFormat::local_date:
      clock(f.ts, time_format_ == TimeFormat::local || time_format_ == TimeFormat::local_date,
            time_format_ == TimeFormat::utc_date || time_format_ == TimeFormat::local_date);
      break;
    case TimeFormat::epoch:
      end = fmt::format_to(text, FMT_COMPILE("{}.{:06}"), f.ts.sec, f.ts.usec);
      break;
  }
  const auto size = static_cast<std::size_t>(end - text);
  const std::size_t pad = size < kTimeWidth ? kTimeWidth - size : 0;
  std::fill_n(buf.data(), pad, ' ');
  if (f.delta_us < 0)
    std::fill_n(buf.data() + pad, size, ' ');
  else
    std::copy_n(text, size, buf.data() + pad);
  return {buf.data(), pad + size};
}

namespace {
void append_details(std::string& out, const TextLines& details) {
  for (std::size_t i = 0; i < details.size(); ++i) {
    out += kIndent;
    out += details[i];
    out += '\n';
  }
}
}  // namespace

PduText& TextWriter::pdu_text() {
  if (!pdu_text_) pdu_text_ = std::make_unique<PduText>();
  return *pdu_text_;
}

void TextWriter::format_frame(const FrameRecord& f, const Block& b, std::string& out) {
  // "  1234." and the time column, written once and copied into each line of the frame.
  char number_text[common::kFrameNoMax + 8];
  char* number_end = common::format_frame_no(number_text, common::FrameNo{f.frame});
  if (const auto n = static_cast<std::size_t>(number_end - number_text); n < kNumberWidth) {
    std::copy_backward(number_text, number_end, number_text + kNumberWidth);
    std::fill_n(number_text, kNumberWidth - n, ' ');
    number_end = number_text + kNumberWidth;
  }
  *number_end++ = '.';
  const std::string_view number(number_text, static_cast<std::size_t>(number_end - number_text));
  TimeColumn time_buf;
  const std::string_view delta = time_column(f, b, time_buf);
  const std::size_t width = delta.size();
  // NUMBER TIME  TEXT
  auto line_start = [&] {
    out += number;
    out += ' ';
    out += delta;
    out += "  ";
  };
  if (f.delta_us >= 0) {
    bool control = f.segment.flags &
                   (analysis::control::syn | analysis::control::fin | analysis::control::rst);
    for (const auto& e : f.events) {
      PduText t = format_event(e);
      line_start();
      out += t.summary;
      out += '\n';
      append_details(out, t.details);
    }
    for (const auto& p : f.pdus) {
      PduText& t = pdu_text();
      format_pdu(p, t);
      if (p.channel) t.summary.insert(5, " " + channel_label(*p.channel));  // "MSRPC \PIPE\samr:"
      if (f.http_channel)                                                   // "MSRPC IN channel:"
        t.summary.insert(
            5, fmt::format(FMT_COMPILE(" {} channel"), dcerpc::to_string(*f.http_channel)));
      if (p.event.at.frame != f.frame)  // a cut PDU, found at this frame's gap
        fmt::format_to(std::back_inserter(out), FMT_COMPILE("{:>6}. {:>{}}  {}\n"),
                       common::FrameNo{p.event.at.frame}, "(cut)", width, t.summary);
      else {
        line_start();
        if (color_enabled())
          out += paint(pdu_color(p.event), t.summary);
        else
          out += t.summary;
        out += '\n';
      }
      append_details(out, t.details);
    }
    bool own_pdu = !f.events.empty();
    for (const auto& p : f.pdus) own_pdu = own_pdu || p.event.at.frame == f.frame;
    const bool datagram = analysis::is_datagram(f.protseq);
    if (datagram ? !own_pdu : !own_pdu || control) {
      line_start();
      if (datagram)
        append_udp_line(out, f);
      else
        append_tcp_line(out, f);
    }
  } else {
    // Decoded when the connection ended (a PDU the capture cut short): shown at its last frame.
    for (const auto& p : f.pdus) {
      PduText& t = pdu_text();
      format_pdu(p, t);
      if (p.channel) t.summary.insert(5, " " + channel_label(*p.channel));
      fmt::format_to(std::back_inserter(out), FMT_COMPILE("{:>6}. {:>{}}  {}\n"),
                     common::FrameNo{p.event.at.frame}, "(end)", width, t.summary);
      append_details(out, t.details);
    }
  }
  for (const auto& n : f.notes) {
    const std::string note = fmt::format(FMT_COMPILE("! {} {}: {}"), analysis::layer_of(n.kind),
                                         analysis::to_string(n.kind), n.detail);
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("{}{}\n"), kIndent,
                   paint(Color::yellow, note));
  }
}

void TextWriter::frame(const FrameRecord& f) {
  Block& b = block(f.conversation, f.group);
  b.shown = f.shown;
  b.client = f.client;
  b.server = f.server;
  b.roles_from_syn = f.roles_from_syn;
  b.protseq = f.protseq;
  b.epm_link = f.epm_link;
  if (f.process && !b.process) b.process = f.process;
  if (!b.first && f.delta_us >= 0) b.first = f.ts;
  if (analysis::is_datagram(f.protseq) && f.delta_us >= 0 && b.other_flows.size() < 16) {
    auto same = [](const common::Endpoint& a, const common::Endpoint& b2, const common::Endpoint& c,
                   const common::Endpoint& d) {
      return (a == c && b2 == d) || (a == d && b2 == c);
    };
    if (!same(f.src, f.dst, f.client, f.server) &&
        std::none_of(b.other_flows.begin(), b.other_flows.end(),
                     [&](const auto& p) { return same(f.src, f.dst, p.first, p.second); }))
      b.other_flows.emplace_back(f.src, f.dst);
  }
  if (summary_) return;  // the block only keeps the conversations in order of first frame
  if (!f.shown && b.lines >= kMaxHiddenFrames) {
    ++b.omitted;
    return;
  }
  ++b.lines;
  if (b.header_printed) {  // the head conversation: straight out
    scratch_.clear();
    if (head_interrupted_) {  // other conversations were printed since its last line
      scratch_ = fmt::format(FMT_COMPILE("Conversation {} (continued): {} -> {}\n"), f.conversation,
                             b.client.to_string(), b.server.to_string());
      head_interrupted_ = false;
    }
    format_frame(f, b, scratch_);
    std::fwrite(scratch_.data(), 1, scratch_.size(), out_);
    return;
  }
  scratch_.clear();
  format_frame(f, b, scratch_);
  chunks_.append(b.text, scratch_);
  buffered_ += scratch_.size();
  if (buffered_ > max_buffered_text_) {
    for (auto& [id, other] : blocks_)
      if (!other.header_printed) spill(other);
  }
  flush_ready();
}

void TextWriter::spill(Block& b) {
  if (b.text.empty()) return;
  auto offset = spill_.append(b.text);
  if (!offset) return;  // no temporary file: keep it in memory
  b.spilled.emplace_back(*offset, b.text.size());
  buffered_ -= b.text.size();
  b.text.clear();
}

void TextWriter::print_header(std::uint64_t id, Block& b) {
  if (printed_++ > 0 && !summary_) std::fputc('\n', out_);
  // UDP has no opening: a connectionless conversation's roles always come from its PDUs.
  std::string roles = analysis::is_datagram(b.protseq) ? " over UDP (ncadg_ip_udp)"
                      : b.roles_from_syn               ? ""
                                                       : " (roles inferred: no SYN in the capture)";
  std::string header = fmt::format(FMT_COMPILE("Conversation {}: {} -> {}{}\n"), id,
                                   b.client.to_string(), b.server.to_string(), roles);
  if (b.process)  // NetMon's process table: no other capture says which program it was
    header += fmt::format(FMT_COMPILE("  process: {} (PID {}), from the capture's process table\n"),
                          b.process->name, b.process->pid);
  header += wireshark_filter(b.protseq, b.client, b.server);
  if (b.epm_link) header += epm_link_line(*b.epm_link, b.server.port);
  std::fwrite(header.data(), 1, header.size(), out_);
  b.header_printed = true;
}

void TextWriter::print_buffered(Block& b) {
  for (auto [offset, length] : b.spilled)
    if (!spill_.copy_to(offset, length, out_))  // said, not lost silently
      fmt::print(out_,
                 "  ({} bytes of this conversation's lines are lost: the temporary file that "
                 "held them while it waited could not be written or read back)\n",
                 length);
  b.spilled.clear();
  b.text.write(out_);  // a write that falls short shows in out_'s error, which finish() checks
  buffered_ -= b.text.size();
  b.text.clear();
}

// A conversation's group is fixed at its first frame (linking happens when it starts).
TextWriter::Block& TextWriter::block(std::uint64_t id, std::uint64_t group) {
  auto [block, added] = block_of_.try_emplace(id, nullptr);
  if (added) *block = &blocks_[Key{group == 0 ? id : group, id}];
  return **block;
}

void TextWriter::conversation_end(const Conversation& c) {
  Block& b = block(c.id, c.group);
  b.ended = true;
  b.shown = c.shown;
  b.client = c.client;
  b.server = c.server;
  b.roles_from_syn = c.roles_from_syn;
  b.protseq = c.protseq;
  b.epm_link = c.epm_link;
  b.conv = c;
  ++ended_waiting_;
  flush_ready();
  if (ended_waiting_ > max_ended_waiting_) print_ended_early();
}

// Too many ended conversations wait behind an open one: print the oldest half of them now.
void TextWriter::print_ended_early() {
  auto head_id = blocks_.begin()->first.second;
  for (auto it = std::next(blocks_.begin());
       it != blocks_.end() && ended_waiting_ > max_ended_waiting_ / 2;) {
    Block& b = it->second;
    if (!b.ended) {
      ++it;
      continue;
    }
    if (b.shown) {
      print_header(it->first.second, b);
      std::string note =
          max_ended_waiting_ == 0
              ? fmt::format(
                    FMT_COMPILE(
                        "  (printed as it ended; conversation {}, begun earlier, is open)\n"),
                    head_id)
              : fmt::format(FMT_COMPILE("  (printed ahead of conversation {}, still open: more "
                                        "than {} ended conversations were waiting behind it)\n"),
                            head_id, max_ended_waiting_);
      std::fwrite(note.data(), 1, note.size(), out_);
      print_buffered(b);
    }
    retire(it->first.second, b);
    it = blocks_.erase(it);
    if (blocks_.begin()->second.header_printed) head_interrupted_ = true;
  }
}

// An ended block leaves: its footer when it is shown (its lines are out already).
void TextWriter::retire(std::uint64_t id, Block& b) {
  if (b.shown) {
    std::string footer = conversation_footer(*b.conv, b.omitted, kMaxHiddenFrames);
    if (!b.other_flows.empty()) {  // answers from another port: the filter of every flow
      std::string filter = wireshark_filter(b.protseq, b.client, b.server);
      filter = "(" + filter.substr(filter.find(": ") + 2);
      filter.back() = ')';
      for (const auto& [src, dst] : b.other_flows) {
        std::string one = wireshark_filter(b.protseq, src, dst);
        one = one.substr(one.find(": ") + 2);
        one.pop_back();
        filter += " || (" + one + ")";
      }
      footer += "  Wireshark, every flow: " + filter + "\n";
    }
    std::fwrite(footer.data(), 1, footer.size(), out_);
  } else {
    buffered_ -= b.text.size();
  }
  --ended_waiting_;
  block_of_.erase(id);
}

// Prints from the head (oldest conversation): an ended one whole, with its footer; a live one
// that is shown gets its header and buffered lines, then streams.
void TextWriter::flush_ready() {
  while (!blocks_.empty()) {
    auto head = blocks_.begin();
    Block& b = head->second;
    if (b.shown && !b.header_printed) {
      print_header(head->first.second, b);
      print_buffered(b);
    }
    if (!b.ended) return;
    retire(head->first.second, b);
    blocks_.erase(head);
  }
}

void TextWriter::finish(const Statistics& s, const analysis::EpmLinks&) {
  flush_ready();
  // Statistics of a report that could not be written would only mislead.
  if (std::fflush(out_) != 0 || std::ferror(out_)) return;
  std::string text = format_statistics(s);
  if (stats_out_ == out_ && printed_ > 0) std::fputc('\n', out_);
  std::fwrite(text.data(), 1, text.size(), stats_out_);
  std::fflush(out_);
}

}  // namespace rpctrace::report
