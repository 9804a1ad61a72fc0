// dojosim numerics table FORMAT | numerics quantize FORMAT FILE.npy — number-format
// tables and quantisation studies (logic in the numerics module; this file parses and prints).
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_checks.hpp"
#include "commands.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/numerics/convert.hpp"
#include "dojosim/numerics/format.hpp"
#include "dojosim/numerics/npy.hpp"
#include "dojosim/numerics/quantize.hpp"

namespace dojosim::cli {

namespace {

int parse_int(const std::string& s, const std::string& key, const std::string& expected) {
  int v = 0;
  const auto t = core::trim(s);
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty())
    throw core::InputError({"", 0, 0, key}, fmt::format("'{}' is not an integer", s), expected);
  return v;
}

std::uint64_t parse_seed(const std::string& s) {
  std::uint64_t v = 0;
  const auto t = core::trim(s);
  const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty())
    throw core::InputError({"", 0, 0, "seed"}, fmt::format("'{}' is not a seed", s), "a non-negative integer");
  return v;
}

numerics::Format make_format(const std::string& name, const std::string& bias, const std::string& denormal) {
  const auto id = numerics::parse_format(name);
  const auto d = numerics::parse_denormal_scale(denormal);
  if (bias.empty()) return numerics::Format(id, numerics::info(id).default_bias, d);
  return numerics::Format(id, parse_int(bias, "bias", "an integer (0..63 for the configurable formats)"), d);
}

// Shortest text that reads back as the same double.
std::string num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

void print_table(const numerics::Format& f, bool json) {
  if (f.bits() > 16)
    throw core::InputError({"", 0, 0, "format"}, fmt::format("{} has 2^{} codes, too many for a table", f.name(), f.bits()),
                           "a format of at most 16 bits");
  if (json) {
    nlohmann::ordered_json j;
    j["format"] = std::string(f.name());
    j["bias"] = f.bias();
    auto codes = nlohmann::ordered_json::array();
    for (std::uint32_t c = 0; c < f.code_count(); ++c) {
      const double v = numerics::decode(f, c);
      nlohmann::ordered_json e;
      e["code"] = c;
      e["bits"] = numerics::code_bits(f, c);
      if (std::isfinite(v))
        e["value"] = v;
      else
        e["value"] = nullptr;
      e["class"] = std::string(numerics::class_name(numerics::classify(f, c)));
      codes.push_back(std::move(e));
    }
    j["codes"] = std::move(codes);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  fmt::print("format: {} ({})\nbias: {}\ndenormal scale: {} (0.m x 2^{})\n", f.name(), f.info().description, f.bias(),
             numerics::denormal_scale_name(f.denormal_scale()), f.denormal_exponent());
  fmt::print("max finite: {}\nmin normal: {}\nmin denormal: {}\n\n", num(f.max_finite()), num(f.min_normal()),
             num(f.min_denormal()));
  fmt::print("{:>6}  {:>6}  {:<20} {:<9} {}\n", "code", "hex", "bits", "class", "value");
  const int hex_digits = (f.bits() + 3) / 4;
  for (std::uint32_t c = 0; c < f.code_count(); ++c)
    fmt::print("{:>6}  0x{:0{}x}  {:<20} {:<9} {}\n", c, c, hex_digits, numerics::code_bits(f, c),
               numerics::class_name(numerics::classify(f, c)), num(numerics::decode(f, c)));
}

}  // namespace

void add_numerics(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("numerics", "Number formats: code tables and quantisation studies");
  cmd->require_subcommand(1);
  static std::string format_name, bias, denormal = "ieee", out_format = "text";
  auto* table = cmd->add_subcommand("table", "Every code of a format with its bits, class and value");
  table->add_option("FORMAT", format_name, "cfloat8_1_4_3 | cfloat8_1_5_2 | shp | uhp | bf16 | fp16 | fp8_e4m3 | fp8_e5m2")
      ->required();
  table->add_option("--bias", bias, "exponent bias (configurable formats: 0..63)");
  table->add_option("--denormal", denormal, "denormal scale of Dojo formats: ieee (2^(1-bias), default) | whitepaper (2^-bias)");
  table->add_option("--format", out_format, "text | json")->check(checks::one_of({"text", "json"}));
  table->callback([&action]() {
    action = []() -> int {
      print_table(make_format(format_name, bias, denormal), out_format == "json");
      return 0;
    };
  });

  static std::string file, rounding = "rne", seed = "0", qbias = "auto", out_file;
  static std::size_t block = 0;
  auto* quant = cmd->add_subcommand("quantize", "Quantise a NumPy .npy tensor and report the error");
  quant->add_option("FORMAT", format_name, "number format")->required();
  quant->add_option("FILE", file, "a .npy file of float32 or float16, C order")->required();
  quant->add_option("--bias", qbias, "exponent bias, or auto (least error without overflow; default)");
  quant->add_option("--block", block, "with --bias auto: choose a bias per block of this many elements")
      ->check(checks::whole(1, 1LL << 40, "a block size in elements"));
  quant->add_option("--rounding", rounding, "rne | stochastic");
  quant->add_option("--seed", seed, "seed of stochastic rounding (reproducible)");
  quant->add_option("--denormal", denormal, "denormal scale of Dojo formats: ieee | whitepaper");
  quant->add_option("--output", out_file, "write the dequantised tensor (float32 .npy)")->check(checks::nonempty("a file path"));
  quant->add_option("--format", out_format, "text | json")->check(checks::one_of({"text", "json"}));
  quant->callback([&action]() {
    action = []() -> int {
      const auto id = numerics::parse_format(format_name);
      numerics::QuantizeOptions o;
      o.denormal = numerics::parse_denormal_scale(denormal);
      o.rounding = numerics::parse_rounding(rounding);
      o.seed = parse_seed(seed);
      o.block = block;
      const bool automatic = core::to_lower(core::trim(qbias)) == "auto";
      if (!automatic) {
        o.bias = parse_int(qbias, "bias", "an integer or auto");
        if (block != 0) throw core::InputError({"", 0, 0, "block"}, "--block chooses a bias per block and needs --bias auto");
      }
      (void)numerics::Format(id, o.bias.value_or(numerics::info(id).default_bias), o.denormal);  // validate early
      const auto arr = numerics::read_npy(file);
      const auto r = numerics::quantize(id, arr.values, o, !out_file.empty());
      if (!out_file.empty()) numerics::write_npy(out_file, arr.shape, r.dequantized);
      std::vector<std::string> dims;
      for (const auto d : arr.shape) dims.push_back(std::to_string(d));
      if (out_format == "json") {
        nlohmann::ordered_json j;
        j["format"] = std::string(numerics::info(id).name);
        j["file"] = file;
        j["dtype"] = arr.descr;
        j["shape"] = arr.shape;
        j["count"] = r.count;
        j["bias"] = r.bias;
        j["bias_mode"] = automatic ? (block != 0 ? "auto-block" : "auto") : "fixed";
        if (block != 0) {
          j["block"] = block;
          j["bias_min"] = r.bias_min;
          j["bias_max"] = r.bias_max;
        }
        j["denormal"] = std::string(numerics::denormal_scale_name(o.denormal));
        j["rounding"] = std::string(numerics::rounding_name(o.rounding));
        if (o.rounding == numerics::Rounding::stochastic) j["seed"] = o.seed;
        if (std::isfinite(r.sqnr_db))
          j["sqnr_db"] = r.sqnr_db;
        else
          j["sqnr_db"] = nullptr;  // exact: no error
        j["max_abs_error"] = r.max_abs_error;
        j["max_rel_error"] = r.max_rel_error;
        j["overflow_fraction"] = r.overflow_fraction;
        j["underflow_fraction"] = r.underflow_fraction;
        j["nonfinite_count"] = r.count - r.finite_count;
        j["flags"] = numerics::flags_to_string(r.flags);
        std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        fmt::print("file: {} ({}, shape [{}], {} elements)\n", file, arr.descr, core::join(dims, ", "), r.count);
        fmt::print("format: {}  rounding: {}{}  denormal: {}\n", numerics::info(id).name, numerics::rounding_name(o.rounding),
                   o.rounding == numerics::Rounding::stochastic ? fmt::format(" (seed {})", o.seed) : "",
                   numerics::denormal_scale_name(o.denormal));
        if (block != 0)
          fmt::print("bias: {} (auto per block of {}: {}..{})\n", r.bias, block, r.bias_min, r.bias_max);
        else
          fmt::print("bias: {}{}\n", r.bias, automatic ? " (auto)" : "");
        fmt::print("sqnr: {} dB\nmax abs error: {}\nmax rel error: {}\n",
                   std::isfinite(r.sqnr_db) ? fmt::format("{:.2f}", r.sqnr_db) : "inf", num(r.max_abs_error),
                   num(r.max_rel_error));
        fmt::print("overflow fraction: {}\nunderflow fraction: {}\nnon-finite elements: {}\nflags: {}\n",
                   num(r.overflow_fraction), num(r.underflow_fraction), r.count - r.finite_count,
                   numerics::flags_to_string(r.flags));
      }
      return 0;
    };
  });
}

}  // namespace dojosim::cli
