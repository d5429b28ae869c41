// Tests for tests/support/pcap_writer.hpp: libpcap itself reads back what the writers wrote.
#include "support/pcap_writer.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <memory>
#include <string>
#include <vector>

#include "temp_file.hpp"

namespace rpctrace::testsupport {
namespace {

struct Record {
  std::uint32_t sec;
  std::uint32_t frac;  // usec or nsec, as opened
  std::uint32_t caplen;
  std::uint32_t len;
  Bytes data;
};

struct ReadBack {
  int datalink = -1;
  int snapshot = -1;
  bool swapped = false;
  std::vector<Record> records;
};

ReadBack read_with_libpcap(std::span<const std::byte> file, bool nanosecond = false) {
  TempFile tmp("pcap", file);
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> p(
      pcap_open_offline_with_tstamp_precision(
          tmp.path().c_str(), nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO,
          err),
      pcap_close);
  if (!p) throw std::runtime_error(std::string("libpcap: ") + err);
  ReadBack r;
  r.datalink = pcap_datalink(p.get());
  r.snapshot = pcap_snapshot(p.get());
  r.swapped = pcap_is_swapped(p.get()) != 0;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p.get(), &h, &data) == 1) {
    const auto* first = reinterpret_cast<const std::byte*>(data);
    r.records.push_back(Record{static_cast<std::uint32_t>(h->ts.tv_sec),
                               static_cast<std::uint32_t>(h->ts.tv_usec), h->caplen, h->len,
                               Bytes(first, first + h->caplen)});
  }
  return r;
}

const Bytes kFrame = SplitMix64(7).bytes(100);

TEST(PcapWriter, LibpcapReadsCountLinkTypeLengthsAndTimestamps) {
  PcapWriter w(LinkType::ethernet);
  w.add(Timestamp{852076800, 1}, kFrame);
  w.add(Timestamp{852076801, 999999}, kFrame, 60);
  EXPECT_EQ(w.record_count(), 2u);
  EXPECT_EQ(w.bytes().size(), 24u + 16 + 100 + 16 + 60);

  const ReadBack r = read_with_libpcap(w.bytes());
  EXPECT_EQ(r.datalink, DLT_EN10MB);
  EXPECT_EQ(r.snapshot, 262144);
  EXPECT_FALSE(r.swapped);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].sec, 852076800u);
  EXPECT_EQ(r.records[0].frac, 1u);
  EXPECT_EQ(r.records[0].caplen, 100u);
  EXPECT_EQ(r.records[0].data, kFrame);
  EXPECT_EQ(r.records[1].sec, 852076801u);
  EXPECT_EQ(r.records[1].frac, 999999u);
  EXPECT_EQ(r.records[1].caplen, 60u);
  EXPECT_EQ(r.records[1].len, 100u);
  EXPECT_EQ(r.records[1].data, slice(kFrame, 0, 60));
}

TEST(PcapWriter, FileSnaplenCutsEveryRecord) {
  PcapWriter w(LinkType::ethernet, PcapFileOptions{Endian::little, false, 96});
  w.add(Timestamp{1, 0}, SplitMix64(1).bytes(200));
  w.add(Timestamp{2, 0}, SplitMix64(2).bytes(50));
  const ReadBack r = read_with_libpcap(w.bytes());
  EXPECT_EQ(r.snapshot, 96);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].caplen, 96u);
  EXPECT_EQ(r.records[0].len, 200u);
  EXPECT_EQ(r.records[1].caplen, 50u);
}

TEST(PcapWriter, BigEndianHeadersAreSwappedForThisHost) {
  PcapWriter w(LinkType::ethernet, PcapFileOptions{Endian::big, false, 65535});
  w.add(Timestamp{852076800, 123456}, kFrame);
  EXPECT_EQ(slice(w.bytes(), 0, 4), hex_bytes("a1b2c3d4"));
  const ReadBack r = read_with_libpcap(w.bytes());
  EXPECT_TRUE(r.swapped);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].sec, 852076800u);
  EXPECT_EQ(r.records[0].frac, 123456u);
  EXPECT_EQ(r.records[0].data, kFrame);
}

TEST(PcapWriter, NanosecondMagicCarriesNanoseconds) {
  PcapWriter w(LinkType::ethernet, PcapFileOptions{Endian::little, true, 65535});
  w.add(Timestamp{852076800, 123456}, kFrame);
  EXPECT_EQ(slice(w.bytes(), 0, 4), hex_bytes("4d3cb2a1"));
  const ReadBack r = read_with_libpcap(w.bytes(), true);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].frac, 123456000u);
}

TEST(PcapWriter, EachLinkTypeIsReportedByLibpcap) {
  const std::vector<std::pair<LinkType, int>> cases = {
      {LinkType::null, DLT_NULL},
      {LinkType::ethernet, DLT_EN10MB},
      {LinkType::raw, DLT_RAW},
      {LinkType::loop, DLT_LOOP},
      {LinkType::linux_sll, DLT_LINUX_SLL},
      {LinkType::linux_sll2, DLT_LINUX_SLL2},
  };
  for (const auto& [link_type, dlt] : cases) {
    PcapWriter w(link_type);
    w.add(Timestamp{1, 2}, kFrame);
    EXPECT_EQ(read_with_libpcap(w.bytes()).datalink, dlt) << static_cast<int>(link_type);
  }
}

TEST(PcapngWriter, LibpcapReadsRecordsAndTimestamps) {
  for (const Endian order : {Endian::little, Endian::big}) {
    PcapngWriter w(LinkType::ethernet, PcapFileOptions{order, false, 65535});
    w.add(Timestamp{852076800, 5}, kFrame);
    w.add(Timestamp{852076800, 6}, SplitMix64(3).bytes(61), 33);  // odd sizes: padding
    EXPECT_EQ(w.bytes().size() % 4, 0u);
    const ReadBack r = read_with_libpcap(w.bytes());
    EXPECT_EQ(r.datalink, DLT_EN10MB);
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].sec, 852076800u);
    EXPECT_EQ(r.records[0].frac, 5u);
    EXPECT_EQ(r.records[0].data, kFrame);
    EXPECT_EQ(r.records[1].caplen, 33u);
    EXPECT_EQ(r.records[1].len, 61u);
  }
}

TEST(PcapngWriter, NanosecondResolutionOption) {
  PcapngWriter w(LinkType::linux_sll, PcapFileOptions{Endian::little, true, 65535});
  w.add(Timestamp{852076800, 7}, kFrame);
  const ReadBack r = read_with_libpcap(w.bytes(), true);
  EXPECT_EQ(r.datalink, DLT_LINUX_SLL);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].sec, 852076800u);
  EXPECT_EQ(r.records[0].frac, 7000u);
}

TEST(Timestamp, PlusUsecCarriesIntoSeconds) {
  EXPECT_EQ((Timestamp{1, 999'999}.plus_usec(2)), (Timestamp{2, 1}));
  EXPECT_EQ((kTimestamp1997.plus_usec(3'600'000'000)), (Timestamp{852080400, 0}));
}

}  // namespace
}  // namespace rpctrace::testsupport
