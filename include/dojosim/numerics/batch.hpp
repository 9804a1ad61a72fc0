// Fast batch conversion FP32 <-> format (the hot path of quantisation studies).
//
// Contract: results are bit-identical to the scalar from_float/to_float of convert.hpp
// (element i of a stochastic batch uses stochastic_bits(options.seed, first_index + i)).
// Spans must have equal sizes (else std::invalid_argument); `out` may not alias `in`.
// The RNE encoder is a branch-free integer/float kernel the compiler vectorises; on x86-64
// it is also compiled for AVX2 and AVX-512 and picked at run time. Decoding of 8-bit
// formats is a 256-entry table lookup.
#pragma once

#include <cstdint>
#include <span>

#include "dojosim/numerics/convert.hpp"

namespace dojosim::numerics {

// For formats of up to 8 bits.
void encode(const Format& f, std::span<const float> in, std::span<std::uint8_t> out, const ConvertOptions& options = {},
            unsigned* flags = nullptr, std::uint64_t first_index = 0);
void decode(const Format& f, std::span<const std::uint8_t> in, std::span<float> out, unsigned* flags = nullptr);
// For formats of up to 16 bits.
void encode(const Format& f, std::span<const float> in, std::span<std::uint16_t> out, const ConvertOptions& options = {},
            unsigned* flags = nullptr, std::uint64_t first_index = 0);
void decode(const Format& f, std::span<const std::uint16_t> in, std::span<float> out, unsigned* flags = nullptr);
// Any format: FP32 -> format -> FP32 (what a value becomes when stored in `f`).
void round_trip(const Format& f, std::span<const float> in, std::span<float> out, const ConvertOptions& options = {},
                unsigned* flags = nullptr, std::uint64_t first_index = 0);

}  // namespace dojosim::numerics
