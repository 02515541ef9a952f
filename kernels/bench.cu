// gpuctl bench kernels: HBM bandwidth (copy, read-and-check, write) and an empty kernel for
// launch latency. Built to PTX by kernels/build.py (NVRTC 12.2, compute_80). No CUDA headers.
//
// Every access is 16 bytes (two u64 words) in a grid-stride loop; each thread keeps UNROLL
// accesses in flight per iteration so a modest grid saturates HBM. Buffers must be 16-byte
// aligned (cuMemAlloc gives 256) and hold a whole number of 16-byte vectors.
//
// The pattern: u64 word k of a buffer holds gpuctl_word(seed, k) = seed ^ (k * golden ratio)
// (host reference bench_pattern::word). Each
// word differs from its neighbours and from every other seed's, so zeros, stale data from an
// earlier repetition, dropped writes and writes that landed at the wrong place all fail the
// check word by word (an XOR of the words, the old check, cancels them out).
//
// LAUNCH (write, check): block = (256,1,1); grid = any (x only; a few blocks per SM fill the GPU);
//         dyn smem = 0.
//   gpuctl_bench_write (ulonglong2* p, unsigned long long nvec, unsigned long long seed)
//       writes word k (k = 2 * vector + lane) as gpuctl_word(seed, k).
//   gpuctl_bench_check (const ulonglong2* p, unsigned long long nvec, unsigned long long seed,
//                       unsigned long long* out)
//       reads every word (the hbm_read measurement) and compares it with gpuctl_word(seed, k):
//       out[0] += words that differ; out[1] = max(k + 1) of a differing word (zero out first).
//   gpuctl_bench_copy  (const uint4* src, uint4* dst, unsigned long long nvec)
//       block = (1024,1,1), grid = nvec / 1024 rounded up (capped; it loops if capped).
//   gpuctl_bench_empty ()   does nothing: launch latency.

typedef unsigned long long u64;

#define UNROLL 4

// Word i of a buffer written with `seed` (src/device/bench_pattern.rs::word):
// the seed XOR i times an odd constant. Every word differs from its
// neighbours (the multiply is a bijection), from the same word of another
// repetition (the seed changes) and from zero, which is all a word-by-word
// comparison needs; one multiply keeps the check at memory speed (fmix64's
// three made the verifying read ALU-bound on an H100).
__device__ __forceinline__ u64 gpuctl_word(u64 seed, u64 i)
{
    return seed ^ (i * 0x9E3779B97F4A7C15ull);
}

extern "C" __global__ void gpuctl_bench_write(ulonglong2* p, u64 nvec, u64 seed)
{
    const u64 stride = (u64)gridDim.x * blockDim.x;
    u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x;
    for (; i + (UNROLL - 1) * stride < nvec; i += UNROLL * stride) {
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            const u64 v = i + u * stride;
            p[v] = make_ulonglong2(gpuctl_word(seed, 2 * v), gpuctl_word(seed, 2 * v + 1));
        }
    }
    for (; i < nvec; i += stride)
        p[i] = make_ulonglong2(gpuctl_word(seed, 2 * i), gpuctl_word(seed, 2 * i + 1));
}

extern "C" __global__ void gpuctl_bench_check(const ulonglong2* p, u64 nvec, u64 seed, u64* out)
{
    const u64 stride = (u64)gridDim.x * blockDim.x;
    u64 i = blockIdx.x * (u64)blockDim.x + threadIdx.x;
    u64 bad = 0;
    u64 last = 0;
    for (; i + (UNROLL - 1) * stride < nvec; i += UNROLL * stride) {
        ulonglong2 w[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
            w[u] = p[i + u * stride];
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            const u64 k = 2 * (i + u * stride);
            if (w[u].x != gpuctl_word(seed, k)) { bad++; last = max(last, k + 1); }
            if (w[u].y != gpuctl_word(seed, k + 1)) { bad++; last = max(last, k + 2); }
        }
    }
    for (; i < nvec; i += stride) {
        const ulonglong2 w = p[i];
        if (w.x != gpuctl_word(seed, 2 * i)) { bad++; last = max(last, 2 * i + 1); }
        if (w.y != gpuctl_word(seed, 2 * i + 1)) { bad++; last = max(last, 2 * i + 2); }
    }
    if (bad != 0) {
        atomicAdd(&out[0], bad);
        atomicMax(&out[1], last);
    }
}

// The copy: one uint4 per thread per sweep, launched with a block per 1024 vectors so one
// sweep covers the buffer (the loop only runs when the grid had to be capped). On an H100
// this simplest shape was the fastest of 92 tried (tiles of 2/4/8 per thread, persistent
// grids of 1-32 blocks per SM, read-only and streaming cache hints, blocks of 128-1024):
// 3026-3058 GB/s against cudaMemcpyAsync's 3022-3026 in the same process, where the tile of
// 4 per thread it replaces gave 2974-3001.
extern "C" __global__ void gpuctl_bench_copy(const uint4* __restrict__ src,
                                             uint4* __restrict__ dst, unsigned long long nvec)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < nvec; i += stride)
        dst[i] = src[i];
}

extern "C" __global__ void gpuctl_bench_empty() {}
