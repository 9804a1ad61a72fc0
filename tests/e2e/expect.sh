#!/usr/bin/env bash
# Usage: expect.sh EXIT_CODE REGEX -- command args...
# Runs the command, checks its exit code and that stdout+stderr match REGEX (grep -P, multi-line).
set -u
want=$1; shift; pattern=$1; shift; [ "$1" = "--" ] && shift
out=$("$@" 2>&1); got=$?
if [ "$got" != "$want" ]; then echo "exit code $got, expected $want"; echo "$out" | head -40; exit 1; fi
if ! printf '%s' "$out" | grep -Pzq -- "$pattern"; then echo "output does not match /$pattern/:"; echo "$out" | head -40; exit 1; fi
exit 0
