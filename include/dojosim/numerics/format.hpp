// Number formats of the numerics module: FP32, BF16, FP16, OCP FP8 E4M3/E5M2, and Dojo's
// configurable formats CFloat8_1_4_3, CFloat8_1_5_2, SHP and UHP (Tesla whitepaper "A Guide
// to Tesla's Configurable Floating Point Formats & Arithmetic", 2021; hardware_facts.md §4).
//
// A code is the format's bit pattern in the low `bits` bits of a std::uint32_t, sign in the
// top bit (formats without a sign have none). Values are
//   normal   (E != 0):  (-1)^s × 1.m × 2^(E − bias)
//   denormal (E == 0):  (-1)^s × 0.m × 2^(1 − bias)   (DenormalScale::ieee, the default)
//                       (-1)^s × 0.m × 2^(−bias)      (DenormalScale::whitepaper)
// and the all-ones exponent is
//   - an ordinary number in the Dojo formats (no Inf, no NaN: CFloat8, SHP, UHP);
//   - Inf (m == 0) or NaN (m != 0) in FP32, BF16, FP16 and OCP E5M2;
//   - an ordinary number in OCP E4M3 except S.1111.111, which is NaN (no Inf; max 448).
//
// Contract: every value of every format (at every allowed bias) is exactly representable
// in FP32, so decoding is exact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dojosim::numerics {

enum class FormatId : std::uint8_t {
  cfloat8_1_4_3,
  cfloat8_1_5_2,
  shp,
  uhp,
  bf16,
  fp16,
  fp8_e4m3,
  fp8_e5m2,
  fp32,
};

// How the all-ones exponent is used.
enum class Specials : std::uint8_t {
  none,  // every code is a finite number (Dojo formats)
  ieee,  // all-ones exponent: Inf if m == 0, NaN otherwise
  e4m3,  // only S.1111.111 is NaN; no Inf (OCP FP8 E4M3)
};

// Scale of denormals (E == 0) in the Dojo formats. The whitepaper writes 0.m × 2^−bias;
// IEEE 754 (and OCP FP8, LoFloat, Universal) use 0.m × 2^(1−bias). The default is ieee:
// with it the denormal spacing equals the spacing of the lowest normal binade, which is
// what "gradual underflow" (whitepaper p6) means; the literal reading leaves a hole
// between 0.875·2^−bias and 2^(1−bias) with no representable value (docs/numerics.md).
enum class DenormalScale : std::uint8_t { ieee, whitepaper };

struct FormatInfo {
  FormatId id;
  std::string_view name;  // CLI name, lower case
  int bits;
  int sign_bits;  // 0 or 1
  int exp_bits;
  int man_bits;  // stored mantissa bits
  int default_bias;
  int min_bias;  // == max_bias when the bias is fixed
  int max_bias;
  Specials specials;
  bool dojo;  // a Dojo format: denormal scale is switchable, overflow always saturates
  std::string_view description;
};

// All formats in listing order.
const std::vector<FormatInfo>& format_infos();
const FormatInfo& info(FormatId id);
std::vector<std::string> format_names();
// Case-insensitive; throws core::InputError with a "did you mean" suggestion.
FormatId parse_format(std::string_view name);
DenormalScale parse_denormal_scale(std::string_view name);  // "ieee" | "whitepaper"
std::string_view denormal_scale_name(DenormalScale d);

// Bytes one stored element occupies (for the performance model's memory accounting).
double bytes_per_element(FormatId id);

// A format at one bias with one denormal convention. Cheap value type.
class Format {
 public:
  explicit Format(FormatId id);  // default bias, ieee denormals
  // Throws core::InputError if the bias is outside the format's range, or if a
  // whitepaper denormal scale is asked of a non-Dojo format.
  Format(FormatId id, int bias, DenormalScale denormal = DenormalScale::ieee);

  [[nodiscard]] FormatId id() const { return id_; }
  [[nodiscard]] const FormatInfo& info() const { return numerics::info(id_); }
  [[nodiscard]] std::string_view name() const { return info().name; }
  [[nodiscard]] int bias() const { return bias_; }
  [[nodiscard]] DenormalScale denormal_scale() const { return denormal_; }
  [[nodiscard]] int bits() const { return info().bits; }
  [[nodiscard]] int exp_bits() const { return info().exp_bits; }
  [[nodiscard]] int man_bits() const { return info().man_bits; }
  [[nodiscard]] bool is_signed() const { return info().sign_bits == 1; }
  [[nodiscard]] std::uint64_t code_count() const { return std::uint64_t{1} << bits(); }

  // Exponent of the denormal scale: 1 − bias (ieee) or −bias (whitepaper).
  [[nodiscard]] int denormal_exponent() const;
  [[nodiscard]] std::uint32_t sign_mask() const;        // 0 for unsigned formats
  [[nodiscard]] std::uint32_t max_finite_code() const;  // positive
  [[nodiscard]] double max_finite() const;
  [[nodiscard]] double min_normal() const;
  [[nodiscard]] double min_denormal() const;

  friend bool operator==(const Format&, const Format&) = default;

 private:
  FormatId id_;
  int bias_;
  DenormalScale denormal_;
};

enum class CodeClass : std::uint8_t { zero, denormal, normal, inf, nan };
std::string_view class_name(CodeClass c);
CodeClass classify(const Format& f, std::uint32_t code);
// The exact value of a code (NaN for NaN codes, ±Inf for Inf codes).
double decode(const Format& f, std::uint32_t code);
// "s.eeee.mmm" (sign omitted for unsigned formats).
std::string code_bits(const Format& f, std::uint32_t code);

}  // namespace dojosim::numerics
