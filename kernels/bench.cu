// gpuctl bench kernels: HBM bandwidth (copy, read-only, write-only) and an empty kernel for
// launch latency. Built to PTX by kernels/build.py (NVRTC 12.2, compute_80). No CUDA headers.
//
// Every access is 16 bytes (uint4) in a grid-stride loop; each thread keeps UNROLL accesses in
// flight per iteration so a modest grid saturates HBM. Buffers must be 16-byte aligned
// (cuMemAlloc gives 256) and hold a whole number of uint4.
//
// LAUNCH (write, read): block = (256,1,1) (REQUIRED: the read kernel's reduction assumes 256);
//         grid = any (x only; a few blocks per SM fill the GPU); dyn smem = 0.
//   gpuctl_bench_write (uint4* p, unsigned long long nvec, unsigned int seed)
//       writes u32 word j (j = 4 * vector + lane) as j ^ seed.
//   gpuctl_bench_read  (const uint4* p, unsigned long long nvec, unsigned int* out)
//       *out ^= XOR of every u32 word read (one atomicXor per block; zero *out first).
//       For a buffer written by gpuctl_bench_write, the XOR is closed-form on the host:
//       XOR over j < 4*nvec of (j ^ seed) = XOR of 0..4*nvec-1 (an even count of seeds cancels).
//   gpuctl_bench_copy  (const uint4* src, uint4* dst, unsigned long long nvec)
//       block = (1024,1,1), grid = nvec / 1024 rounded up (capped; it loops if capped).
//   gpuctl_bench_empty ()   does nothing: launch latency.

#define UNROLL 4

extern "C" __global__ void gpuctl_bench_write(uint4* p, unsigned long long nvec, unsigned int seed)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
    for (; i + (UNROLL - 1) * stride < nvec; i += UNROLL * stride) {
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            const unsigned long long v = i + u * stride;
            const unsigned int w = (unsigned int)(v << 2);
            p[v] = make_uint4(w ^ seed, (w + 1) ^ seed, (w + 2) ^ seed, (w + 3) ^ seed);
        }
    }
    for (; i < nvec; i += stride) {
        const unsigned int w = (unsigned int)(i << 2);
        p[i] = make_uint4(w ^ seed, (w + 1) ^ seed, (w + 2) ^ seed, (w + 3) ^ seed);
    }
}

extern "C" __global__ void gpuctl_bench_read(const uint4* p, unsigned long long nvec,
                                             unsigned int* out)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
    unsigned int x = 0;
    for (; i + (UNROLL - 1) * stride < nvec; i += UNROLL * stride) {
        uint4 w[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
            w[u] = p[i + u * stride];
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
            x ^= w[u].x ^ w[u].y ^ w[u].z ^ w[u].w;
    }
    for (; i < nvec; i += stride) {
        const uint4 w = p[i];
        x ^= w.x ^ w.y ^ w.z ^ w.w;
    }
    for (int o = 16; o > 0; o >>= 1)
        x ^= __shfl_xor_sync(0xffffffffu, x, o);
    __shared__ unsigned int warp_x[8];
    if ((threadIdx.x & 31) == 0)
        warp_x[threadIdx.x >> 5] = x;
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned int b = 0;
        for (int k = 0; k < 8; k++)
            b ^= warp_x[k];
        atomicXor(out, b);
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
