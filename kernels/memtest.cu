// Memory test kernels for `gpuctl memtest`: every word written is read back
// and compared on the GPU; mismatches are counted there and the first
// MT_RECORDS kept with address, expected and actual value.
//
// LAUNCH (ABI, matched by src/device/cuda_memtest.rs):
//   gpuctl_memtest_pass(u64 base, u64 n16, u32 mode, u32 descending,
//                       u32 old_kind, u64 o0, u64 o1, u64 o2,
//                       u32 new_kind, u64 n0, u64 n1, u64 n2,
//                       u32 sel, u64 sel_m, u64 sel_k, u64 log)
//   gpuctl_memtest_select(same), gpuctl_memtest_ordered(same): the same
//     sweep specialised for a selection (sel != 0) or the ORDERED walk (mode
//     bit 4), so the common streaming kernel keeps its few registers.
//     base: device address of a buffer, 16-byte aligned; n16: its size in
//     16-byte units (below 2^31). mode bit 1: check every word against the
//     old pattern; bit 2: then write the new pattern (both: a fused
//     check-and-write pass); bit 4: ORDERED, below. descending: visit the
//     range from the top address down. sel: 0 every word; 1 only the words
//     whose index (address / 8) mod sel_m is sel_k; 2 only the others
//     (modulo-N: words not selected are neither read nor written).
//     log: device address of an MtLog (zeroed by the host).
//     Streaming (bit 4 clear): grid-stride, no order inside the sweep;
//     256 threads per block and 8 blocks per SM keep enough 16-byte
//     accesses in flight to run at HBM speed.
//     ORDERED (bit 4 set; moving inversions): each warp owns one contiguous
//     segment of the buffer and walks it in address order (up, or down when
//     descending), one 512-byte step (32 lanes x 16 bytes) at a time: every
//     word of a step is checked, then inverted, before the next step is
//     read. One step in flight per warp; the many warps keep HBM busy.
//     The order is the order accesses leave the SM; written lines reach
//     DRAM when L2 evicts them.
//   gpuctl_memtest_flip(u64 word_address, u64 mask): word ^= mask (fault
//     injection, one thread).
//   L2: the host writes a scratch buffer of 3x the L2 size before every
//   sweep that checks, so dirty lines of the previous sweep are written
//   back and every check reads HBM, also right after a direction reversal.
//
// Pattern kinds, value of the 64-bit word at device address `a` (the same
// function as `memtest::value` on the host, which the simulator and tests
// use):
//   0 CONST:  p0
//   1 WALK:   (1 << (((a >> 3) + p1) & 63)) ^ p0   walking one (p0 = 0) or zero (p0 = ~0)
//   2 ADDR:   a ^ p0                               address in address
//   3 RANDOM: fmix64(a ^ p1) ^ p0                  p1 = seed; regenerated, never copied
//   4 MODULO: ((a >> 3) % p2 == p1) ? p0 : ~p0     modulo-N stride

typedef unsigned long long u64;
typedef unsigned int u32;

#define MT_RECORDS 16
#define MT_UNROLL 4

struct MtRecord {
    u64 address;
    u64 expected;
    u64 actual;
};

struct MtLog {
    u64 count;
    u64 recorded;
    MtRecord rec[MT_RECORDS];
};

__device__ __forceinline__ u64 fmix64(u64 k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

// `r` is (a >> 3) % p2 for MODULO, kept by the caller so no division runs
// per word.
__device__ __forceinline__ u64 pattern_value(u32 kind, u64 a, u64 p0, u64 p1, u64 r) {
    switch (kind) {
    case 0:
        return p0;
    case 1:
        return (1ULL << (((a >> 3) + p1) & 63)) ^ p0;
    case 2:
        return a ^ p0;
    case 3:
        return fmix64(a ^ p1) ^ p0;
    default:
        return (r == p1) ? p0 : ~p0;
    }
}

__device__ __forceinline__ void record(MtLog* log, u64 a, u64 want, u64 got) {
    atomicAdd(&log->count, 1ULL);
    u64 slot = atomicAdd(&log->recorded, 1ULL);
    if (slot < MT_RECORDS) {
        log->rec[slot].address = a;
        log->rec[slot].expected = want;
        log->rec[slot].actual = got;
    }
}

// Residue of word index w modulo m, advanced without division.
__device__ __forceinline__ u64 mod_add(u64 r, u64 d, u64 m) {
    r += d;
    return r >= m ? r - m : r;
}

// Residue of word index (base >> 3) + w modulo m, for w < 2^32.
__device__ __forceinline__ u64 residue(u64 base_res, u64 w, u64 m) {
    return mod_add(base_res, (u32)w % (u32)m, m);
}

// Whether the word with residue r (mod sel_m) takes part in the sweep.
__device__ __forceinline__ bool selected(u32 sel, u64 r, u64 k) {
    return sel == 0 || ((r == k) == (sel == 1));
}

struct Sweep {
    ulonglong2* buf;
    u64 base;
    MtLog* log;
    bool check, write;
    u32 ok, nk, sel;
    u64 o0, o1, n0, n1, sel_k;
    u64 om, nm, sm;
    u64 obr, nbr, sbr;
};

// Selection and pattern residues of unit `idx`'s first word.
template <bool SELECT>
__device__ __forceinline__ void unit_residues(const Sweep& s, u64 idx, u64& rs, u64& ro, u64& rn) {
    u64 w2 = idx * 2;
    rs = SELECT ? residue(s.sbr, w2, s.sm) : 0;
    ro = (s.ok == 4) ? residue(s.obr, w2, s.om) : 0;
    rn = (s.nk == 4) ? residue(s.nbr, w2, s.nm) : 0;
}

// Checks `got` (the unit's value, read when `check`) and writes the new
// pattern, for the selected words of 16-byte unit `idx`.
template <bool SELECT>
__device__ __forceinline__ void check_write(const Sweep& s, u64 idx, ulonglong2 got) {
    u64 rs, ro, rn;
    unit_residues<SELECT>(s, idx, rs, ro, rn);
    const bool s0 = !SELECT || selected(s.sel, rs, s.sel_k);
    const bool s1 = !SELECT || selected(s.sel, mod_add(rs, 1, s.sm), s.sel_k);
    const u64 a = s.base + idx * 16;
    if (s.check) {
        u64 e0 = pattern_value(s.ok, a, s.o0, s.o1, ro);
        u64 e1 = pattern_value(s.ok, a + 8, s.o0, s.o1, mod_add(ro, 1, s.om));
        if (s0 && got.x != e0) record(s.log, a, e0, got.x);
        if (s1 && got.y != e1) record(s.log, a + 8, e1, got.y);
    }
    if (s.write) {
        ulonglong2 v;
        v.x = pattern_value(s.nk, a, s.n0, s.n1, rn);
        v.y = pattern_value(s.nk, a + 8, s.n0, s.n1, mod_add(rn, 1, s.nm));
        if (s0 && s1) {
            s.buf[idx] = v;
        } else if (s0) {
            ((u64*)(s.buf + idx))[0] = v.x;
        } else if (s1) {
            ((u64*)(s.buf + idx))[1] = v.y;
        }
    }
}

// Reads the selected words of unit `idx` (the others stay unread).
template <bool SELECT>
__device__ __forceinline__ ulonglong2 load_unit(const Sweep& s, u64 idx) {
    if (!SELECT) return s.buf[idx];
    u64 rs, ro, rn;
    unit_residues<SELECT>(s, idx, rs, ro, rn);
    ulonglong2 got = make_ulonglong2(0, 0);
    const u64* w = (const u64*)(s.buf + idx);
    if (selected(s.sel, rs, s.sel_k)) got.x = w[0];
    if (selected(s.sel, mod_add(rs, 1, s.sm), s.sel_k)) got.y = w[1];
    return got;
}

#define MT_PARAMS                                                                             \
    u64 base, u64 n16, u32 mode, u32 descending, u32 old_kind, u64 o0, u64 o1, u64 o2,        \
        u32 new_kind, u64 n0, u64 n1, u64 n2, u32 sel, u64 sel_m, u64 sel_k, u64 log_addr
#define MT_ARGS \
    base, n16, mode, descending, old_kind, o0, o1, o2, new_kind, n0, n1, n2, sel, sel_m, sel_k, log_addr

// The sweep, specialised per entry point so each keeps only the registers
// its own path needs (occupancy is what keeps HBM busy).
template <bool ORDERED, bool SELECT>
__device__ __forceinline__ void sweep(MT_PARAMS) {
    Sweep s;
    s.buf = (ulonglong2*)base;
    s.base = base;
    s.log = (MtLog*)log_addr;
    s.check = (mode & 1) != 0;
    s.write = (mode & 2) != 0;
    s.ok = old_kind;
    s.nk = new_kind;
    s.sel = (SELECT && sel_m > 0 && sel <= 2) ? sel : 0;
    s.o0 = o0;
    s.o1 = o1;
    s.n0 = n0;
    s.n1 = n1;
    s.sel_k = sel_k;
    // Moduli: 1 when unused, so the residues stay 0 and cost nothing.
    s.om = (old_kind == 4 && o2 > 0) ? o2 : 1;
    s.nm = (new_kind == 4 && n2 > 0) ? n2 : 1;
    s.sm = (SELECT && s.sel) ? sel_m : 1;
    // Residues of the buffer's first word: one 64-bit division each per
    // thread; per word only 32-bit ones (n16 < 2^31, m < 2^32).
    s.obr = (base >> 3) % s.om;
    s.nbr = (base >> 3) % s.nm;
    s.sbr = SELECT ? (base >> 3) % s.sm : 0;
    const u64 threads = (u64)gridDim.x * blockDim.x;
    const u64 tid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const ulonglong2 none = make_ulonglong2(0, 0);
    if constexpr (ORDERED) {
        // Warp w walks steps [first, last) of 32 units each, in order.
        const u64 lane = threadIdx.x & 31;
        const u64 warps = (threads + 31) / 32;
        const u64 warp = tid / 32;
        const u64 steps = (n16 + 31) / 32;
        const u64 per = (steps + warps - 1) / warps;
        const u64 first = warp * per;
        const u64 last = first + per < steps ? first + per : steps;
        for (u64 i = first; i < last; i++) {
            u64 step = descending ? last - 1 - (i - first) : i;
            u64 idx = step * 32 + lane;
            if (idx >= n16) continue;
            ulonglong2 got = s.check ? load_unit<SELECT>(s, idx) : none;
            check_write<SELECT>(s, idx, got);
        }
    } else {
    for (u64 first = tid; first < n16; first += threads * MT_UNROLL) {
        u64 idx[MT_UNROLL];
        ulonglong2 got[MT_UNROLL];
#pragma unroll
        for (int u = 0; u < MT_UNROLL; u++) {
            u64 j = first + (u64)u * threads;
            idx[u] = j < n16 ? (descending ? n16 - 1 - j : j) : ~0ULL;
            got[u] = none;
        }
        if (s.check) {
            // All loads first: MT_UNROLL independent 16-byte reads in flight.
#pragma unroll
            for (int u = 0; u < MT_UNROLL; u++) {
                if (idx[u] != ~0ULL) got[u] = load_unit<SELECT>(s, idx[u]);
            }
        }
#pragma unroll
        for (int u = 0; u < MT_UNROLL; u++) {
            if (idx[u] != ~0ULL) check_write<SELECT>(s, idx[u], got[u]);
        }
    }
    }
}

// Streaming over every word (sel ignored, mode bit 4 ignored).
extern "C" __global__ void gpuctl_memtest_pass(MT_PARAMS) { sweep<false, false>(MT_ARGS); }

// Streaming over the selected words (modulo-N).
extern "C" __global__ void gpuctl_memtest_select(MT_PARAMS) { sweep<false, true>(MT_ARGS); }

// ORDERED: each warp walks its segment in address order (sel ignored).
// Launch bounds: 32 registers, so 8 blocks of 256 stay resident per SM
// (one step in flight per warp: every warp counts).
extern "C" __global__ void __launch_bounds__(256, 8) gpuctl_memtest_ordered(MT_PARAMS) { sweep<true, false>(MT_ARGS); }

extern "C" __global__ void gpuctl_memtest_flip(u64 word_address, u64 mask) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        *(u64*)word_address ^= mask;
    }
}
