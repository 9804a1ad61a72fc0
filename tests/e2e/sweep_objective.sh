#!/bin/sh
# A sweep with objective: cost stores the cost-optimal plan of `dojosim search` for each
# point, for a transformer and a vision network alike.
set -eu
exe=$1 space=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$exe" sweep "$space" --db "$work/o.sqlite" >/dev/null
"$exe" sweep --export csv --db "$work/o.sqlite" --out "$work/o.csv"
grep -q "cost-optimal plan of dojosim search" "$work/o.csv" || { echo "no search note in the export"; cat "$work/o.csv"; exit 1; }
[ "$(grep -c ',ok,' "$work/o.csv")" = 2 ] || { echo "expected 2 ok points"; cat "$work/o.csv"; exit 1; }
# The llama2-7b point equals `dojosim search --objective cost`'s best plan.
spec=$("$exe" search --system dgx-a100:nodes=2 --model llama2-7b --objective cost --top 1 --format json 2>/dev/null |
       /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin)['ranked'][0]['result']['strategy']; print(','.join(f'{k}={str(s[k]).lower()}' for k in ['tp','pp','dp','cp','ep','vp','mbs','gbs','sp','zero','recompute']))")
grep -q "$spec" "$work/o.csv" || { echo "sweep plan differs from search: $spec"; cat "$work/o.csv"; exit 1; }
echo ok
