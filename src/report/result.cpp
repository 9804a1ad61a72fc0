#include "dojosim/report/result.hpp"

#include <fmt/format.h>

#include <string_view>
#include <algorithm>
#include <array>

#include "dojosim/core/units.hpp"
#include "dojosim/parallel/stack.hpp"

namespace dojosim::report {

using core::Dim;
using core::format_quantity;

nlohmann::ordered_json strategy_json(const parallel::Strategy& s) {
  nlohmann::ordered_json j;
  j["tp"] = s.tp;
  j["pp"] = s.pp;
  j["dp"] = s.dp;
  j["cp"] = s.cp;
  j["ep"] = s.ep;
  j["vp"] = s.vp;
  j["mbs"] = s.mbs;
  j["gbs"] = s.gbs;
  j["sp"] = s.sp;
  j["zero"] = s.zero;
  j["recompute"] = std::string(parallel::recompute_name(s.recompute));
  j["recompute_layers"] = s.recompute_layers;  // with full: layers per stage recomputed (0 = all)
  j["offload_layers"] = s.offload_layers;      // layers per model chunk whose activations wait in host memory
  j["precision"] = std::string(hardware::precision_name(s.precision));
  j["seq"] = s.seq;
  j["spatial"] = s.spatial;
  j["placement"] = s.placement();
  // Options of the plan (SPEC keys): what the stack decides unless set.
  j["overlap_dp"] = s.overlap_dp;
  j["overlap_zero3"] = s.overlap_zero3;
  j["attention"] = s.attention == 1 ? "flash" : s.attention == 2 ? "unfused" : "stack";
  j["weights"] = s.weights == parallel::Residency::sram ? "sram" : s.weights == parallel::Residency::dip ? "dip" : "auto";
  return j;
}

nlohmann::ordered_json strategy_json(const engine::Result& r) {
  nlohmann::ordered_json j = strategy_json(r.strategy);
  // What was priced: the plan's option and the stack's (a stack with DP overlap off prices
  // none even where the plan leaves overlap_dp on; a probe found JSON saying true).
  j["overlap_dp"] = r.dp_overlap;
  j["overlap_zero3"] = r.zero3_prefetch;
  return j;
}

namespace {

struct NamedComm {
  const char* name;
  const engine::GroupComm* comm;
};
std::array<NamedComm, 5> groups_of(const engine::Result& r) {
  return {{{"tp", &r.comm.tp}, {"cp", &r.comm.cp}, {"ep", &r.comm.ep}, {"pp", &r.comm.pp}, {"dp", &r.comm.dp}}};
}

std::string child_name(const hardware::System& sys, int level) {
  return level == 0 ? sys.device.name : sys.levels[static_cast<std::size_t>(level - 1)].name;
}

// Largest mesh hop count per algorithm step over the levels that used the mesh.
int mesh_hops(const collective::Cost& c) {
  int h = 0;
  for (int i = 0; i < c.hops; ++i)
    if (c.hop[static_cast<std::size_t>(i)].path == collective::Path::mesh)
      h = std::max(h, c.hop[static_cast<std::size_t>(i)].mesh_hops);
  return h;
}

nlohmann::ordered_json comm_json(const engine::GroupComm& gc, const hardware::System& sys) {
  nlohmann::ordered_json j;
  const auto& c = gc.cost();
  const auto& t = gc.traffic[0];
  j["op"] = collective::op_name(t.op);
  j["members"] = gc.group.size;
  j["bytes_per_call"] = t.bytes;
  j["calls_per_step"] = t.calls;
  j["time_per_call_s"] = c.time;
  j["path"] = collective::path_name(c.path);
  j["algorithm"] = collective::algo_name(c.algo);
  if (mesh_hops(c) > 0) j["hops_per_step"] = mesh_hops(c);
  auto& levels = j["levels"];
  levels = nlohmann::ordered_json::array();
  for (int i = 0; i < gc.group.hops && i < c.hops; ++i) {
    const auto& h = gc.group.hop[static_cast<std::size_t>(i)];
    const auto& ch = c.hop[static_cast<std::size_t>(i)];
    nlohmann::ordered_json l;
    l["level"] = sys.levels[static_cast<std::size_t>(h.level)].name;
    l["fan_in"] = h.k;
    l["path"] = collective::path_name(ch.path);
    l["algorithm"] = collective::algo_name(ch.algo);
    l["time_s"] = ch.time;
    if (ch.z_share > 0) l["zplane_share"] = ch.z_share;
    if (h.is_mesh()) {
      const auto& m = h.members;
      l["shape"] = fmt::format("{}x{}", m.rows, m.cols);
      l["of"] = child_name(sys, h.level);
      l["spacing"] = {m.row_spacing, m.col_spacing};
      l["links_shared_by"] = {{"horizontal", m.share_h}, {"vertical", m.share_v}};
      l["irregular"] = m.irregular;
      l["tiles_mesh"] = m.tiles;
      if (ch.path == collective::Path::mesh) l["hops_per_step"] = ch.mesh_hops;
    }
    levels.push_back(l);
  }
  return j;
}

std::string comm_text(const engine::GroupComm& gc, const hardware::System& sys) {
  std::string o;
  const auto& c = gc.cost();
  for (int i = 0; i < gc.group.hops && i < c.hops; ++i) {
    const auto& h = gc.group.hop[static_cast<std::size_t>(i)];
    const auto& ch = c.hop[static_cast<std::size_t>(i)];
    if (!o.empty()) o += "; ";
    o += fmt::format("{} {} {}", sys.levels[static_cast<std::size_t>(h.level)].name, collective::path_name(ch.path),
                     collective::algo_name(ch.algo));
    if (h.is_mesh()) {
      const auto& m = h.members;
      o += fmt::format(" {}x{} {}s", m.rows, m.cols, child_name(sys, h.level));
      if (m.row_spacing > 1 || m.col_spacing > 1) o += fmt::format(" spaced {}x{}", m.row_spacing, m.col_spacing);
      if (ch.path == collective::Path::mesh) o += fmt::format(", {} hop{}/step", ch.mesh_hops, ch.mesh_hops == 1 ? "" : "s");
      if (m.share_h > 1 || m.share_v > 1) o += fmt::format(", links shared by {}x{}", m.share_h, m.share_v);
      if (m.irregular)
        o += " (irregular)";
      else if (!m.tiles)
        o += " (does not tile the mesh)";
    } else {
      o += fmt::format(" k={}", h.k);
    }
    if (ch.z_share > 0 && ch.z_share < 1) o += fmt::format(", {:.0f}% of it on the Z-plane at once", 100.0 * ch.z_share);
  }
  return o;
}

}  // namespace

nlohmann::ordered_json result_json(const engine::Result& r, const hardware::System& sys, const Economics& econ) {
  nlohmann::ordered_json j;
  j["system"] = sys.name;
  j["step_time_s"] = r.step_time;
  j["tokens_per_s"] = r.tokens_per_s();
  j["tokens_per_s_per_device"] = r.tokens_per_s() / static_cast<double>(r.devices);
  // Samples: images or clips for vision (tokens_per_s counts them too), sequences for transformers.
  const bool vision = std::string_view(r.sample_unit) != "tokens";
  const double samples_per_step = vision ? r.tokens_per_step : static_cast<double>(r.strategy.gbs);
  j["samples_per_s"] = r.step_time > 0 ? samples_per_step / r.step_time : 0.0;
  j["sample_unit"] = vision ? std::string(r.sample_unit) : std::string("sequences");
  j["model_flops_per_step"] = r.model_flops_per_step;
  j["mfu"] = r.mfu;
  j["hfu"] = r.hfu;
  j["devices"] = r.devices;
  j["strategy"] = strategy_json(r);
  j["engine"] = r.engine;
  j["stack"] = r.stack;
  auto& mem = j["memory"];
  mem["per_device_bytes"] = r.memory.per_device();
  mem["capacity_bytes"] = r.memory.capacity;
  mem["fits"] = r.memory.fits;
  mem["breakdown"] = {{"weights", r.memory.weights},
                      {"gradients", r.memory.gradients},
                      {"optimizer", r.memory.optimizer},
                      {"activations", r.memory.activations},
                      {"other", r.memory.other}};
  if (sys.is_dojo()) {
    const auto& p = r.placement;
    auto where = [](engine::Tier t) {
      return t == engine::Tier::sram ? "sram" : t == engine::Tier::dip ? "dip_hbm" : "host_dram";
    };
    mem["placement"] = {{"weights", where(p.weights)},
                        {"gradients", where(p.gradients)},
                        {"optimizer", where(p.optimizer)},
                        {"activations", where(p.activations)},
                        {"dip_bytes_per_device", r.memory.offload},
                        {"dip_capacity_per_device", r.memory.offload_capacity},
                        {"host_bytes_per_device", r.memory.host},
                        {"host_capacity_per_device", r.memory.host_capacity},
                        {"stream_bandwidth_per_device", p.stream_bandwidth},
                        {"stream_bytes_per_step", p.stream_bytes},
                        {"host_bandwidth_per_device", p.host_bandwidth},
                        {"host_bytes_per_step", p.host_bytes},
                        {"stream_hidden_s", p.stream_hidden}};
  }
  if (!sys.is_dojo() && r.memory.host > 0)  // activation offload (docs/model.md#offload)
    mem["offload"] = {{"host_bytes_per_device", r.memory.host},
                      {"host_capacity_per_device", r.memory.host_capacity},
                      {"host_link_bandwidth_per_device", r.memory.host_link},
                      {"bytes_each_way_per_step", r.memory.host_traffic}};
  const auto& b = r.breakdown;
  j["breakdown_s"] = {{"compute", b.compute},
                      {"tp_comm", b.tp_comm},
                      {"cp_comm", b.cp_comm},
                      {"ep_comm", b.ep_comm},
                      {"pp_comm", b.pp_comm},
                      {"dp_comm", b.dp_comm},
                      {"bubble", b.bubble},
                      {"optimizer", b.optimizer},
                      {"memory_stream", b.memory_stream},
                      {"spatial_comm", b.spatial_comm},
                      {"ingest", b.ingest},
                      {"exposed_comm", b.exposed_comm()}};
  if (vision) j["halo_bytes_per_step"] = r.halo_bytes;
  j["hidden_comm_s"] = r.hidden_comm;
  j["contention_bound"] = r.contention_bound ? nlohmann::ordered_json(r.contention_group) : nlohmann::ordered_json(nullptr);
  j["ingest_bound"] = r.ingest_bound;
  if (r.ingest_time > 0)
    j["ingest"] = {{"bytes_per_step", r.ingest_bytes},
                   {"time_s", r.ingest_time},
                   {"bandwidth", static_cast<double>(sys.dip.count) * sys.dip.host_link_bandwidth}};
  if (sys.dip.count > 0) {
    const auto& tr = hardware::transport_spec(sys.dip.transport);
    j["zplane"] = {{"transport", tr.name}, {"loss_rate", sys.dip.loss_rate}};
  }
  j["collectives"] = {{"tp", collective::algo_name(r.tp_algo)},
                      {"dp", collective::algo_name(r.dp_algo)},
                      {"dp_path", r.dp_zplane ? "zplane" : "fabric"}};
  auto& comm = j["communication"];
  comm = nlohmann::ordered_json::object();
  for (const auto& g : groups_of(r))
    if (g.comm->active()) comm[g.name] = comm_json(*g.comm, sys);
  if (econ.present) {
    j["energy_j_per_step"] = econ.energy_j_per_step;
    j["power_w"] = econ.power_w;
    j["cost_usd_per_step"] = econ.cost_usd_per_step;
  } else {
    j["energy_j_per_step"] = nullptr;
    j["power_w"] = nullptr;
    j["cost_usd_per_step"] = nullptr;
  }
  if (!r.busiest_links.empty()) {
    j["contention"] = r.contention;
    auto& bl = j["busiest_links"];
    bl = nlohmann::ordered_json::array();
    for (const auto& l : r.busiest_links)
      bl.push_back({{"link", l.name},
                    {"bandwidth", l.bandwidth},
                    {"bytes_per_step", l.bytes},
                    {"utilisation", l.utilisation},
                    {"alike", l.alike}});
  }
  j["notes"] = r.notes;
  for (auto& n : engine::pricing_notes(r, sys)) j["notes"].push_back(std::move(n));
  return j;
}

std::string stack_line(const std::string& stack, const std::string& file) {
  // A preset (or a preset spec) can be shown by its name; a stack read from a file by the
  // file (a file with overrides is named by its spec, path first: shown by that spec).
  const std::string base = stack.substr(0, stack.find(':'));
  if (!parallel::preset_stack_text(base).empty() || (!file.empty() && base == file))
    return fmt::format("stack: {} (software: dojosim show stack {})", stack, stack);
  if (!file.empty()) return fmt::format("stack: {} (software: dojosim show stack {})", stack, file);
  return fmt::format("stack: {} (software: dojosim show stack FILE, with the file given to --stack)", stack);
}

std::string result_text(const engine::Result& r, const hardware::System& sys, const workload::Transformer& m,
                        const Economics& econ) {
  return result_text(r, sys, m.name, econ);
}

std::string result_text(const engine::Result& r, const hardware::System& sys, const std::string& model_name,
                        const Economics& econ) {
  std::string o;
  const auto& s = r.strategy;
  const bool vision = std::string_view(r.sample_unit) != "tokens";
  o += fmt::format("{} on {} ({} x {})\n", model_name, sys.name, r.devices, sys.device.name);
  if (vision)
    o += fmt::format("strategy   {}{} precision={}\n", s.spec(), s.options(), hardware::precision_name(s.precision));
  else
    o +=
        fmt::format("strategy   {}{} precision={} seq={}\n", s.spec(), s.options(), hardware::precision_name(s.precision), s.seq);
  if (!r.stack.empty()) o += "stack      " + stack_line(r.stack, r.stack_file).substr(7) + "\n";
  for (const auto& n : r.notes) o += fmt::format("           {}\n", n);
  for (const auto& n : engine::pricing_notes(r, sys)) o += fmt::format("           {}\n", n);
  if (r.contention_bound)
    o += fmt::format(
        "           contention-bound: the {} group's exposed communication ({:.0f}% of the step) crosses links it shares with "
        "concurrent groups; the closed form splits them evenly (--engine event simulates the sharing)\n",
        r.contention_group,
        100.0 *
            (std::string_view(r.contention_group) == "dp"   ? r.breakdown.dp_comm
             : std::string_view(r.contention_group) == "pp" ? r.breakdown.pp_comm
             : std::string_view(r.contention_group) == "tp" ? r.breakdown.tp_comm
             : std::string_view(r.contention_group) == "cp" ? r.breakdown.cp_comm
                                                            : r.breakdown.ep_comm) /
            r.step_time);
  if (r.ingest_bound)
    o += fmt::format(
        "           ingest-bound: the hosts deliver a step's {} of input to the DIPs in {:.4g} s over PCIe ({} DIPs x {}), "
        "longer than the {:.4g} s the rest of the step takes\n",
        format_quantity(r.ingest_bytes, Dim::bytes), r.ingest_time, sys.dip.count,
        format_quantity(sys.dip.host_link_bandwidth, Dim::byte_rate), r.step_time - r.breakdown.ingest);
  if (r.zero3_comm_bound)
    o += "           ZeRO-3 is communication-bound here: each layer's parameter gathers and gradient reductions outlast its "
         "compute\n";
  o += fmt::format("step time  {:.4g} s    {}/s {:.4g}  ({:.4g} per device)\n", r.step_time, r.sample_unit, r.tokens_per_s(),
                   r.tokens_per_s() / static_cast<double>(r.devices));
  // MFU is against the BF16 peak whatever the GEMM precision (docs/model.md): said where it
  // matters, since FP8 plans can pass 100%.
  const auto prec = r.strategy.precision;
  const bool low = prec == hardware::Precision::fp8 || prec == hardware::Precision::cfp8;
  o += fmt::format("MFU        {:.1f}%    HFU {:.1f}%{}\n", 100 * r.mfu, 100 * r.hfu,
                   low ? "    (against the BF16 peak; docs/model.md)" : "");
  const auto& b = r.breakdown;
  o += "time breakdown (per step)\n";
  auto line = [&](const char* name, double v) {
    if (v <= 0) return;
    o += fmt::format("  {:<14} {:>10.4g} s  {:5.1f}%\n", name, v, 100 * v / r.step_time);
  };
  line("compute", b.compute);
  line("tp_comm", b.tp_comm);
  line("cp_comm", b.cp_comm);
  line("ep_comm", b.ep_comm);
  line("pp_comm", b.pp_comm);
  line("dp_comm", b.dp_comm);
  line("bubble", b.bubble);
  line("optimizer", b.optimizer);
  line("memory_stream", b.memory_stream);
  line("spatial_comm", b.spatial_comm);
  line("ingest", b.ingest);
  if (r.halo_bytes > 0)
    o += fmt::format("  (halo exchange: {} received per device per step)\n", format_quantity(r.halo_bytes, Dim::bytes));
  // Below a nanosecond per step is rounding left by subtracting two times, not communication.
  if (r.hidden_comm > 1e-9) o += fmt::format("  (hidden under compute: {:.4g} s of DP communication)\n", r.hidden_comm);
  bool any = false;
  for (const auto& g : groups_of(r)) {
    if (!g.comm->active()) continue;
    if (!any) o += "communication (per group: collective per call; each level's path, algorithm, placement)\n";
    any = true;
    const auto& t = g.comm->traffic[0];
    const auto& t2 = g.comm->traffic[1];
    const std::string also = t2.op == collective::Op::none ? std::string()
                                                           : fmt::format(" (and {} of {} x {:.4g})", collective::op_name(t2.op),
                                                                         format_quantity(t2.bytes, Dim::bytes), t2.calls);
    o += fmt::format("  {:<3} {} of {} x {:.4g}/step, {:.4g} s each{}: {}\n", g.name, collective::op_name(t.op),
                     format_quantity(t.bytes, Dim::bytes), t.calls, g.comm->cost().time, also, comm_text(*g.comm, sys));
  }
  if (!r.busiest_links.empty()) {
    o += fmt::format("busiest links (event engine; contention adds {:.1f}% to the step)\n", 100.0 * r.contention);
    for (const auto& l : r.busiest_links)
      o += fmt::format("  {:5.1f}%  {} of {}  {}{}\n", 100.0 * l.utilisation, format_quantity(l.bytes, Dim::bytes),
                       format_quantity(l.bandwidth, Dim::byte_rate), l.name,
                       l.alike > 0 ? fmt::format(" (and {} like it)", l.alike) : std::string());
  }
  const auto& M = r.memory;
  o += fmt::format("memory per device: {} of {} ({})\n", format_quantity(M.per_device(), Dim::bytes),
                   format_quantity(M.capacity, Dim::bytes),
                   M.fits ? (M.host > 0 && !sys.is_dojo() ? "fits with activations offloaded to host memory"
                             : M.host > 0                 ? "fits with DIP HBM and host DRAM"
                             : M.offload > 0              ? "fits with DIP HBM"
                                                          : "fits")
                          : "DOES NOT FIT");
  o += fmt::format("  weights {}  gradients {}  optimizer {}  activations {}  other {}\n", format_quantity(M.weights, Dim::bytes),
                   format_quantity(M.gradients, Dim::bytes), format_quantity(M.optimizer, Dim::bytes),
                   format_quantity(M.activations, Dim::bytes), format_quantity(M.other, Dim::bytes));
  if (!sys.is_dojo() && M.host > 0)
    o += fmt::format("  offloaded to host memory: {} of activations per GPU (of {}), {} each way per step at {} per GPU\n",
                     format_quantity(M.host, Dim::bytes), format_quantity(M.host_capacity, Dim::bytes),
                     format_quantity(M.host_traffic, Dim::bytes), format_quantity(M.host_link, Dim::byte_rate));
  if (sys.is_dojo()) {
    const auto& p = r.placement;
    using engine::tier_name;
    o += fmt::format("  placement: weights {}, gradients {}, optimizer {}, activations {}\n", tier_name(p.weights),
                     tier_name(p.gradients), tier_name(p.optimizer), tier_name(p.activations));
    if (M.offload > 0)
      o += fmt::format("  streamed from DIPs: {} per D1 held in HBM (of {}), {} per step at {} per D1\n",
                       format_quantity(M.offload, Dim::bytes), format_quantity(M.offload_capacity, Dim::bytes),
                       format_quantity(p.stream_bytes, Dim::bytes), format_quantity(p.stream_bandwidth, Dim::byte_rate));
    if (M.host > 0)
      o += fmt::format("  streamed from host DRAM: {} per D1 held on the host (of {}), {} per step at {} per D1 (PCIe)\n",
                       format_quantity(M.host, Dim::bytes), format_quantity(M.host_capacity, Dim::bytes),
                       format_quantity(p.host_bytes, Dim::bytes), format_quantity(p.host_bandwidth, Dim::byte_rate));
  }
  if (econ.present)
    o += fmt::format("energy     {} per step, {} average, ${:.4g} per step\n",
                     format_quantity(econ.energy_j_per_step, Dim::joules), format_quantity(econ.power_w, Dim::watts),
                     econ.cost_usd_per_step);
  return o;
}

}  // namespace dojosim::report
