// Every preset loads, shows its totals, cites a source for every figure, and bad input
// fails with a located message.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/registry.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/hardware/system.hpp"

using namespace dojosim;
using hardware::Precision;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::Error& e) { return e.what(); }
  return "";
}
}  // namespace

TEST(Presets, EveryNameInDesignLoads) {
  for (const char* n : {"dojo-d1", "dojo-tile", "dojo-tray", "dojo-cabinet", "dojo-exapod", "dgx-a100", "dgx-a100-40g",
                        "dgx-h100", "dgx-h200", "dgx-b200", "gb200-nvl72", "tpu-v4", "tpu-v5p"}) {
    SCOPED_TRACE(n);
    const auto s = hardware::load_system(n);
    EXPECT_EQ(s.name, n);
    EXPECT_GT(s.device_count(), 0);
    EXPECT_GT(s.device.peak_for(Precision::bf16), 0);
    EXPECT_FALSE(hardware::system_to_yaml(s)["derived"]["totals"].IsNull());
  }
}

TEST(Presets, DojoHierarchyIsExact) {
  const auto d1 = hardware::load_system("dojo-d1");
  EXPECT_EQ(d1.device.compute_units, 354);
  EXPECT_DOUBLE_EQ(d1.device.sram_per_core, 1.25e6);
  EXPECT_DOUBLE_EQ(d1.device.memory_capacity(), 440e6);
  EXPECT_EQ(hardware::load_system("dojo-tile").device_count(), 25);
  EXPECT_EQ(hardware::load_system("dojo-tray").device_count(), 150);
  EXPECT_EQ(hardware::load_system("dojo-tray").tiles(), 6);
  EXPECT_EQ(hardware::load_system("dojo-cabinet").device_count(), 300);
  const auto pod = hardware::load_system("dojo-exapod");
  EXPECT_EQ(pod.device_count(), 3000);
  EXPECT_EQ(pod.tiles(), 120);
  EXPECT_NEAR(pod.peak(Precision::bf16), 1.086e18, 0.01e18);
  EXPECT_NEAR(pod.total_memory("sram"), 1.32e12, 0.01e12);
  EXPECT_NEAR(pod.total_memory("dip_hbm"), 12.8e12, 0.01e12);
  EXPECT_EQ(pod.dip.count, 400);
  EXPECT_DOUBLE_EQ(pod.dip.hbm_bandwidth, 800e9);
  EXPECT_DOUBLE_EQ(pod.dip.tile_link_bandwidth, 900e9);
  EXPECT_DOUBLE_EQ(pod.dip.ethernet_bandwidth, 50e9);
  const auto half = hardware::load_system("dojo-exapod:cabinets=5");
  EXPECT_EQ(half.device_count(), 1500);
  EXPECT_EQ(half.dip.count, 200);
  // DIPs plug into the edges of a wafer: 20 per 5x5 tile (5 per edge, T8), no more.
  EXPECT_EQ(hardware::load_system("dojo-tile", {"dip.count=20"}).dip.count, 20);
  try {
    hardware::load_system("dojo-tile", {"dip.count=21"});
    ADD_FAILURE() << "21 DIPs on one tile accepted";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dip.count"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at most 20 fit"), std::string::npos) << e.what();
  }
  EXPECT_EQ(hardware::load_system("dojo-exapod", {"dip.count=2400"}).dip.count, 2400);
  EXPECT_THROW(hardware::load_system("dojo-exapod", {"dip.count=2401"}), core::InputError);
  const auto tile = pod.levels[0];
  EXPECT_EQ(tile.name, "tile");
  EXPECT_EQ(tile.dims[0] * tile.dims[1], 25);
}

TEST(Presets, GpuClusterTotals) {
  const auto h = hardware::load_system("dgx-h100:nodes=128");
  EXPECT_EQ(h.device_count(), 1024);
  EXPECT_NEAR(h.peak(Precision::bf16), 1.01e18, 0.01e18);
  EXPECT_EQ(hardware::load_system("dgx-h100:devices=64").device_count(), 64);
  EXPECT_EQ(hardware::load_system("gb200-nvl72:racks=2").device_count(), 144);
  EXPECT_EQ(hardware::load_system("dgx-a100", {"levels.cluster.size=4"}).device_count(), 32);
}

// Every figure in every preset file cites a source key from hardware_facts.md, or says
// it is derived, an assumption, or a calibration.
TEST(Presets, EveryFigureCitesASource) {
  const std::regex key(R"(^(T([1-9]|1[0-6])|E[1-3]|N[1-9]|G[1-3]|C[1-4]|D|assumption|calibration)$)");
  for (const auto& n : hardware::preset_system_names()) {
    SCOPED_TRACE(n);
    const auto s = hardware::load_system(n);
    const YAML::Node y = hardware::system_to_yaml(s);
    std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& node, const std::string& path) {
      if (!node.IsMap()) return;
      if (node["value"].IsDefined() && node["source"].IsDefined()) {
        const std::string src = node["source"].Scalar();
        EXPECT_TRUE(std::regex_match(src, key)) << path << " has source '" << src << "'";
        return;
      }
      for (const auto& kv : node) walk(kv.second, path + "." + kv.first.Scalar());
    };
    walk(y["device"]["peak"], "device.peak");
    walk(y["device"]["memory"], "device.memory");
    walk(y["levels"], "levels");
    if (y["dip"].IsDefined()) walk(y["dip"], "dip");
    for (const auto& [path, src] : s.provenance.source)
      EXPECT_TRUE(std::regex_match(src, key)) << path << " has source '" << src << "'";
    // And nothing numeric shows up without one.
    for (const auto& l : y["levels"])
      for (const char* f : {"bandwidth", "latency"})
        EXPECT_NE(l.second[f]["source"].Scalar(), "default (not stated)") << l.first.Scalar() << "." << f;
  }
}

TEST(BadInput, PresetTypoSuggestsNearest) {
  const std::string m = error_of([] { hardware::load_system("dgx-h10"); });
  EXPECT_NE(m.find("did you mean 'dgx-h100'"), std::string::npos) << m;
}

TEST(BadInput, UnknownParameterAndOverride) {
  EXPECT_NE(error_of([] { hardware::load_system("dgx-h100:node=4"); }).find("did you mean 'nodes'"), std::string::npos);
  // Partial nodes are accepted (issue 12); a count that is not a whole number is not.
  EXPECT_EQ(hardware::load_system("dgx-h100:devices=12").device_count(), 12);
  EXPECT_NE(error_of([] { hardware::load_system("dgx-h100:devices=12.5"); }).find("whole number"), std::string::npos);
  EXPECT_NE(error_of([] { hardware::load_system("dgx-h100", {"device.peak.bf17=1 PFLOP/s"}); }).find("did you mean 'bf16'"),
            std::string::npos);
  EXPECT_NE(error_of([] { hardware::load_system("dgx-h100", {"levels.node.bandwidth=900 GB"}); }).find("a bandwidth"),
            std::string::npos);
  EXPECT_NE(error_of([] { hardware::load_system("dgx-h100", {"levels.node.bandwidth=-3 GB/s"}); }).find("out of range"),
            std::string::npos);
  EXPECT_NE(error_of([] { hardware::load_system("dgx-h100", {"device.memory.hbm.capacity=0 GB"}); }).find("out of range"),
            std::string::npos);
}

TEST(BadInput, FilesAreLocated) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/bad_system.yaml";
  std::string text = hardware::preset_system_text("dgx-a100");
  text = std::regex_replace(text, std::regex("    tiers: 2"), "    tiers: 2\n    teirs: 3");
  std::ofstream(path) << text;
  const std::string m = error_of([&] { hardware::load_system(path); });
  EXPECT_NE(m.find(path + ":"), std::string::npos) << m;
  EXPECT_NE(m.find("levels.cluster.teirs"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'tiers'"), std::string::npos) << m;
  EXPECT_NE(error_of([&] { hardware::load_system(dir + "/does_not_exist.yaml"); }).find("cannot open"), std::string::npos);
}

// Thousands of mutated presets: every outcome is a system or an InputError/Unsupported.
TEST(Fuzz, SystemLoaderNeverCrashes) {
  std::mt19937_64 rng(2024);
  const std::string dir = ::testing::TempDir();
  const auto names = hardware::preset_system_names();
  const std::string alphabet = "0123456789.:-{}[], \n GBsTWk/$#\"";
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = hardware::preset_system_text(names[static_cast<std::size_t>(i) % names.size()]);
    for (int k = 0; k < 3; ++k) {
      const std::size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(pos, 1 + rng() % 8); break;
        default: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    const std::string path = dir + "/fuzz_system.yaml";
    std::ofstream(path) << text;
    try {
      (void)hardware::load_system(path);
      ++loaded;
    } catch (const core::Error&) { ++rejected; }
  }
  EXPECT_GT(rejected, 100);
  EXPECT_GT(loaded, 10);
}

// The tile edge's 9 TB/s (T4) read per direction (the preset) or as both directions
// together (T9's 5 DIPs x 900 GB/s per edge): the switch halves the per-direction figure
// the engines use, `show` prints the figure as given with its reading, and a bad reading
// names the choices.
TEST(Presets, TileEdgeReadingIsASwitch) {
  auto tray_bw = [](const hardware::System& s) {
    for (const auto& l : s.levels)
      if (l.name == "tray") return l.bandwidth;
    return 0.0;
  };
  const auto per = hardware::load_system("dojo-tray");
  const auto both = hardware::load_system("dojo-tray", {"levels.tray.bandwidth_counts=both_directions"});
  EXPECT_DOUBLE_EQ(tray_bw(per), 9e12);
  EXPECT_DOUBLE_EQ(tray_bw(both), 4.5e12);
  std::ostringstream shown;
  shown << hardware::system_to_yaml(both);
  EXPECT_NE(shown.str().find("9 TB/s"), std::string::npos);
  EXPECT_NE(shown.str().find("both_directions"), std::string::npos);
  try {
    (void)hardware::load_system("dojo-tray", {"levels.tray.bandwidth_counts=total"});
    ADD_FAILURE() << "a bad reading loaded";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("per_direction, both_directions"), std::string::npos);
  }
  // The same halving, and nothing else, on the whole ExaPOD.
  const auto ex = hardware::load_system("dojo-exapod", {"levels.tray.bandwidth_counts=both_directions"});
  EXPECT_DOUBLE_EQ(tray_bw(ex), 4.5e12);
  EXPECT_DOUBLE_EQ(ex.peak(hardware::Precision::bf16), hardware::load_system("dojo-exapod").peak(hardware::Precision::bf16));
}

// Each default is written once: what the registry documents (`dojosim list components`)
// is what the reader gives a file that leaves the key out.
TEST(Registry, DefaultsWrittenOnce) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("dojosim_defaults_system_" + std::to_string(::getpid()) + ".yaml");  // one per process: ctest -j
  {
    std::ofstream f(path);
    f << "name: minimal\n"
         "device:\n"
         "  name: x\n"
         "  peak: {bf16: 100 TFLOP/s}\n"
         "  memory: {hbm: {capacity: 80 GB, bandwidth: 2000 GB/s}}\n"
         "  tdp: 400 W\n"
         "levels:\n"
         "  node: {topology: switched, size: 8, bandwidth: 300 GB/s, latency: 2 us}\n"
         "  cluster: {topology: fat_tree, size: 2, bandwidth: 25 GB/s, latency: 5 us}\n";
  }
  const auto s = hardware::load_system(path.string());
  std::filesystem::remove(path);
  core::Registry r;
  hardware::register_hardware(r);
  auto documented = [&](std::string_view kind, std::string_view name, std::string_view key) {
    const auto* c = r.find(kind, name);
    EXPECT_NE(c, nullptr) << kind << " " << name;
    if (c)
      for (const auto& p : c->params)
        if (p.name == key) return p.default_value;
    ADD_FAILURE() << "no documented key " << key;
    return std::string();
  };
  const auto& fat = s.levels.at(1);
  const std::map<std::string, std::string> level{{"tiers", fmt::format("{}", fat.tiers)},
                                                 {"oversubscription", fmt::format("{}", fat.oversubscription)},
                                                 {"leaf_size", fmt::format("{}", fat.leaf_size)},
                                                 {"rail_optimised", fmt::format("{}", fat.rail_optimised)},
                                                 {"bus_efficiency", fmt::format("{}", fat.bus_efficiency)},
                                                 {"half_efficiency_bytes", fmt::format("{}", fat.half_efficiency_bytes)},
                                                 {"overhead_power", fmt::format("{}", fat.overhead_power)},
                                                 {"price", fmt::format("{}", fat.price)}};
  for (const auto& [key, value] : level) EXPECT_EQ(documented("topology", "fat_tree", key), value) << key;
  const auto& e = s.device.eff;
  EXPECT_EQ(documented("efficiency", "device", "tile_m"), fmt::format("{}", e.tile_m));
  EXPECT_EQ(documented("efficiency", "device", "tile_n"), fmt::format("{}", e.tile_n));
  EXPECT_EQ(documented("efficiency", "device", "memory_efficiency"), fmt::format("{}", e.memory_efficiency));
  EXPECT_EQ(documented("efficiency", "device", "gemm_max.<precision>"),
            fmt::format("bf16 value, else {}", hardware::kGemmMaxWhenUnstated));
  const auto& d = s.device;
  EXPECT_EQ(documented("device", "device", "compute_units"), fmt::format("{}", d.compute_units));
  EXPECT_EQ(documented("device", "device", "price"), fmt::format("{}", d.price));
  EXPECT_EQ(documented("device", "device", "idle_power"), fmt::format("{} x tdp", d.idle_power / d.tdp));
  // The Dojo core-mesh keys, from a file that gives only the required ones.
  const auto dojo_path =
      std::filesystem::temp_directory_path() / ("dojosim_defaults_core_" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream f(dojo_path);
    f << "name: minimal-mesh\n"
         "device:\n"
         "  name: x\n"
         "  peak: {bf16: 100 TFLOP/s}\n"
         "  memory: {sram: {capacity: 400 MB, bandwidth: 10 TB/s}}\n"
         "  tdp: 400 W\n"
         "  core_mesh: {rows: 4, cols: 4, link_bandwidth: 64 GB/s, sram_per_core: 1 MB}\n"
         "levels:\n"
         "  tile: {topology: mesh2d, size: 4, dims: [2, 2], bandwidth: 1 TB/s, latency: 100 ns}\n";
  }
  const auto m = hardware::load_system(dojo_path.string()).device;
  std::filesystem::remove(dojo_path);
  EXPECT_EQ(documented("device", "device", "core_mesh.hop_latency"), fmt::format("{}", m.core_hop_latency));
  EXPECT_EQ(documented("device", "device", "core_mesh.issue_efficiency"), fmt::format("{}", m.core_issue_efficiency));
  EXPECT_EQ(documented("device", "device", "core_mesh.gemm_sram_share"), fmt::format("{}", m.core_gemm_sram_share));
  EXPECT_EQ(documented("device", "device", "core_mesh.store_bandwidth"), fmt::format("{}", m.core_store_bandwidth));
  EXPECT_DOUBLE_EQ(m.eff.gemm_max[0], hardware::kGemmMaxWhenUnstated);
}

// `show system` writes what the reader reads, from the same tables: every preset's
// system_to_yaml, as `show system` prints it (what it derives under `derived:`, which the
// reader skips), reads back into the same system (figures are printed to four significant
// digits or more, hence the relative tolerance). A probe found the output refused
// ("unknown key 'devices_per_instance'") though this test passed: it removed those keys first.
TEST(Registry, ShowReadsBack) {
  std::vector<std::string> names = hardware::preset_system_names();
  names.emplace_back("gb200-nvl72:devices=100");  // a partly used last rack: devices_used reads back
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const auto a = hardware::load_system(name);
    YAML::Node y = hardware::system_to_yaml(a);
    ASSERT_TRUE(y["derived"]["totals"].IsMap());
    std::stringstream text;
    text << y;
    std::string file = name;
    std::replace_if(
        file.begin(), file.end(), [](char c) { return c == ':' || c == '='; }, '_');
    const auto path = std::filesystem::temp_directory_path() / (file + "_" + std::to_string(::getpid()) + ".yaml");
    {
      std::ofstream f(path);
      f << text.str();
    }
    hardware::System b;
    const std::string err = error_of([&] { b = hardware::load_system(path.string()); });
    std::filesystem::remove(path);
    ASSERT_EQ(err, "") << text.str();
    EXPECT_EQ(a.device_count(), b.device_count());
    EXPECT_EQ(a.devices_used, b.devices_used);
    auto near = [](double u, double v) { return std::abs(u - v) <= 5e-4 * std::max(std::abs(u), std::abs(v)); };
    const auto &da = a.device, &db = b.device;
    EXPECT_EQ(da.compute_units, db.compute_units);
    EXPECT_TRUE(near(da.tdp, db.tdp));
    EXPECT_TRUE(near(da.idle_power, db.idle_power));
    EXPECT_TRUE(near(da.price, db.price));
    EXPECT_EQ(da.eff.tile_m, db.eff.tile_m);
    EXPECT_TRUE(near(da.eff.memory_efficiency, db.eff.memory_efficiency));
    EXPECT_EQ(da.core_rows, db.core_rows);
    EXPECT_TRUE(near(da.core_link_bandwidth, db.core_link_bandwidth));
    EXPECT_TRUE(near(da.core_hop_latency, db.core_hop_latency));
    EXPECT_TRUE(near(da.core_issue_efficiency, db.core_issue_efficiency));
    EXPECT_TRUE(near(da.core_gemm_sram_share, db.core_gemm_sram_share));
    EXPECT_TRUE(near(da.core_store_bandwidth, db.core_store_bandwidth));
    ASSERT_EQ(a.levels.size(), b.levels.size());
    for (std::size_t i = 0; i < a.levels.size(); ++i) {
      const auto &la = a.levels[i], &lb = b.levels[i];
      EXPECT_EQ(la.size, lb.size);
      EXPECT_TRUE(near(la.bandwidth, lb.bandwidth)) << la.name;
      EXPECT_TRUE(near(la.latency, lb.latency)) << la.name;
      EXPECT_TRUE(near(la.bus_efficiency, lb.bus_efficiency)) << la.name;
      EXPECT_TRUE(near(la.half_efficiency_bytes, lb.half_efficiency_bytes)) << la.name;
      EXPECT_TRUE(near(la.overhead_power, lb.overhead_power)) << la.name;
      EXPECT_TRUE(near(la.price, lb.price)) << la.name;
      EXPECT_EQ(la.tiers, lb.tiers) << la.name;
      EXPECT_TRUE(near(la.oversubscription, lb.oversubscription)) << la.name;
      EXPECT_EQ(la.leaf_size, lb.leaf_size) << la.name;
      EXPECT_EQ(la.rail_optimised, lb.rail_optimised) << la.name;
    }
    EXPECT_EQ(a.dip.count, b.dip.count);
    EXPECT_TRUE(near(a.dip.capacity, b.dip.capacity));
    EXPECT_TRUE(near(a.dip.ethernet_latency, b.dip.ethernet_latency));
    EXPECT_TRUE(near(a.dip.host_memory, b.dip.host_memory));
    EXPECT_TRUE(near(a.dip.power, b.dip.power));
    EXPECT_TRUE(near(a.dip.price, b.dip.price));
    EXPECT_TRUE(near(a.dip.loss_rate, b.dip.loss_rate));
    EXPECT_EQ(a.dip.transport, b.dip.transport);
    EXPECT_TRUE(near(a.pue, b.pue));
    EXPECT_EQ(a.stack, b.stack);
  }
}

// Found by a new user's probe. A value a file states without a source is "stated", not
// "default (not stated)", and a plain value an override sets says so; fat-tree settings
// on a level of another topology are an error, never silently without effect.
TEST(System, StatedValuesAndTopologyKeys) {
  const std::string path = std::string(DOJOSIM_TEST_DATA_DIR) + "/systems/custom-sized.yaml";
  const auto sys = dojosim::hardware::load_system(path);
  EXPECT_EQ(sys.provenance.origin("pue"), "stated (no source given)");
  EXPECT_EQ(sys.provenance.origin("levels.node.latency"), "stated (no source given)");
  EXPECT_EQ(sys.provenance.origin("levels.node.bandwidth"), "vendor");
  EXPECT_EQ(sys.provenance.origin("levels.node.bus_efficiency"), "default (not stated)");
  const auto set = dojosim::hardware::load_system(path, {"pue=1.4"});
  EXPECT_EQ(set.provenance.origin("pue").rfind("override", 0), 0U) << set.provenance.origin("pue");
  for (const char* key : {"tiers=3", "oversubscription=8", "leaf_size=2", "rail_optimised=false"})
    EXPECT_THROW(dojosim::hardware::load_system("dgx-h100", {std::string("levels.node.") + key}), dojosim::core::InputError)
        << key;
  EXPECT_NO_THROW(dojosim::hardware::load_system("dgx-h100", {"levels.cluster.oversubscription=2"}));
}

// Memory tiers are named: the device's own memory first, then optionally `host`. A probe
// found `hots:` silently dropping activation offload and a host block written first
// becoming the device's memory (22.6 s -> 205 s a step, no warning).
TEST(System, MemoryTierNamesAndOrderAreChecked) {
  const std::string text = hardware::preset_system_text("dgx-h100");
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_tiers_" + std::to_string(::getpid()) + ".yaml");
  auto load = [&](const std::string& t) {
    std::ofstream(path) << t;
    return error_of([&] { (void)hardware::load_system(path.string()); });
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  EXPECT_EQ(load(text), "");
  EXPECT_NE(load(replaced("    host:", "    hots:")).find("did you mean 'host'"), std::string::npos);
  EXPECT_NE(load(replaced("    hbm:", "    hmb:")).find("unknown memory tier 'hmb'"), std::string::npos);
  // host first: swap the two blocks' names.
  std::string swapped = replaced("    hbm:", "    hXm:");
  swapped.replace(swapped.find("    host:"), 9, "    hbm:");
  swapped.replace(swapped.find("    hXm:"), 8, "    host:");
  EXPECT_NE(load(swapped).find("the host tier comes after"), std::string::npos) << load(swapped);
  EXPECT_NE(load(replaced("    host:", "    sram:")).find("a second device memory tier 'sram'"), std::string::npos);
  std::filesystem::remove(path);
}

// dims has as many entries as the topology has dimensions, and only mesh and torus levels
// take it (a probe found torus3d accepting [4, 16] and [64], with other results).
TEST(System, DimsMatchTheTopology) {
  const std::string text = hardware::preset_system_text("tpu-v4");
  const auto path = std::filesystem::temp_directory_path() / ("dojosim_dims_" + std::to_string(::getpid()) + ".yaml");
  auto load = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    std::ofstream(path) << t.replace(at, from.size(), to);
    return error_of([&] { (void)hardware::load_system(path.string()); });
  };
  EXPECT_EQ(load("dims: [4, 4, 4]", "dims: [4, 4, 4]"), "");
  for (const char* bad : {"dims: [4, 16]", "dims: [64]", "dims: [4, 4, 2, 2]"})
    EXPECT_NE(load("dims: [4, 4, 4]", bad).find("a torus3d level takes 3 dims"), std::string::npos) << bad;
  EXPECT_NE(load("    topology: torus3d", "    topology: switched").find("dims apply to mesh2d"), std::string::npos);
  std::filesystem::remove(path);
}

namespace {
// A preset's text with `from` replaced by `to`, written to a file of the test's own, and
// loaded as FILE:param (the parameter applied); the error's text, or "" when it loads.
std::string param_error(const std::string& preset, const std::string& from, const std::string& to, const std::string& param) {
  std::string text = hardware::preset_system_text(preset);
  const auto at = text.find(from);
  if (at == std::string::npos) return "test setup: '" + from + "' is not in " + preset;
  text.replace(at, from.size(), to);
  const std::string path = ::testing::TempDir() + "/param_" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(path) << text;
  return error_of([&] { (void)hardware::load_system(path + (param.empty() ? "" : ":" + param)); });
}
}  // namespace

// Found by a tester's probe: `divide: 0` divided by zero (SIGFPE, exit 136), `divide: -8`
// was accepted (a misleading error later) and `divide: 2.5` read as "bad conversion".
// Each is an error at the key, expecting a whole number of at least 1.
TEST(BadInput, PresetParameterDivideIsAWholeNumberFromOne) {
  for (const char* bad : {"divide: 0", "divide: -8", "divide: 2.5", "divide: eight"}) {
    SCOPED_TRACE(bad);
    const std::string m = param_error("dgx-h100", "divide: 8", bad, "devices=16");
    EXPECT_NE(m.find(":6:"), std::string::npos) << m;  // the `devices:` parameter's line
    EXPECT_NE(m.find("parameters.devices.divide"), std::string::npos) << m;
    EXPECT_NE(m.find("whole number"), std::string::npos) << m;
  }
  const std::string zero = param_error("dgx-h100", "divide: 8", "divide: 0", "devices=16");
  EXPECT_NE(zero.find("from 1"), std::string::npos) << zero;
  EXPECT_NE(zero.find("e.g. divide: 8"), std::string::npos) << zero;  // the suggestion
  // Rejected when the file is read, whichever parameter is used (or none).
  EXPECT_NE(param_error("dgx-h100", "divide: 8", "divide: 0", "").find("parameters.devices.divide"), std::string::npos);
  EXPECT_EQ(param_error("dgx-h100", "divide: 8", "divide: 4", "devices=16"), "");
}

// Found by a tester's probe: a malformed multiplier in a `sets` entry escaped std::stoll
// ("internal error: stoll", exit 1), and "*40.5" was read as 40, "*1e300" as 1. Each is an
// error at the entry, expecting KEY*INTEGER.
TEST(BadInput, PresetParameterMultiplierIsAPositiveWholeNumber) {
  for (const char* bad : {"dip.count*abc", "dip.count**40", "dip.count*", "dip.count*99999999999999999999", "dip.count*40.5",
                          "dip.count*1e300", "dip.count*0", "dip.count*-40"}) {
    SCOPED_TRACE(bad);
    const std::string m = param_error("dojo-exapod", "\"dip.count*40\"]", std::string("\"") + bad + "\"]", "cabinets=2");
    EXPECT_NE(m.find("parameters.cabinets.sets"), std::string::npos) << m;
    EXPECT_NE(m.find("KEY*INTEGER"), std::string::npos) << m;
    EXPECT_NE(m.find(bad), std::string::npos) << m;
  }
  for (const char* bad : {"levels.pod.size*", "levels.pod.size*99999999999999999999"}) {
    SCOPED_TRACE(bad);
    const std::string m = param_error("tpu-v4", "sets: [levels.pod.size]", std::string("sets: [\"") + bad + "\"]", "cubes=2");
    EXPECT_NE(m.find("parameters.cubes.sets"), std::string::npos) << m;
    EXPECT_NE(m.find("KEY*INTEGER"), std::string::npos) << m;
  }
  const auto exapod = hardware::load_system("dojo-exapod:cabinets=2");
  EXPECT_EQ(exapod.dip.count, 80);
}

// Found by a tester's probe: `set:`, `divid:` and `hlep:` in a parameter were accepted and
// the parameter silently did nothing (or divided by 1); `sets:` given a scalar or an empty
// list likewise. Now an unknown key with a suggestion, and `sets` a non-empty list.
TEST(BadInput, PresetParameterKeysAreChecked) {
  const std::string from = "devices: {sets: [levels.cluster.size], divide: 8,";
  for (const auto& [to, want] : std::vector<std::pair<std::string, std::string>>{
           {"devices: {set: [levels.cluster.size], divide: 8,", "did you mean 'sets'"},
           {"devices: {sets: [levels.cluster.size], divid: 8,", "did you mean 'divide'"},
           {"devices: {sets: [levels.cluster.size], divide: 8, hlep: x,", "did you mean 'help'"},
           {"devices: {sets: levels.cluster.size, divide: 8,", "non-empty list"},
           {"devices: {sets: [], divide: 8,", "non-empty list"},
           {"devices: {sets: [[levels.cluster.size]], divide: 8,", "not a key path"},
           {"devices: {divide: 8,", "'sets' is missing"}}) {
    SCOPED_TRACE(to);
    const std::string m = param_error("dgx-h100", from, to, "devices=16");
    EXPECT_NE(m.find(":6:"), std::string::npos) << m;
    EXPECT_NE(m.find("parameters.devices"), std::string::npos) << m;
    EXPECT_NE(m.find(want), std::string::npos) << m;
  }
  EXPECT_EQ(param_error("dgx-h100", from, from, "devices=16"), "");
}

// Found by a tester's probe: `pue:`, `price:`, `idle_power:` or `bus_efficiency:` with
// nothing after it silently meant the default (or 0); now "the value is empty" at its line.
TEST(BadInput, EmptyValuesAreRefused) {
  for (const auto& [from, line] : std::vector<std::pair<std::string, std::string>>{
           {"pue: {value: 1.2, source: assumption, note: \"air-cooled data centre\"}", ":55:"},
           {"  idle_power: {value: 90 W, source: assumption}", ":26:"},
           {"  price: {value: $27500, source: N9, note: \"midpoint of $25,000-30,000\"}", ":27:"},
           {"    bus_efficiency: {value: 0.80, source: calibration, note: \"NCCL all-reduce bus bandwidth ~80% of NVLink "
            "per-direction bandwidth; docs/validation.md\"}",
            ":40:"}}) {
    const std::string key = from.substr(0, from.find(':') + 1);
    SCOPED_TRACE(key);
    const std::string m = param_error("dgx-h100", from, key, "");
    EXPECT_NE(m.find(line), std::string::npos) << m;
    EXPECT_NE(m.find("the value is empty"), std::string::npos) << m;
  }
}
