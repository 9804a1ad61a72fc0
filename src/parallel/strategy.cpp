#include "dojosim/parallel/strategy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "dojosim/core/text.hpp"

namespace dojosim::parallel {

using core::InputError;
using core::Location;

std::string_view recompute_name(Recompute r) {
  switch (r) {
    case Recompute::none: return "none";
    case Recompute::selective: return "selective";
    case Recompute::full: return "full";
  }
  return "none";
}

std::string activation_text(const Strategy& s) {
  std::string t(recompute_name(s.recompute));
  if (s.recompute == Recompute::full && s.recompute_layers > 0) t += fmt::format(" ({} layers/chunk)", s.recompute_layers);
  if (s.offload_layers > 0) t += fmt::format(", offload {} layers/chunk", s.offload_layers);
  return t;
}

std::string Strategy::spec() const {
  std::string s = fmt::format("tp={},pp={},dp={},cp={},ep={},vp={},mbs={},gbs={},sp={},zero={},recompute={}", tp, pp, dp, cp, ep,
                              vp, mbs, gbs, sp ? "true" : "false", zero, recompute_name(recompute));
  if (spatial > 1) s += fmt::format(",spatial={}", spatial);
  if (recompute == Recompute::full && recompute_layers > 0) s += fmt::format(",recompute_layers={}", recompute_layers);
  if (offload_layers > 0) s += fmt::format(",offload_layers={}", offload_layers);
  if (!default_order()) s += ",placement=" + placement();
  return s;
}

std::string Strategy::options() const {
  std::string o;
  if (!overlap_dp) o += ",overlap_dp=false";
  if (!overlap_zero3) o += ",overlap_zero3=false";
  if (weights == Residency::sram) o += ",weights=sram";
  if (weights == Residency::dip) o += ",weights=dip";
  if (attention == 1) o += ",attention=flash";
  if (attention == 2) o += ",attention=unfused";
  return o;
}

namespace {
const char* kind_name(Strategy::Kind k) {
  switch (k) {
    case Strategy::Kind::tp: return "tp";
    case Strategy::Kind::cp: return "cp";
    case Strategy::Kind::pp: return "pp";
    case Strategy::Kind::dp: return "dp";
  }
  return "tp";
}
}  // namespace

int Strategy::degree(Kind k) const {
  switch (k) {
    case Kind::tp: return tp;
    case Kind::cp: return cp;
    case Kind::pp: return pp;
    case Kind::dp: return dp;
  }
  return 1;
}

long long Strategy::stride(Kind k) const {
  long long s = 1;
  for (Kind o : order) {
    if (o == k) break;
    s *= degree(o);
  }
  return s;
}

long long Strategy::ep_stride() const {
  if (ep <= 1 || dp % ep == 0) return stride(Kind::dp);
  const auto pos = [&](Kind k) { return std::find(order.begin(), order.end(), k) - order.begin(); };
  return pos(Kind::dp) == pos(Kind::cp) + 1 ? stride(Kind::cp) : 0;
}

bool Strategy::default_order() const { return !order_given; }

std::array<Strategy::Kind, 4> Strategy::effective_order(bool dojo) const {
  if (order_given) return order;
  return dojo ? std::array<Kind, 4>{Kind::tp, Kind::cp, Kind::pp, Kind::dp}
              : std::array<Kind, 4>{Kind::tp, Kind::cp, Kind::dp, Kind::pp};
}

std::string Strategy::placement() const {
  return fmt::format("{}-{}-{}-{}", kind_name(order[0]), kind_name(order[1]), kind_name(order[2]), kind_name(order[3]));
}

Strategy parse_strategy(const std::string& spec) {
  Strategy s;
  static const std::vector<std::string> keys{"tp",
                                             "pp",
                                             "dp",
                                             "cp",
                                             "ep",
                                             "vp",
                                             "mbs",
                                             "gbs",
                                             "sp",
                                             "zero",
                                             "recompute",
                                             "overlap_dp",
                                             "overlap_zero3",
                                             "weights",
                                             "attention",
                                             "spatial",
                                             "placement",
                                             "recompute_layers",
                                             "offload_layers"};
  std::vector<std::string> keys_seen;
  const std::vector<std::string> items = core::split(spec, ',');
  for (std::size_t n = 0; n < items.size(); ++n) {
    const std::string item = core::trim(items[n]);
    // An empty spec gives nothing (every key chosen); one trailing comma is tolerated. An
    // empty item elsewhere (",,," or "tp=8,,pp=2") is a typo that would silently drop a key.
    if (item.empty()) {
      if (core::trim(spec).empty() || (n + 1 == items.size() && n > 0)) continue;
      throw InputError(Location{"--parallel", 0, 0, ""},
                       fmt::format("'{}' has an empty item (item {} of {})", spec, n + 1, items.size()),
                       "key=value items separated by single commas, e.g. tp=8,pp=4,mbs=1",
                       "leave --parallel out (or write `best` in a sweep) to choose every key");
    }
    const auto eq = item.find('=');
    const Location where{"--parallel", 0, 0, eq == std::string::npos ? item : core::trim(item.substr(0, eq))};
    if (eq == std::string::npos) throw InputError(where, fmt::format("'{}' is not key=value", item), "e.g. tp=8,pp=4,mbs=1");
    const std::string key = core::to_lower(core::trim(item.substr(0, eq)));
    const std::string val = core::to_lower(core::trim(item.substr(eq + 1)));
    if (std::find(keys_seen.begin(), keys_seen.end(), key) != keys_seen.end())
      throw InputError(where, fmt::format("{} is given twice", key), "each key once, e.g. tp=8,pp=4");
    keys_seen.push_back(key);
    auto integer = [&](long long lo, long long hi) -> long long {
      // Decimal digits only (strtod had read tp=0x8 as 8 and tp=8.0 as 8); a whole number
      // out of range is said to be so, not to be no whole number.
      const std::string range = fmt::format("a whole number from {} to {}", lo, hi);
      if (val.empty() || val.size() > 18 || val.find_first_not_of("0123456789") != std::string::npos)
        throw InputError(where, fmt::format("{}={} is not a whole number", key, val), range);
      const long long v = std::stoll(val);
      if (v < lo || v > hi) throw InputError(where, fmt::format("{}={} is out of range", key, val), range);
      return v;
    };
    auto boolean = [&]() -> bool {
      if (val == "true" || val == "1" || val == "on") return true;
      if (val == "false" || val == "0" || val == "off") return false;
      throw InputError(where, fmt::format("{}={} is not true or false", key, val), "true or false");
    };
    if (key == "tp") {
      s.tp = static_cast<int>(integer(1, 1 << 20));
      s.given.tp = true;
    } else if (key == "pp") {
      s.pp = static_cast<int>(integer(1, 1 << 20));
      s.given.pp = true;
    } else if (key == "dp") {
      s.dp = static_cast<int>(integer(1, 1 << 26));
      s.given.dp = true;
    } else if (key == "cp") {
      s.cp = static_cast<int>(integer(1, 1 << 20));
      s.given.cp = true;
    } else if (key == "ep") {
      s.ep = static_cast<int>(integer(1, 1 << 20));
      s.given.ep = true;
    } else if (key == "vp") {
      s.vp = static_cast<int>(integer(1, 1024));
      s.given.vp = true;
    } else if (key == "mbs") {
      s.mbs = static_cast<int>(integer(1, 1 << 20));
      s.given.mbs = true;
    } else if (key == "gbs") {
      s.gbs = integer(1, 1LL << 40);
      s.given.gbs = true;
    } else if (key == "sp") {
      s.sp = boolean();
      s.given.sp = true;
    } else if (key == "zero") {
      s.zero = static_cast<int>(integer(0, 3));
      s.given.zero = true;
    } else if (key == "spatial") {
      s.spatial = static_cast<int>(integer(1, 1 << 20));
      s.given.spatial = true;
    } else if (key == "recompute_layers") {
      s.recompute_layers = static_cast<int>(integer(0, 1 << 20));
    } else if (key == "offload_layers") {
      s.offload_layers = static_cast<int>(integer(0, 1 << 20));
      s.given.offload_layers = true;
    } else if (key == "overlap_dp") {
      s.overlap_dp = boolean();
      s.given.overlap_dp = true;
    } else if (key == "overlap_zero3") {
      s.overlap_zero3 = boolean();
      s.given.overlap_zero3 = true;
    } else if (key == "recompute") {
      const std::vector<std::string> modes{"none", "selective", "full"};
      if (val == "none")
        s.recompute = Recompute::none;
      else if (val == "selective")
        s.recompute = Recompute::selective;
      else if (val == "full")
        s.recompute = Recompute::full;
      else
        throw InputError(where, fmt::format("recompute={} is not a mode", val), "none, selective or full",
                         core::did_you_mean(val, modes));
      s.given.recompute = true;
    } else if (key == "attention") {
      const std::vector<std::string> kinds{"stack", "flash", "unfused"};
      if (val == "stack")
        s.attention = 0;  // the stack's kernel (what a result's JSON says when none was forced)
      else if (val == "flash")
        s.attention = 1;
      else if (val == "unfused")
        s.attention = 2;
      else
        throw InputError(where, fmt::format("attention={} is not a kernel", val), "stack, flash or unfused",
                         core::did_you_mean(val, kinds));
    } else if (key == "placement") {
      // placement=tp-cp-pp-dp: the four kinds, innermost first ('-', '/' or '.' between).
      std::string v = val;
      for (char& ch : v)
        if (ch == '/' || ch == '.') ch = '-';
      const auto parts = core::split(v, '-');
      std::array<Strategy::Kind, 4> o{};
      bool seen[4] = {false, false, false, false};
      const std::vector<std::string> names{"tp", "cp", "pp", "dp"};
      const std::string expected = "the four kinds tp, cp, pp, dp innermost first, e.g. placement=tp-cp-pp-dp";
      if (parts.size() != 4)
        throw InputError(where, fmt::format("placement={} does not name tp, cp, pp and dp once each", val), expected);
      for (std::size_t i = 0; i < 4; ++i) {
        const std::string part = core::trim(parts[i]);
        const auto it = std::find(names.begin(), names.end(), part);
        if (it == names.end())
          throw InputError(where, fmt::format("placement: '{}' is not a group kind", part), expected,
                           core::did_you_mean(part, names));
        const auto idx = static_cast<std::size_t>(it - names.begin());
        if (seen[idx]) throw InputError(where, fmt::format("placement: '{}' appears twice", part), expected);
        seen[idx] = true;
        o[i] = static_cast<Strategy::Kind>(idx);
      }
      s.order = o;
      s.order_given = true;
    } else if (key == "weights") {
      const std::vector<std::string> modes{"auto", "sram", "dip"};
      if (val == "auto")
        s.weights = Residency::automatic;
      else if (val == "sram")
        s.weights = Residency::sram;
      else if (val == "dip")
        s.weights = Residency::dip;
      else
        throw InputError(where, fmt::format("weights={} is not a placement", val), "auto, sram or dip",
                         core::did_you_mean(val, modes));
    } else {
      throw InputError(where, fmt::format("unknown strategy key '{}'", key), "one of: " + core::join(keys, ", "),
                       core::did_you_mean(key, keys));
    }
  }
  return s;
}

std::string strategy_problem(const Strategy& s, const workload::Transformer& m, const hardware::System& sys) {
  const long long n = sys.device_count();
  if (s.spatial != 1)
    return fmt::format("spatial={} partitions feature maps of vision networks; {} is a transformer (use tp, cp or sp)", s.spatial,
                       m.name);
  if (s.devices() != n)
    return fmt::format("tp*pp*dp*cp = {}*{}*{}*{} = {} but the system has {} devices", s.tp, s.pp, s.dp, s.cp, s.devices(), n);
  if (m.heads % s.tp != 0) return fmt::format("tp={} does not divide the {} attention heads", s.tp, m.heads);
  // Megatron-Core splits the KV heads (query groups) over the TP ranks: tp must divide
  // them (docs/search.md; it replicates none).
  if (m.kv_heads > 0 && m.kv_heads % s.tp != 0)
    return fmt::format("tp={} does not divide the {} KV heads (query groups), which tensor parallelism splits", s.tp, m.kv_heads);
  if (m.layers < s.pp) return fmt::format("pp={} exceeds the {} layers", s.pp, m.layers);
  if (s.vp > 1 && m.layers % (1LL * s.pp * s.vp) != 0 && (m.layers + 2) % (1LL * s.pp * s.vp) != 0)
    return fmt::format(
        "interleaved schedule: layers ({}), or layers + 2 with the embedding and loss counted as layers, "
        "must divide evenly into pp*vp = {} chunks",
        m.layers, s.pp * s.vp);
  if (s.vp > 1 && s.pp == 1) return "vp > 1 needs pipeline parallelism (pp > 1)";
  if (s.recompute_layers > 0 && s.recompute == Recompute::full &&
      s.recompute_layers > (m.layers + 1LL * s.pp * s.vp - 1) / (1LL * s.pp * s.vp))
    return fmt::format("recompute_layers={} exceeds the {} layers of a model chunk (layers / (pp*vp), rounded up)",
                       s.recompute_layers, (m.layers + 1LL * s.pp * s.vp - 1) / (1LL * s.pp * s.vp));
  if (s.recompute_layers > 0 && s.recompute != Recompute::full)
    return fmt::format("recompute_layers={} needs recompute=full (it sets how many layers per stage are fully recomputed)",
                       s.recompute_layers);
  if (s.offload_layers > 0) {
    const long long chunk = (m.layers + 1LL * s.pp * s.vp - 1) / (1LL * s.pp * s.vp);
    if (sys.is_dojo())
      return "offload_layers moves GPU activations to host memory; Dojo places its state in SRAM, DIP HBM and host DRAM "
             "by itself (weights=)";
    if (sys.device.host() == nullptr)
      return fmt::format("offload_layers={} needs host memory: {} has no `host` memory tier (capacity and link bandwidth)",
                         s.offload_layers, sys.device.name);
    if (s.recompute == Recompute::full)
      return fmt::format(
          "offload_layers={} keeps activations on the host instead of recomputing them; with recompute=full "
          "use one or the other (recompute_layers for a partial recompute)",
          s.offload_layers);
    if (s.offload_layers > chunk)
      return fmt::format("offload_layers={} exceeds the {} layers of a model chunk (layers / (pp*vp), rounded up)",
                         s.offload_layers, chunk);
  }
  if (s.gbs <= 0) return "gbs must be given or chosen";
  // Not even by dp: no micro-batch size helps, so none is named (the resolver's mbs=8 was).
  if (s.gbs % s.dp != 0) return fmt::format("gbs={} is not divisible by dp={}", s.gbs, s.dp);
  if (s.gbs % (1LL * s.dp * s.mbs) != 0)
    return fmt::format("gbs={} is not divisible by dp*mbs = {}*{} = {}", s.gbs, s.dp, s.mbs, 1LL * s.dp * s.mbs);
  if (s.vp > 1 && s.microbatches() % s.pp != 0)
    return fmt::format("interleaved schedule needs the number of micro-batches ({}) to be a multiple of pp={}", s.microbatches(),
                       s.pp);
  const long long seq = s.seq;
  if (seq % s.cp != 0) return fmt::format("cp={} does not divide the sequence length {}", s.cp, seq);
  if (s.cp > 1 && (seq / s.cp) % 2 != 0) return fmt::format("cp={} leaves an odd sequence chunk", s.cp);
  if (s.sp && s.tp == 1) return "sp=true needs tp > 1";
  if (s.sp && seq / s.cp % s.tp != 0)
    return fmt::format("sequence parallelism: tp={} does not divide the local sequence {}", s.tp, seq / s.cp);
  if (s.ep > 1 && !m.moe()) return fmt::format("ep={} needs a mixture-of-experts model", s.ep);
  if (s.ep > 1 && m.experts % s.ep != 0) return fmt::format("ep={} does not divide the {} experts", s.ep, m.experts);
  if (s.ep > 1 && (1LL * s.dp * s.cp) % s.ep != 0) return fmt::format("ep={} must divide dp*cp = {}", s.ep, 1LL * s.dp * s.cp);
  if (s.ep > 1) {
    Strategy placed = s;
    placed.order = s.effective_order(sys.is_dojo());
    if (placed.ep_stride() == 0)
      return fmt::format(
          "ep={} does not divide dp={}, so its groups span the CP ranks, which needs cp and dp adjacent in the placement (not "
          "{})",
          s.ep, s.dp, placed.placement());
  }
  if (sys.device.peak_for(s.precision) <= 0)
    return fmt::format("{} has no {} peak", sys.device.name, hardware::precision_name(s.precision));
  return "";
}

void check_strategy(const Strategy& s, const workload::Transformer& m, const hardware::System& sys) {
  const std::string why = strategy_problem(s, m, sys);
  if (!why.empty())
    throw InputError(Location{"--parallel", 0, 0, ""}, "invalid strategy: " + why,
                     "a strategy whose degrees fit the model and system");
}

long long max_spatial(const workload::Network& n) {
  long long r = 1;
  for (const auto& o : n.ops)
    if (o.splittable) r = std::max(r, o.rows);
  return r;
}

std::string strategy_problem(const Strategy& s, const workload::Network& net, const hardware::System& sys) {
  auto only_dp = [&](const char* key, int v) {
    return fmt::format(
        "{}={} is not available for vision networks ({}): they run data parallel (dp, zero) and spatially "
        "partitioned (spatial); tp, pp, cp, ep and vp must be 1",
        key, v, net.name);
  };
  if (s.tp != 1) return only_dp("tp", s.tp);
  if (s.pp != 1) return only_dp("pp", s.pp);
  if (s.cp != 1) return only_dp("cp", s.cp);
  if (s.ep != 1) return only_dp("ep", s.ep);
  if (s.vp != 1) return only_dp("vp", s.vp);
  if (s.sp)
    return fmt::format("sp=true (sequence parallelism) applies to transformers; {} is a vision network (use spatial=N)",
                       net.name);
  if (s.offload_layers > 0)
    return fmt::format("offload_layers={} offloads transformer layers' activations; {} is a vision network", s.offload_layers,
                       net.name);
  const long long n = sys.device_count();
  if (s.devices() != n)
    return fmt::format("dp*spatial = {}*{} = {} but the system has {} devices", s.dp, s.spatial, s.devices(), n);
  const long long rows = max_spatial(net);
  if (s.spatial > rows)
    return fmt::format("spatial={} exceeds the largest feature map of {} ({} rows)", s.spatial, net.name, rows);
  if (s.gbs <= 0) return "gbs must be given or chosen";
  // Not even by dp: no micro-batch size helps, so none is named (the resolver's mbs=8 was).
  if (s.gbs % s.dp != 0) return fmt::format("gbs={} is not divisible by dp={}", s.gbs, s.dp);
  if (s.gbs % (1LL * s.dp * s.mbs) != 0)
    return fmt::format("gbs={} is not divisible by dp*mbs = {}*{} = {}", s.gbs, s.dp, s.mbs, 1LL * s.dp * s.mbs);
  if (sys.device.peak_for(s.precision) <= 0)
    return fmt::format("{} has no {} peak", sys.device.name, hardware::precision_name(s.precision));
  return "";
}

void check_strategy(const Strategy& s, const workload::Network& n, const hardware::System& sys) {
  const std::string why = strategy_problem(s, n, sys);
  if (!why.empty())
    throw InputError(Location{"--parallel", 0, 0, ""}, "invalid strategy: " + why,
                     "dp, spatial, mbs, gbs, zero and recompute for a vision network");
}

}  // namespace dojosim::parallel
