// Transport protocols on the Dojo Z-plane's Ethernet links: TTPoE (Tesla Transport Protocol
// over Ethernet, as built), and RoCE v2 and TCP/IP on the same links for comparison.
//
// One bulk transfer of S bytes over a link of bandwidth B, one-way latency a (the
// protocol's own, plus the mesh hops to reach the link), loss rate p per frame:
//   RTT            = 2 a
//   in flight      W_f = min(W, B * RTT)                 (W: the transmit window)
//   window bound   B_w = min(B, W / RTT)
//   go-back-N      N = W_f / payload frames in flight; each lost frame replays the N frames
//                  sent before its NACK arrives, so the delivered fraction is
//                  eta = (1 - p) / (1 + (N - 1) p)       (Bertsekas & Gallager, Data Networks,
//                  2nd ed. 1992, sec. 2.4.2, go-back-n efficiency with window >= RTT)
//   TCP            B_tcp = min(B_w, MSS / RTT * sqrt(3 / (2 p)))  (Mathis et al. 1997, eq. 3)
//   time           T = a + S / (B_eff),  B_eff = B_w * eta (TTPoE, RoCE) or B_tcp (TCP)
// TTPoE replays on NACK from a fixed window held in transmit SRAM (T10 spec sec. 5; T11:
// 1 MB per MAC); RoCE's reliable connection also goes back to the NAKed packet (InfiniBand
// RC, which RoCE v2 carries) with its window in host memory; TCP halves its window on loss.
// Figures: docs/model.md#ttpoe; sources in ../shared/specs/hardware_facts.md section 5.
//
// Contract: pure functions, no allocation; loss in [0, 1).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dojosim::hardware {

enum class TransportKind { ttpoe, roce, tcp };

struct TransportSpec {
  TransportKind kind = TransportKind::ttpoe;
  const char* name = "ttpoe";
  double latency = 0;       // s one-way over one switch; 0 = the link's own (dip.ethernet_latency)
  double window = 0;        // bytes of transmit window
  double payload = 0;       // bytes of payload per frame (go-back-N frame count; TCP: MSS)
  bool goes_back_n = true;  // replay from the lost frame; false: TCP (window halving, Mathis)
  const char* source = "";
};

// The three protocols with their figures (sources in the .cpp).
const TransportSpec& transport_spec(TransportKind k);
TransportKind parse_transport(std::string_view name);  // InputError for an unknown name
const std::vector<std::string>& transport_names();     // "ttpoe", "roce", "tcp"

struct TransportRate {
  double latency = 0;     // s one-way (protocol latency + reach)
  double bandwidth = 0;   // B/s delivered (window, loss)
  double in_flight = 0;   // frames in flight (go-back-N's N)
  double efficiency = 1;  // delivered over link bandwidth
};

// `link_latency`: the link's own one-way latency, used by TTPoE (the preset's
// dip.ethernet_latency); `reach`: one-way latency added at each end to reach the link.
TransportRate transport_rate(const TransportSpec& t, double link_bandwidth, double link_latency, double loss, double reach = 0);
// Time of one transfer of `bytes` (formula above).
double transfer_time(const TransportSpec& t, double bytes, double link_bandwidth, double link_latency, double loss,
                     double reach = 0);

}  // namespace dojosim::hardware
