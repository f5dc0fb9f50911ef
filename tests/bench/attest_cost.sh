#!/usr/bin/env bash
# The connection cost of attestation: `pipeline run -n -- true` against a
# plain server (TOFU, key file) and against an attested one (document from
# the NSM stand-in, verified by the client before message 3), interleaved
# run by run, medians and client CPU per connection. Prints figures only;
# never fails on a time. Usage: tests/bench/attest_cost.sh [RUNS]
set -uo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-200}
[ -x build/pipeline ] || scripts/build.sh build >/dev/null
bin=$PWD/build/pipeline
work=$(mktemp -d /dev/shm/pl-attest-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

pcr0=$(printf 'bench image' | sha384sum | cut -d' ' -f1)
/usr/bin/python3 tests/integration/nsm_standin.py --socket "$work/nsm.sock" \
    --root-out "$work/root.pem" --pcr "0=$pcr0" 2>"$work/nsm.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/nsm.sock" ] && [ -f "$work/root.pem" ] && break; sleep 0.05; done

echo "address = \"unix:$work/plain.sock\";" >"$work/plain.conf"
"$bin" -c "$work/plain.conf" listen --key-file "$work/server.key" 2>"$work/plain.log" &
pids+=($!)
printf 'address = "unix:%s/att.sock";\nserver = { attestation_device = "%s/nsm.sock"; };\n' \
    "$work" "$work" >"$work/att.conf"
# The same client without the verified-document cache: every connection
# checks the signature and the chain (what a first connection costs).
{ cat "$work/att.conf"; echo 'attestation = { cache = ""; };'; } >"$work/cold.conf"
"$bin" -c "$work/att.conf" listen 2>"$work/att.log" &
pids+=($!)
for _ in $(seq 100); do
    "$bin" -c "$work/plain.conf" ping -q >/dev/null 2>&1 &&
        "$bin" -c "$work/att.conf" ping -q >/dev/null 2>&1 && break
    sleep 0.05
done

/usr/bin/python3 - "$runs" "$bin" "$work" "$pcr0" <<'PY'
import resource, statistics, subprocess, sys, time
runs, bin_, work, pcr0 = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cases = {
    "plain (TOFU)": [bin_, "-c", f"{work}/plain.conf", "run", "-n", "--", "true"],
    "attested, not verified": [bin_, "-c", f"{work}/att.conf", "run", "-n", "--", "true"],
    "verified, cached chain": [bin_, "-c", f"{work}/att.conf", "run", "-n",
                               "--expect-pcr", f"0={pcr0}",
                               "--attestation-root", f"{work}/root.pem", "--", "true"],
    "verified, no cache": [bin_, "-c", f"{work}/cold.conf", "run", "-n",
                           "--expect-pcr", f"0={pcr0}",
                           "--attestation-root", f"{work}/root.pem", "--", "true"],
}
wall = {k: [] for k in cases}
cpu = {k: 0.0 for k in cases}
for k, argv in cases.items():  # warm up, and check each case works
    subprocess.run(argv, check=True)
for _ in range(runs):
    for k, argv in cases.items():  # interleaved: A, B, C, A, B, C, ...
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        rc = subprocess.run(argv).returncode
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if rc != 0:
            sys.exit(f"{k}: exit {rc}")
        wall[k].append((t1 - t0) * 1000)
        cpu[k] += (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
base = statistics.median(wall["plain (TOFU)"])
base_cpu = cpu["plain (TOFU)"] / runs * 1000
print(f"== connection cost of attestation: run -n -- true, {runs} interleaved runs each")
print(f"  {'case':26} {'median ms':>10} {'p90 ms':>8} {'client CPU ms':>14} {'vs plain':>10}")
for k in cases:
    med = statistics.median(wall[k])
    p90 = statistics.quantiles(wall[k], n=10)[-1]
    c = cpu[k] / runs * 1000
    print(f"  {k:26} {med:10.3f} {p90:8.3f} {c:14.3f} {med - base:+9.3f}ms")
for k in ("verified, cached chain", "verified, no cache"):
    print(f"  added per connection ({k}): {statistics.median(wall[k]) - base:+.3f} ms wall "
          f"(target <= 2 ms), {cpu[k] / runs * 1000 - base_cpu:+.3f} ms client CPU")
PY
