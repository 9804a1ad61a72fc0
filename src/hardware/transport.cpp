// Transport protocols on the Z-plane links (contract and formulas in hardware/transport.hpp).
#include "dojosim/hardware/transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dojosim/core/errors.hpp"

namespace dojosim::hardware {

namespace {
// TTPoE: latency is the preset's dip.ethernet_latency (1.3 us over a switch, T13); a 1 MB
// transmit SRAM per TTP MAC (T11, "tolerates ~80 us of network latency without losing
// bandwidth" at 100 Gb/s: 1 MB / 80 us = 12.5 GB/s); DATA frames carry 1-16 beats of
// 64 B, i.e. up to 1 KB (T10 spec sec. 5.1); replay from the NACKed ID (T10 spec sec. 5).
constexpr TransportSpec kTtpoe{TransportKind::ttpoe, "ttpoe", 0.0, 1.0e6, 1024.0, true, "T10, T11, T13"};
// RoCE v2: NIC-to-NIC latency over one switch ~2 us (assumption: ConnectX-class RDMA write,
// vendor figures 1-3 us); window unbounded in practice (queue pairs in host memory):
// 64 MB (assumption); 4 KB MTU (assumption, the largest RoCE MTU); go-back-N (IB RC).
constexpr TransportSpec kRoce{TransportKind::roce, "roce", 2.0e-6, 64.0e6, 4096.0, true, "assumption"};
// TCP/IP: 530 us (HC2024 slide, T13); 4 MB socket buffer (assumption: Linux tcp_wmem
// maximum); MSS 1460 B (1500 B Ethernet MTU minus IP and TCP headers).
constexpr TransportSpec kTcp{TransportKind::tcp, "tcp", 530.0e-6, 4.0e6, 1460.0, false, "T13; window assumption"};
}  // namespace

const TransportSpec& transport_spec(TransportKind k) {
  switch (k) {
    case TransportKind::ttpoe: return kTtpoe;
    case TransportKind::roce: return kRoce;
    case TransportKind::tcp: return kTcp;
  }
  return kTtpoe;
}

const std::vector<std::string>& transport_names() {
  static const std::vector<std::string> names{"ttpoe", "roce", "tcp"};
  return names;
}

TransportKind parse_transport(std::string_view name) {
  if (name == "ttpoe") return TransportKind::ttpoe;
  if (name == "roce") return TransportKind::roce;
  if (name == "tcp") return TransportKind::tcp;
  throw core::InputError({"", 0, 0, "dip.transport"}, fmt::format("unknown transport '{}'", name), "ttpoe, roce or tcp");
}

TransportRate transport_rate(const TransportSpec& t, double link_bandwidth, double link_latency, double loss, double reach) {
  TransportRate r;
  const double own = t.latency > 0 ? t.latency : link_latency;
  r.latency = own + 2.0 * reach;
  if (!(link_bandwidth > 0)) return r;
  const double rtt = 2.0 * r.latency;
  const double window_bw = rtt > 0 ? std::min(link_bandwidth, t.window / rtt) : link_bandwidth;
  const double p = std::clamp(loss, 0.0, 0.999999);
  if (t.goes_back_n) {
    const double in_flight = rtt > 0 ? std::min(t.window, link_bandwidth * rtt) : 0.0;
    r.in_flight = std::max(1.0, in_flight / t.payload);
    const double eta = (1.0 - p) / (1.0 + (r.in_flight - 1.0) * p);
    r.bandwidth = window_bw * eta;
  } else {
    r.in_flight = rtt > 0 ? std::min(t.window, link_bandwidth * rtt) / t.payload : 1.0;
    const double mathis = p > 0 && rtt > 0 ? t.payload / rtt * std::sqrt(3.0 / (2.0 * p)) : window_bw;
    r.bandwidth = std::min(window_bw, mathis);
  }
  r.efficiency = r.bandwidth / link_bandwidth;
  return r;
}

double transfer_time(const TransportSpec& t, double bytes, double link_bandwidth, double link_latency, double loss,
                     double reach) {
  const TransportRate r = transport_rate(t, link_bandwidth, link_latency, loss, reach);
  return r.bandwidth > 0 ? r.latency + bytes / r.bandwidth : 0.0;
}

}  // namespace dojosim::hardware
