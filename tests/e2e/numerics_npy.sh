#!/usr/bin/env bash
# Usage: numerics_npy.sh DOJOSIM WORKDIR
# Writes .npy files with NumPy (float32 little-endian, float16 big-endian), runs
# `dojosim numerics quantize` on them and checks the report; for fp16 the dequantised
# tensor must equal NumPy's own float16 rounding bit for bit. Fails, naming the package, without numpy (scripts/bootstrap installs python3-numpy).
set -eu
dojosim=$1; work=$2
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import numpy' 2>/dev/null; then echo "numpy not available: install Debian package 'python3-numpy' (scripts/bootstrap)"; exit 1; fi
mkdir -p "$work"
"$py" - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
rng = np.random.default_rng(7)
np.save(f"{w}/normal_f4.npy", rng.standard_normal((64, 128)).astype(np.float32))
np.save(f"{w}/wide_f4.npy", (rng.standard_normal(5000) * 1e4).astype(np.float32))
np.save(f"{w}/big_f2.npy", rng.standard_normal((10, 10)).astype(">f2"))
PY
out=$("$dojosim" numerics quantize cfloat8_1_4_3 "$work/normal_f4.npy" --format json)
echo "$out"
"$py" - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["format"] == "cfloat8_1_4_3" and r["count"] == 64 * 128 and r["shape"] == [64, 128], r
assert r["bias_mode"] == "auto" and 0 <= r["bias"] <= 63, r
# 3 mantissa bits: SQNR of a Gaussian in CFloat8_1_4_3 is about 6.02*4 + ~6 dB.
assert 20 < r["sqnr_db"] < 40, r
# Auto bias: no overflow; the largest error is at most half an ulp of the top binade.
assert r["overflow_fraction"] == 0 and r["max_abs_error"] < 0.5, r
PY
# Stochastic rounding is reproducible for a seed.
a=$("$dojosim" numerics quantize cfloat8_1_5_2 "$work/wide_f4.npy" --rounding stochastic --seed 3 --format json)
b=$("$dojosim" numerics quantize cfloat8_1_5_2 "$work/wide_f4.npy" --rounding stochastic --seed 3 --format json)
[ "$a" = "$b" ] || { echo "stochastic rounding not reproducible"; exit 1; }
# A fixed bias too small for the data overflows; the text report says so.
"$dojosim" numerics quantize cfloat8_1_4_3 "$work/wide_f4.npy" --bias 20 | tee /dev/stderr | grep -Eq "^overflow fraction: (1|0\.[0-9]+)$"
# Big-endian float16 input; fp16 quantisation must reproduce NumPy's float16 exactly.
"$dojosim" numerics quantize fp16 "$work/normal_f4.npy" --output "$work/fp16_out.npy" >/dev/null
"$dojosim" numerics quantize e4m3 "$work/big_f2.npy" >/dev/null 2>&1 && { echo "typo accepted"; exit 1; }
"$dojosim" numerics quantize fp8_e4m3 "$work/big_f2.npy" --format json >/dev/null
"$py" - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
x = np.load(f"{w}/normal_f4.npy")
q = np.load(f"{w}/fp16_out.npy")
assert q.dtype == np.float32 and q.shape == x.shape
assert np.array_equal(q, x.astype(np.float16).astype(np.float32)), "fp16 rounding differs from numpy"
PY
echo "ok"
