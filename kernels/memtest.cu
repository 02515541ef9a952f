// Memory test kernels for `gpuctl memtest`: every word written is read back
// and compared on the GPU; mismatches are counted there and the first
// MT_RECORDS kept with address, expected and actual value.
//
// LAUNCH (ABI, matched by src/device/memtest.rs):
//   gpuctl_memtest_pass(u64 base, u64 n16, u32 mode, u32 descending,
//                       u32 old_kind, u64 o0, u64 o1, u64 o2,
//                       u32 new_kind, u64 n0, u64 n1, u64 n2, u64 log)
//     base: device address of a buffer, 16-byte aligned; n16: its size in
//     16-byte units. mode bit 1: check every word against the old pattern;
//     bit 2: then write the new pattern (both: a fused check-and-write pass).
//     descending: visit the range from the top address down (moving
//     inversions). log: device address of an MtLog (zeroed by the host).
//     Grid-stride, any grid/block; 256 threads per block and 8 blocks per SM
//     keep enough 16-byte accesses in flight to run at HBM speed.
//   gpuctl_memtest_flip(u64 word_address, u64 mask): word ^= mask (fault
//     injection, one thread).
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

extern "C" __global__ void gpuctl_memtest_pass(u64 base, u64 n16, u32 mode, u32 descending,
                                               u32 old_kind, u64 o0, u64 o1, u64 o2,
                                               u32 new_kind, u64 n0, u64 n1, u64 n2, u64 log_addr) {
    ulonglong2* buf = (ulonglong2*)base;
    MtLog* log = (MtLog*)log_addr;
    const bool check = (mode & 1) != 0;
    const bool write = (mode & 2) != 0;
    const u64 threads = (u64)gridDim.x * blockDim.x;
    const u64 tid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    // Moduli: 1 when unused, so the residues stay 0 and cost nothing.
    const u64 om = (old_kind == 4 && o2 > 0) ? o2 : 1;
    const u64 nm = (new_kind == 4 && n2 > 0) ? n2 : 1;
    // Residue of the buffer's first word: one 64-bit division per thread;
    // per word only a 32-bit one (the host keeps n16 below 2^30, m < 2^32).
    const u64 obr = (base >> 3) % om;
    const u64 nbr = (base >> 3) % nm;
    for (u64 first = tid; first < n16; first += threads * MT_UNROLL) {
        u64 idx[MT_UNROLL];
        ulonglong2 got[MT_UNROLL];
#pragma unroll
        for (int u = 0; u < MT_UNROLL; u++) {
            u64 j = first + (u64)u * threads;
            idx[u] = j < n16 ? (descending ? n16 - 1 - j : j) : ~0ULL;
        }
        if (check) {
            // All loads first: MT_UNROLL independent 16-byte reads in flight.
#pragma unroll
            for (int u = 0; u < MT_UNROLL; u++) {
                if (idx[u] != ~0ULL) got[u] = buf[idx[u]];
            }
        }
#pragma unroll
        for (int u = 0; u < MT_UNROLL; u++) {
            if (idx[u] == ~0ULL) continue;
            u64 a = base + idx[u] * 16;
            u32 w2 = (u32)(idx[u] * 2);
            if (check) {
                u64 r0 = (old_kind == 4) ? mod_add(obr, w2 % (u32)om, om) : 0;
                u64 r1 = mod_add(r0, 1, om);
                u64 e0 = pattern_value(old_kind, a, o0, o1, r0);
                u64 e1 = pattern_value(old_kind, a + 8, o0, o1, r1);
                if (got[u].x != e0) record(log, a, e0, got[u].x);
                if (got[u].y != e1) record(log, a + 8, e1, got[u].y);
            }
            if (write) {
                u64 r0 = (new_kind == 4) ? mod_add(nbr, w2 % (u32)nm, nm) : 0;
                u64 r1 = mod_add(r0, 1, nm);
                ulonglong2 v;
                v.x = pattern_value(new_kind, a, n0, n1, r0);
                v.y = pattern_value(new_kind, a + 8, n0, n1, r1);
                buf[idx[u]] = v;
            }
        }
    }
}

extern "C" __global__ void gpuctl_memtest_flip(u64 word_address, u64 mask) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        *(u64*)word_address ^= mask;
    }
}
