// Test harness of the run loop and the writers: builder-made captures written to temporary
// files, run through app::run() into a Sink that records everything, or into the text / JSON
// Lines writers over an in-memory FILE*.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rpctrace/app/run.hpp"
#include "rpctrace/report/writers.hpp"
#include "support/capture.hpp"
#include "support/tcp_script.hpp"
#include "support/testdata_common.hpp"
#include "unit/support/temp_file.hpp"

namespace rpctrace::report::harness {

using analysis::CallRecord;
using analysis::Conversation;
using analysis::FrameRecord;
using analysis::Statistics;
using app::RunOptions;
using app::RunResult;

namespace ts = testsupport;

class RecordingWriter : public analysis::Sink {
 public:
  std::vector<FrameRecord> frames;
  std::vector<CallRecord> calls;
  std::vector<Conversation> conversations;  // in order of their end
  Statistics stats;
  int finished = 0;

  void frame(const FrameRecord& f) override { frames.push_back(f); }
  void call(const CallRecord& c) override { calls.push_back(c); }
  void conversation_end(const Conversation& c) override { conversations.push_back(c); }
  void finish(const Statistics& s, const analysis::EpmLinks&) override {
    stats = s;
    ++finished;
  }
  // The conversation with this id; fails the test when there is none.
  const Conversation& conversation(std::uint64_t id) const {
    for (const auto& c : conversations)
      if (c.id == id) return c;
    ADD_FAILURE() << "no conversation " << id;
    static const Conversation none;
    return none;
  }
};

// An in-memory FILE* (POSIX open_memstream).
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&buffer_, &size_)) {}
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  ~MemoryFile() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(buffer_);
  }
  [[nodiscard]] std::FILE* get() const { return file_; }
  [[nodiscard]] std::string text() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

// Runs app::run() over `cap` written as a classic pcap file.
struct Analysis {
  RunResult result;
  RecordingWriter writer;
  std::string path;
};
inline Analysis analyze_capture(const ts::Capture& cap, const RunOptions& options = {},
                                std::vector<analysis::Sink*> more_sinks = {}) {
  ts::TempFile file("report", cap.to_pcap());
  Analysis run;
  run.path = file.path().string();
  more_sinks.insert(more_sinks.begin(), &run.writer);
  run.result = app::run(run.path, options, more_sinks);
  return run;
}

// Runs app::run() over a capture's file bytes (a testdata capture).
inline Analysis analyze_file_bytes(const ts::Bytes& bytes, const RunOptions& options = {}) {
  ts::TempFile file("report", bytes);
  Analysis run;
  run.path = file.path().string();
  run.result = app::run(run.path, options, run.writer);
  return run;
}

struct Output {
  std::string out, stats;
};
inline Output text_of(const ts::Capture& cap, const RunOptions& options = {},
                      bool summary = false) {
  ts::TempFile file("report_text", cap.to_pcap());
  MemoryFile out, stats;
  {
    TextWriter w(out.get(), stats.get(), summary);
    app::run(file.path().string(), options, w);
  }
  return Output{out.text(), stats.text()};
}
inline std::string jsonl_of(const ts::Capture& cap, const RunOptions& options = {}) {
  ts::TempFile file("report_jsonl", cap.to_pcap());
  MemoryFile out;
  {
    JsonlWriter w(out.get());
    app::run(file.path().string(), options, w);
  }
  return out.text();
}

// --- Scenario pieces: every conversation gets its own client port and ISNs. ---

inline ts::TcpScriptConfig config(std::string_view client, std::uint16_t client_port,
                                  std::string_view server, std::uint16_t server_port) {
  return ts::tcp_config(client, client_port, 1000u + client_port, server, server_port,
                        500000u + server_port);
}
// Handshake, EPM bind/bind_ack, ept_map answering 10.1.1.2:4764, FIN teardown (11 frames).
inline void epm_lookup(ts::Capture& cap, std::uint16_t client_port = 3464,
                       std::uint16_t server_port = 135) {
  ts::TcpScript t(cap, config("10.1.1.1", client_port, "10.1.1.2", server_port));
  ts::epm_lookup_conversation(t, 1);
}
// A lone SYN (a refused or unanswered connection attempt).
inline void syn_only(ts::Capture& cap, std::string_view client, std::uint16_t client_port,
                     std::string_view server, std::uint16_t server_port) {
  ts::TcpScript t(cap, config(client, client_port, server, server_port));
  ts::TcpSegment s;
  s.seq = t.config().client.isn;
  s.flags = ts::kTcpSyn;
  t.raw(ts::Direction::to_server, s);
}
// A TCP conversation that carries no DCE/RPC (an HTTP exchange).
inline void http(ts::Capture& cap, std::uint16_t client_port, std::uint16_t server_port = 80) {
  ts::TcpScript t(cap, config("10.1.1.1", client_port, "10.1.1.2", server_port));
  t.handshake();
  t.send(ts::Direction::to_server, ts::text_bytes("GET / HTTP/1.0\r\n\r\n"));
  t.send(ts::Direction::to_client, ts::text_bytes("HTTP/1.0 200 OK\r\n\r\nhello"));
  t.close();
}

}  // namespace rpctrace::report::harness
