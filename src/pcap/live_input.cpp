// Live capture through libpcap (input.hpp): an interface, or "any", with the filter compiled
// by libpcap for the interface's link type and run in the kernel.
#include <fmt/format.h>
#include <pcap/pcap.h>
#include <poll.h>

#include <atomic>

#include "inputs.hpp"

namespace rpctrace::pcap {

namespace {

// How long one wait for frames lasts before next() says idle: the run looks at its signals
// that often when the network is quiet.
constexpr int kIdleMillis = 250;
// The kernel's ring for frames not yet read: a busy network outruns a small one (libpcap's
// default is 2 MiB); drops are counted (pcap_stats) and reported.
constexpr int kBufferBytes = 32 << 20;
constexpr int kSnaplen = 262144;

// The LINKTYPE_ value the frame decoder knows, of the DLT_ value libpcap gives.
int link_type_of_dlt(int dlt) {
#ifdef DLT_RAW
  if (dlt == DLT_RAW) return 101;
#endif
  if (dlt == 12 || dlt == 14) return 101;  // DLT_RAW on the BSDs
  return dlt;
}

class LiveInput final : public Input {
 public:
  LiveInput(const std::string& interface, const std::string& filter, bool promiscuous)
      : name_(interface) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    handle_ = pcap_create(interface == "any" ? "any" : interface.c_str(), errbuf);
    if (handle_ == nullptr) throw CaptureError(fmt::format("-i {}: {}", interface, errbuf));
    pcap_set_snaplen(handle_, kSnaplen);
    pcap_set_promisc(handle_, promiscuous ? 1 : 0);
    pcap_set_timeout(handle_, kIdleMillis);
    // Each frame as it comes, not when a kernel block fills: conversations are shown as
    // they end, not seconds later.
    pcap_set_immediate_mode(handle_, 1);
    pcap_set_buffer_size(handle_, kBufferBytes);
    const int rc = pcap_activate(handle_);
    if (rc < 0) {
      std::string why = rc == PCAP_ERROR_PERM_DENIED
                            ? "permission denied: live capture needs root or CAP_NET_RAW "
                              "(setcap cap_net_raw,cap_net_admin+eip on the binary)"
                        : rc == PCAP_ERROR_NO_SUCH_DEVICE
                            ? "no such interface (ip link lists them; any: every interface)"
                            : pcap_geterr(handle_);
      pcap_close(handle_);
      throw CaptureError(fmt::format("-i {}: {}", interface, why));
    }
    if (rc > 0) warning_ = fmt::format("-i {}: {}", interface, pcap_geterr(handle_));
    link_type_ = link_type_of_dlt(pcap_datalink(handle_));
    if (!filter.empty()) {
      bpf_program program{};
      if (pcap_compile(handle_, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        std::string why = pcap_geterr(handle_);
        pcap_close(handle_);
        throw CaptureError(fmt::format("filter \"{}\": {}", filter, why));
      }
      const int set = pcap_setfilter(handle_, &program);
      pcap_freecode(&program);
      if (set != 0) {
        std::string why = pcap_geterr(handle_);
        pcap_close(handle_);
        throw CaptureError(fmt::format("filter \"{}\": {}", filter, why));
      }
    }
    // Non-blocking reads and a poll of our own: next() comes back when the network is quiet.
    if (pcap_setnonblock(handle_, 1, errbuf) != 0) {
      pcap_close(handle_);
      throw CaptureError(fmt::format("-i {}: {}", interface, errbuf));
    }
    fd_ = pcap_get_selectable_fd(handle_);
  }
  ~LiveInput() override { pcap_close(handle_); }
  LiveInput(const LiveInput&) = delete;
  LiveInput& operator=(const LiveInput&) = delete;

  Status next(Frame& frame) override {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (interrupted_.load(std::memory_order_relaxed)) return Status::end;
      pcap_pkthdr* header = nullptr;
      const u_char* data = nullptr;
      const int rc = pcap_next_ex(handle_, &header, &data);
      if (rc == 1) {
        frame.number = ++frames_;
        frame.number_in_file = frame.number;
        frame.file = 0;
        frame.link_type = link_type_;
        frame.ts.sec = header->ts.tv_sec;
        frame.ts.usec = static_cast<std::int32_t>(header->ts.tv_usec);
        frame.ts_clamped = false;
        frame.caplen = header->caplen;
        frame.len = header->len;
        frame.data = common::Bytes(reinterpret_cast<const std::byte*>(data), header->caplen);
        return Status::frame;
      }
      if (rc == PCAP_ERROR_BREAK) return Status::end;
      if (rc < 0) {
        damage_ = pcap_geterr(handle_);  // the interface went away
        return Status::end;
      }
      if (attempt == 0 && fd_ >= 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, kIdleMillis) <= 0) return Status::idle;
      }
    }
    return Status::idle;
  }

  [[nodiscard]] std::vector<InputFile> files() const override {
    InputFile f;
    f.name = name_;
    f.format = "live";
    f.link_type = link_type_name(link_type_);
    f.frames = frames_;
    f.damage = damage_;
    return {f};
  }

  [[nodiscard]] InputCounters counters() const override {
    InputCounters c;
    pcap_stat st{};
    if (pcap_stats(handle_, &st) == 0) {
      c.dropped_by_kernel = st.ps_drop;
      c.dropped_by_interface = st.ps_ifdrop;
    }
    if (!warning_.empty()) c.notes.push_back(warning_);
    return c;
  }

  void interrupt() override {
    interrupted_.store(true, std::memory_order_relaxed);
    pcap_breakloop(handle_);
  }

 private:
  std::string name_;
  pcap_t* handle_ = nullptr;
  int fd_ = -1;
  int link_type_ = 0;
  std::uint64_t frames_ = 0;
  std::string damage_, warning_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace

std::unique_ptr<Input> open_live(const std::string& interface, const std::string& filter,
                                 bool promiscuous) {
  return std::make_unique<LiveInput>(interface, filter, promiscuous);
}

}  // namespace rpctrace::pcap
