// NetMon 2.3's process table names the program that owned a conversation: the conversation
// whose endpoints an entry holds gets its name and PID, in the text header and in JSON; a
// conversation no entry names gets none; a NetMon file given as a stream (no table) still reads.
#include <gtest/gtest.h>

#include "rpctrace/app/run.hpp"
#include "support/netmon_writer.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report {
namespace {

using namespace harness;

ts::NetmonProcess outlook() {
  ts::NetmonProcess p;
  p.path = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE";
  p.pid = 4242;
  p.local = {10, 1, 1, 1};
  p.remote = {10, 1, 1, 2};
  p.local_port = 3464;
  p.remote_port = 135;
  return p;
}

// Two EPM lookups (client ports 3464 and 3465) as NetMon 2.3; the process table names the
// first one's connection only.
ts::Bytes netmon_capture() {
  ts::Capture cap;
  epm_lookup(cap, 3464);
  epm_lookup(cap, 3465);
  ts::NetmonWriter w(3);
  for (const auto& f : cap.frames()) w.add(f.ts, f.data, 0);
  w.add_process(outlook());
  return w.bytes();
}

TEST(NetmonProcess, TheProgramThatOwnedAConversationIsNamed) {
  Analysis run = analyze_file_bytes(netmon_capture());
  ASSERT_EQ(run.writer.conversations.size(), 2u);
  const Conversation& first = run.writer.conversation(1);
  ASSERT_TRUE(first.process != nullptr);
  EXPECT_EQ(first.process->name, "OUTLOOK.EXE");
  EXPECT_EQ(first.process->pid, 4242u);
  EXPECT_FALSE(run.writer.conversation(2).process != nullptr);
}

TEST(NetmonProcess, TheTextHeaderAndTheJsonRecordSayIt) {
  ts::TempFile file("netmon_process", netmon_capture());
  MemoryFile text, stats, json;
  {
    TextWriter w(text.get(), stats.get());
    app::run(file.path().string(), RunOptions{}, w);
  }
  {
    JsonlWriter w(json.get());
    app::run(file.path().string(), RunOptions{}, w);
  }
  const std::string t = text.text();
  EXPECT_NE(t.find("Conversation 1: 10.1.1.1:3464 -> 10.1.1.2:135\n"
                   "  process: OUTLOOK.EXE (PID 4242), from the capture's process table\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("process:", t.find("Conversation 2:")), std::string::npos) << t;
  EXPECT_NE(json.text().find("\"process\":{\"name\":\"OUTLOOK.EXE\",\"pid\":4242,"),
            std::string::npos)
      << json.text();
}

}  // namespace
}  // namespace rpctrace::report
