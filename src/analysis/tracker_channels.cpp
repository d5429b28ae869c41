// Channels inside a conversation (ncacn_np's pipes: an association each) and the carrier's own
// events (SMB session setup, tree connect, a pipe's create and close).
#include <algorithm>

#include "conversation_state.hpp"
#include "rpctrace/analysis/tracker.hpp"

namespace rpctrace::analysis {

namespace {

// Reports of a channel's association carry its facts while they are made.
class ChannelScope {
 public:
  ChannelScope(ConversationState& s, const ChannelPtr& facts) : s_(s), saved_(s.channel_now) {
    s_.channel_now = &facts;
  }
  ~ChannelScope() { s_.channel_now = saved_; }
  ChannelScope(const ChannelScope&) = delete;
  ChannelScope& operator=(const ChannelScope&) = delete;

 private:
  ConversationState& s_;
  const ChannelPtr* saved_;
};

}  // namespace

void ChannelState::on_pdu(const dcerpc::PduEvent& e, const dcerpc::PduPayloadView& payload) {
  state.on_pdu(e, payload);
}
void ChannelState::on_note(const dcerpc::Note& n) { state.on_note(n); }
void ChannelState::on_call_end(const dcerpc::CallEnd& c, const dcerpc::CallStubsView& stubs) {
  state.on_call_end(c, stubs);
}
bool ChannelState::wants_stub(const dcerpc::SyntaxId& interface) {
  return state.wants_stub(interface);
}

std::uint32_t Tracker::open_channel(ConversationState& s, ChannelOpen o) {
  o.facts.id = static_cast<std::uint32_t>(s.channels.size() + 1);
  auto facts = std::make_shared<const ChannelFacts>(std::move(o.facts));
  auto c = std::make_unique<ChannelState>(s, facts, dcerpc_counters_, options_.association_limits);
  if (o.inferred_interface) c->assoc.set_inferred_interface(*o.inferred_interface);
  if (s.conv.channels.size() < kMaxListedChannels) s.conv.channels.push_back(facts);
  s.conv.pipe_activity = true;
  s.channels.push_back(std::move(c));
  return facts->id;
}

void Tracker::pdu(ConversationState& s, std::uint32_t channel, Direction dir, common::Bytes pdu,
                  const FrameRef& at) {
  if (channel == 0) return this->pdu(s, dir, pdu, at);
  if (channel > s.channels.size() || !s.channels[channel - 1]) return;
  ChannelState& c = *s.channels[channel - 1];
  ChannelScope scope(s, c.facts);
  c.assoc.pdu(dir, pdu, at);
}

void Tracker::cut_pdu(ConversationState& s, std::uint32_t channel, Direction dir,
                      common::Bytes partial, const FrameRef& at) {
  if (channel == 0) return this->cut_pdu(s, dir, partial, at);
  if (channel > s.channels.size() || !s.channels[channel - 1]) return;
  ChannelState& c = *s.channels[channel - 1];
  ChannelScope scope(s, c.facts);
  c.assoc.cut_pdu(dir, partial, at);
}

void Tracker::close_channel(ConversationState& s, std::uint32_t channel) {
  if (channel == 0 || channel > s.channels.size() || !s.channels[channel - 1]) return;
  auto& c = s.channels[channel - 1];
  {
    ChannelScope scope(s, c->facts);
    c->assoc.finish(here(s));
  }
  c.reset();
}

void Tracker::set_channel_handle(ConversationState& s, std::uint32_t channel, std::string handle) {
  if (channel == 0 || channel > s.channels.size() || !s.channels[channel - 1]) return;
  ChannelPtr& facts = s.channels[channel - 1]->facts;
  auto updated = std::make_shared<ChannelFacts>(*facts);
  updated->handle = std::move(handle);
  for (auto& listed : s.conv.channels)
    if (listed == facts) listed = updated;
  facts = std::move(updated);
}

ChannelPtr Tracker::channel(const ConversationState& s, std::uint32_t channel) const {
  if (channel == 0 || channel > s.channels.size() || !s.channels[channel - 1]) return nullptr;
  return s.channels[channel - 1]->facts;
}

void Tracker::event(ConversationState& s, CarrierEvent e, bool of_interest) {
  if (of_interest) s.conv.pipe_activity = true;
  if (e.kind == CarrierEventKind::tls_client_hello) ++counters_.tls_connections;
  pending(s).record.events.push_back(std::move(e));
}

}  // namespace rpctrace::analysis
