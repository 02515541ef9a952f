#!/usr/bin/env python3
"""Validate and benchmark the committed PTX on a real GPU (needs CuPy, PyTorch, numpy, nvidia-smi).

  python3 kernels/gpu_test.py [--quick] [--power-seconds 20] [--variants kernels/dev]

(a) gpuctl_selftest vs a numpy reimplementation (exact f32 fma emulated via float64 + TwoSum
    correction; math.fma cross-check on a subset when Python >= 3.13) and block_sums vs out.
(b) every GEMM kernel vs torch fp64 matmul of the upcast inputs at 1024^3 and 4096^3 (C poisoned
    with NaN first), plus fill kernels vs a Python hash and torch rounding, compare kernels vs torch.
(c) gpuctl_gemm_bf16 8192^3 TFLOP/s (CUDA events, median of 20 after warm-up) vs torch bf16.
(d) 20 s back-to-back gpuctl_gemm_bf16 and 20 s torch bf16 matmul, average board power from
    `nvidia-smi -lms 500`.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import time
import traceback

import numpy as np
import cupy as cp
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TC = (128, 128, 128, 0)   # (BM, BN, threads, dynamic smem bytes): must match LAUNCH in gemm.cu
RESULTS = []   # (section, name, value, verdict)


def record(section, name, value, ok=None):
    verdict = "" if ok is None else ("PASS" if ok else "FAIL")
    RESULTS.append((section, name, value, verdict))
    print(f"[{section}] {name}: {value} {verdict}", flush=True)


def load(path):
    return cp.RawModule(path=path)


# ----------------------------------------------------------------------------------------- (a)
def selftest_ref(n, iters, seed):
    i = np.arange(n, dtype=np.uint64)
    x = ((np.uint64(seed) ^ ((i * np.uint64(0x9E3779B9)) & np.uint64(0xFFFFFFFF)))
         & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    x[x == 0] = 1
    f = (i & np.uint64(1023)).astype(np.float32) * np.float32(0.001)
    b = np.float64(np.float32(0.999))
    for _ in range(iters):
        x ^= x << np.uint32(13)
        x ^= x >> np.uint32(17)
        x ^= x << np.uint32(5)
        c = (x & np.uint32(0xFF)).astype(np.float32) * np.float32(0.0001)
        p = f.astype(np.float64) * b            # exact (24x24 bits)
        c64 = c.astype(np.float64)
        s = p + c64
        bb = s - p
        e = (p - (s - bb)) + (c64 - bb)         # TwoSum: p + c == s + e exactly
        r = s.astype(np.float32)
        r64 = r.astype(np.float64)
        up = np.nextafter(r, np.float32(np.inf)).astype(np.float64)
        dn = np.nextafter(r, np.float32(-np.inf)).astype(np.float64)
        mid_up = s == (r64 + up) / 2            # s sits exactly between r and its upper neighbour
        mid_dn = s == (r64 + dn) / 2
        # double rounding only matters when s is an exact f32 midpoint and e != 0
        fix_hi = (mid_up & (e > 0)) | (mid_dn & (e > 0))
        fix_lo = (mid_up & (e < 0)) | (mid_dn & (e < 0))
        hi = np.where(mid_up, up, r64)
        lo = np.where(mid_dn, dn, r64)
        out = np.where(fix_hi, hi, np.where(fix_lo, lo, r64)).astype(np.float32)
        f = out
    return x ^ f.view(np.uint32)


def selftest_ref_mathfma(idx, iters, seed):
    out = []
    for i in idx:
        i = int(i)
        x = (seed ^ (i * 0x9E3779B9)) & 0xFFFFFFFF
        if x == 0:
            x = 1
        f = float(np.float32(np.float32(i & 1023) * np.float32(0.001)))
        for _ in range(iters):
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            c = float(np.float32(np.float32(x & 0xFF) * np.float32(0.0001)))
            f = float(np.float32(math.fma(f, float(np.float32(0.999)), c)))
        out.append(x ^ int(np.float32(f).view(np.uint32)))
    return np.array(out, dtype=np.uint32)


def test_selftest():
    mod = load(os.path.join(HERE, "selftest.ptx"))
    k = mod.get_function("gpuctl_selftest")
    n, iters, seed = 65536, 64, 12345
    grid = (n + 255) // 256
    out = cp.zeros(n, dtype=cp.uint32)
    sums = cp.zeros(grid, dtype=cp.uint32)
    k((grid,), (256,), (out, sums, np.uint32(n), np.uint32(iters), np.uint32(seed)))
    cp.cuda.Device().synchronize()
    o = cp.asnumpy(out)
    s = cp.asnumpy(sums)
    ref = selftest_ref(n, iters, seed)
    mism = int((o != ref).sum())
    record("a", "selftest out mismatches vs numpy (exact-fma emulation), n=65536", mism, mism == 0)
    bs = o.reshape(grid, 256).astype(np.uint64).sum(axis=1) & np.uint64(0xFFFFFFFF)
    bad = int((bs.astype(np.uint32) != s).sum())
    record("a", "selftest block_sums inconsistent with out", bad, bad == 0)
    if hasattr(math, "fma"):
        idx = np.arange(0, n, 97)
        r2 = selftest_ref_mathfma(idx, iters, seed)
        m2 = int((o[idx] != r2).sum())
        record("a", f"selftest vs math.fma subset ({len(idx)})", m2, m2 == 0)
    # odd n: partial last block
    n2 = 1000
    out2 = cp.zeros(n2, dtype=cp.uint32)
    sums2 = cp.zeros(4, dtype=cp.uint32)
    k((4,), (256,), (out2, sums2, np.uint32(n2), np.uint32(7), np.uint32(0)))
    o2 = cp.asnumpy(out2)
    ref2 = selftest_ref(n2, 7, 0)
    pad = np.zeros(1024, dtype=np.uint64)
    pad[:n2] = o2
    bs2 = (pad.reshape(4, 256).sum(axis=1) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    ok = bool((o2 == ref2).all() and (bs2 == cp.asnumpy(sums2)).all())
    record("a", "selftest n=1000 iters=7 seed=0 (partial block, x==0 case)", "ok" if ok else "bad", ok)


# ----------------------------------------------------------------------------------------- (b)
def hash64(i, seed):
    M = (1 << 64) - 1
    z = (i * 0x9E3779B97F4A7C15 + seed * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


class Gemm:
    def __init__(self, path, tc=TC, label=""):
        self.mod = load(path)
        self.tc = tc
        self.label = label
        self.k = {}
        for name in ("bf16", "fp16", "tf32", "f32", "f64"):
            self.k[name] = self.mod.get_function("gpuctl_gemm_" + name)
        if tc[3] > 49152:
            for name in ("bf16", "fp16", "tf32"):
                self.k[name].max_dynamic_shared_size_bytes = tc[3]

    def launch(self, name, A, B, C, M, N, K):
        if name in ("bf16", "fp16", "tf32"):
            bm, bn, threads, smem = self.tc
            self.k[name]((N // bn, M // bm), (threads,), (A, B, C, np.int32(M), np.int32(N), np.int32(K)),
                         shared_mem=smem)
        else:
            self.k[name]((N // 128, M // 128), (256,), (A, B, C, np.int32(M), np.int32(N), np.int32(K)))


def fill(mod, kind, arr, seed):
    n = arr.size
    grid = min((n + 255) // 256, 65535)
    mod.get_function("gpuctl_fill_" + kind)((grid,), (256,), (arr, np.uint64(n), np.uint32(seed)))


def to_torch(a, kind):
    if kind in ("bf16", "fp16"):
        t = torch.from_dlpack(a.view(cp.int16))
        return t.view(torch.bfloat16 if kind == "bf16" else torch.float16)
    return torch.from_dlpack(a)


INPUT = {"bf16": ("bf16", cp.uint16), "fp16": ("f16", cp.uint16), "tf32": ("f32", cp.float32),
         "f32": ("f32", cp.float32), "f64": ("f64", cp.float64)}
TOL = {"bf16": 1e-2, "fp16": 1e-2, "tf32": 1e-2, "f32": 1e-4, "f64": 1e-10}


def test_fill_compare(mod):
    n = 1 << 20
    f32 = cp.empty(n, cp.float32); fill(mod, "f32", f32, 7)
    bf = cp.empty(n, cp.uint16); fill(mod, "bf16", bf, 7)
    hf = cp.empty(n, cp.uint16); fill(mod, "f16", hf, 7)
    f64 = cp.empty(n, cp.float64); fill(mod, "f64", f64, 7)
    idx = list(range(0, 64)) + [n - 1, 123457]
    h = cp.asnumpy(f32)
    exp = np.array([np.float32(((hash64(i, 7) >> 40) | 1) * 2.0 ** -23 - 1.0) for i in idx], np.float32)
    ok = bool((h[idx] == exp).all())
    d = cp.asnumpy(f64)
    exp64 = np.array([((hash64(i, 7) >> 11) | 1) * 2.0 ** -52 - 1.0 for i in idx])
    ok64 = bool((d[idx] == exp64).all())
    t32 = torch.from_dlpack(f32)
    okbf = bool(torch.equal(to_torch(bf, "bf16").view(torch.int16), t32.bfloat16().view(torch.int16)))
    okhf = bool(torch.equal(to_torch(hf, "fp16").view(torch.int16), t32.half().view(torch.int16)))
    rng = (float(t32.min()), float(t32.max()), int((t32 == 0).sum()), int((to_torch(hf, "fp16") == 0).sum()),
           int((to_torch(bf, "bf16") == 0).sum()))
    record("b", "fill_f32/f64 == python hash formula", f"{ok}/{ok64}", ok and ok64)
    record("b", "fill_bf16/f16 == torch RNE of fill_f32", f"{okbf}/{okhf}", okbf and okhf)
    record("b", "fill f32 min/max/#zeros f32,f16,bf16", rng, rng[0] >= -1 and rng[1] < 1 and sum(rng[2:]) == 0)
    # compare kernels
    for kind, dt, tol in (("f32", cp.float32, 1e-3), ("f64", cp.float64, 1e-9)):
        ref = cp.random.standard_normal(n).astype(dt)
        c = ref * (1 + cp.random.uniform(-2 * tol, 2 * tol, n).astype(dt))
        c[5] = cp.nan
        c[6] = cp.inf
        mm = cp.zeros(1, cp.uint64); cs = cp.zeros(1, cp.uint64)
        tolv = np.float32(tol) if kind == "f32" else np.float64(tol)
        mod.get_function("gpuctl_compare_" + kind)((min((n + 255) // 256, 65535),), (256,),
                                                  (c, ref, np.uint64(n), tolv, mm, cs))
        cn, rn = cp.asnumpy(c), cp.asnumpy(ref)
        exp_m = int((~(np.abs(cn - rn) <= tolv * np.abs(rn))).sum())
        bits = cn.view(np.uint32 if kind == "f32" else np.uint64).astype(np.uint64)
        exp_s = int(bits.sum(dtype=np.uint64))
        got = (int(mm[0]), int(cs[0]))
        record("b", f"compare_{kind} mismatches/checksum", f"{got[0]} (exp {exp_m})",
               got == (exp_m, exp_s))


def test_gemm(g, fillmod, sizes, names=("bf16", "fp16", "tf32", "f32", "f64")):
    for (M, N, K) in sizes:
        for name in names:
            try:
                fk, dt = INPUT[name]
                A = cp.empty(M * K, dt); fill(fillmod, fk, A, 1)
                B = cp.empty(N * K, dt); fill(fillmod, fk, B, 2)
                cdt = cp.float64 if name == "f64" else cp.float32
                C = cp.full(M * N, cp.nan, cdt)
                g.launch(name, A, B, C, M, N, K)
                cp.cuda.Device().synchronize()
                a64 = to_torch(A, name).double().view(M, K)
                b64 = to_torch(B, name).double().view(N, K)
                ref = a64 @ b64.T
                c = torch.from_dlpack(C).double().view(M, N)
                nan = int(torch.isnan(c).sum())
                err = float(torch.linalg.norm(c - ref) / torch.linalg.norm(ref))
                ok = nan == 0 and err < TOL[name]
                record("b", f"{g.label}gemm_{name} {M}x{N}x{K} rel_fro_err (nan={nan})", f"{err:.3e}", ok)
                del A, B, C, a64, b64, ref, c
            except Exception as e:
                traceback.print_exc()
                record("b", f"gemm_{name} {M}x{N}x{K}", f"ERROR {e}", False)
    cp.get_default_memory_pool().free_all_blocks()
    torch.cuda.empty_cache()


# ----------------------------------------------------------------------------------------- (c)
def time_fn(fn, iters=20, warm=5):
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(iters):
        s, e = cp.cuda.Event(), cp.cuda.Event()
        s.record(); fn(); e.record(); e.synchronize()
        ts.append(cp.cuda.get_elapsed_time(s, e))
    return statistics.median(ts)


def bench(g, fillmod, variants, S=8192):
    flops = 2.0 * S ** 3
    out = {}
    bufs = {}
    for name in ("bf16", "fp16", "tf32", "f32", "f64"):
        fk, dt = INPUT[name]
        A = cp.empty(S * S, dt); fill(fillmod, fk, A, 1)
        B = cp.empty(S * S, dt); fill(fillmod, fk, B, 2)
        C = cp.empty(S * S, cp.float64 if name == "f64" else cp.float32)
        it = 20 if name in ("bf16", "fp16", "tf32") else 5
        ms = time_fn(lambda: g.launch(name, A, B, C, S, S, S), iters=it, warm=2)
        out[name] = flops / ms / 1e9
        record("c", f"gpuctl_gemm_{name} {S}^3 TFLOP/s", f"{out[name]:.1f} ({ms:.2f} ms)")
        if name == "bf16":
            bufs = (A, B, C)
        else:
            del A, B, C
    A, B, C = bufs
    for path, cfg in variants:
        try:
            gv = Gemm(path, cfg)
            ms = time_fn(lambda: gv.launch("bf16", A, B, C, S, S, S))
            record("c", f"variant {os.path.basename(path)} bf16 TFLOP/s", f"{flops / ms / 1e9:.1f}")
        except Exception as e:
            record("c", f"variant {os.path.basename(path)}", f"ERROR {e}", False)
    for tname, tdt in (("bf16", torch.bfloat16), ("fp16", torch.float16)):
        ta = torch.randn(S, S, device="cuda", dtype=tdt)
        tb = torch.randn(S, S, device="cuda", dtype=tdt)
        ms = time_fn(lambda: torch.matmul(ta, tb.T))
        out["torch_" + tname] = flops / ms / 1e9
        record("c", f"torch.matmul {tname} {S}^3 TFLOP/s", f"{out['torch_' + tname]:.1f} ({ms:.2f} ms)")
    record("c", "gpuctl bf16 / torch bf16", f"{out['bf16'] / out['torch_bf16']:.3f}")
    return A, B, C


# ----------------------------------------------------------------------------------------- (d)
def power_run(label, step, seconds):
    cmd = ["nvidia-smi", "--query-gpu=power.draw,clocks.sm,temperature.gpu",
           "--format=csv,noheader,nounits", "-lms", "500", "-i", os.environ.get("GPU_INDEX", "0")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    t0 = time.time()
    n = 0
    while time.time() - t0 < seconds:
        for _ in range(10):
            step()
        n += 10
        cp.cuda.Device().synchronize()
    torch.cuda.synchronize()
    el = time.time() - t0
    p.terminate()
    lines = p.communicate()[0].strip().splitlines()
    rows = []
    for ln in lines:
        try:
            rows.append([float(x) for x in ln.split(",")])
        except ValueError:
            pass
    skip = 6 if len(rows) > 12 else 0  # drop the first ~3 s (ramp-up)
    r = np.array(rows[skip:]) if rows[skip:] else np.zeros((1, 3))
    res = dict(avg_w=r[:, 0].mean(), max_w=r[:, 0].max(), sm_mhz=r[:, 1].mean(), max_c=r[:, 2].max(),
               samples=len(rows), launches=n, secs=el)
    record("d", f"{label} power", f"avg {res['avg_w']:.1f} W (max {res['max_w']:.1f}), SM {res['sm_mhz']:.0f} MHz, "
           f"max {res['max_c']:.0f} C, {res['samples']} samples, {n} launches in {el:.1f}s")
    return res


def fmix64_np(k):
    k = k ^ (k >> np.uint64(33))
    k = k * np.uint64(0xFF51AFD7ED558CCD)
    k = k ^ (k >> np.uint64(33))
    k = k * np.uint64(0xC4CEB9FE1A85EC53)
    return k ^ (k >> np.uint64(33))


def test_checksum_wipe(mod):
    """gpuctl_checksum_mix64 == the numpy (and Rust, verify.rs) model; one flipped bit, and the
    same bit in two words, change it; gpuctl_count_nonzero counts nonzero words."""
    n = (1 << 20) + 3   # odd: exercises the tail loop
    rng = np.random.default_rng(5)
    host = rng.integers(0, 2 ** 63, n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    dev = cp.asarray(host)
    out = cp.zeros(1, cp.uint64)
    k = mod.get_function("gpuctl_checksum_mix64")
    run = lambda d: (out.fill(0), k((132 * 8,), (256,), (d, np.uint64(n), out)), int(out[0]))[2]
    with np.errstate(over="ignore"):
        idx = np.arange(n, dtype=np.uint64)
        exp = int(fmix64_np(host ^ (idx * np.uint64(0x9E3779B97F4A7C15))).sum(dtype=np.uint64))
    got = run(dev)
    record("b", "checksum_mix64 == numpy fmix64 model", f"{got:#x} (exp {exp:#x})", got == exp)
    flipped = dev.copy(); flipped[12345] ^= np.uint64(1 << 7); flipped[999] ^= np.uint64(1 << 7)
    record("b", "checksum_mix64 changes on same-bit flips in two words", "", run(flipped) != got)
    z = cp.zeros(n, cp.uint64); z[7] = 1; z[n - 1] = 5
    cnt = cp.zeros(1, cp.uint64)
    mod.get_function("gpuctl_count_nonzero")((64,), (256,), (z, np.uint64(n), cnt))
    record("b", "count_nonzero counts 2 nonzero words", int(cnt[0]), int(cnt[0]) == 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip 4096^3 checks and the power runs")
    ap.add_argument("--power-seconds", type=float, default=20.0)
    ap.add_argument("--variants", default=None, help="dir with manifest.txt of experimental gemm PTX")
    args = ap.parse_args()
    print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; cupy {cp.__version__}; "
          f"driver {cp.cuda.runtime.driverGetVersion()}", flush=True)
    sections = []
    try:
        test_selftest()
    except Exception as e:
        traceback.print_exc(); record("a", "selftest", f"ERROR {e}", False)
    g = Gemm(os.path.join(HERE, "gemm.ptx"))
    try:
        test_fill_compare(g.mod)
    except Exception as e:
        traceback.print_exc(); record("b", "fill/compare", f"ERROR {e}", False)
    try:
        test_checksum_wipe(g.mod)
    except Exception as e:
        traceback.print_exc(); record("b", "checksum/wipe kernels", f"ERROR {e}", False)
    sizes = [(1024, 1024, 1024), (256, 512, 96)] + ([] if args.quick else [(4096, 4096, 4096)])
    test_gemm(g, g.mod, sizes)
    variants = []
    if args.variants and os.path.exists(os.path.join(args.variants, "manifest.txt")):
        for ln in open(os.path.join(args.variants, "manifest.txt")):
            p = ln.split()
            if len(p) == 5:   # file BM BN threads dyn_smem
                variants.append((os.path.join(args.variants, p[0]), tuple(map(int, p[1:]))))
    for path, cfg in variants:   # quick correctness of each variant
        try:
            gv = Gemm(path, cfg, label=os.path.basename(path) + " ")
            test_gemm(gv, g.mod, [(1024, 1024, 1024)], names=("bf16",))
        except Exception as e:
            record("b", f"variant {path}", f"ERROR {e}", False)
    A = B = C = None
    try:
        A, B, C = bench(g, g.mod, variants)
    except Exception as e:
        traceback.print_exc(); record("c", "bench", f"ERROR {e}", False)
    if not args.quick and A is not None:
        S = 8192
        pw_ours = power_run("gpuctl_gemm_bf16 8192^3", lambda: g.launch("bf16", A, B, C, S, S, S), args.power_seconds)
        ta = torch.randn(S, S, device="cuda", dtype=torch.bfloat16)
        tb = torch.randn(S, S, device="cuda", dtype=torch.bfloat16)
        pw_t = power_run("torch bf16 matmul 8192^3", lambda: torch.matmul(ta, tb.T), args.power_seconds)
        record("d", "power ratio gpuctl/torch", f"{pw_ours['avg_w'] / pw_t['avg_w']:.3f}",
               pw_ours["avg_w"] >= 0.95 * pw_t["avg_w"])
    print("\n==== SUMMARY ====")
    for sec, name, val, verdict in RESULTS:
        print(f"{sec} | {name:<60} | {val} {verdict}")
    fails = sum(1 for r in RESULTS if r[3] == "FAIL")
    print(f"{sum(1 for r in RESULTS if r[3] == 'PASS')} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
