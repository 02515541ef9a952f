// gpuctl bench kernels: HBM bandwidth (copy, read-only, write-only) and an empty kernel for
// launch latency. Built to PTX by kernels/build.py (NVRTC 12.2, compute_80). No CUDA headers.
//
// Every access is 16 bytes (uint4) in a grid-stride loop; each thread keeps UNROLL accesses in
// flight per iteration so a modest grid saturates HBM. Buffers must be 16-byte aligned
// (cuMemAlloc gives 256) and hold a whole number of uint4.
//
// LAUNCH: block = (256,1,1) (REQUIRED: the read kernel's reduction assumes 256);
//         grid = any (x only; a few blocks per SM fill the GPU); dyn smem = 0.
//   gpuctl_bench_write (uint4* p, unsigned long long nvec, unsigned int seed)
//       writes u32 word j (j = 4 * vector + lane) as j ^ seed.
//   gpuctl_bench_read  (const uint4* p, unsigned long long nvec, unsigned int* out)
//       *out ^= XOR of every u32 word read (one atomicXor per block; zero *out first).
//       For a buffer written by gpuctl_bench_write, the XOR is closed-form on the host:
//       XOR over j < 4*nvec of (j ^ seed) = XOR of 0..4*nvec-1 (an even count of seeds cancels).
//   gpuctl_bench_copy  (const uint4* src, uint4* dst, unsigned long long nvec)
//       (and _tile8, _tile4nc, _stride4: the same copy in other access orders, for tuning)
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

// Copy in tiles: each block moves blockDim.x * U consecutive uint4 per iteration, thread t
// taking t, t + blockDim.x, ... (every warp access is 512 contiguous bytes), then strides by
// the whole grid. NC: loads through the read-only path, streaming (evict-first) stores.
template <int U, bool NC>
static __device__ __forceinline__ void copy_tiles(const uint4* __restrict__ src,
                                                  uint4* __restrict__ dst,
                                                  unsigned long long nvec)
{
    const unsigned long long tile = (unsigned long long)blockDim.x * U;
    const unsigned long long step = (unsigned long long)gridDim.x * tile;
    for (unsigned long long base = blockIdx.x * tile; base < nvec; base += step) {
        uint4 w[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            const unsigned long long i = base + (unsigned long long)u * blockDim.x + threadIdx.x;
            if (i < nvec)
                w[u] = NC ? __ldg(src + i) : src[i];
        }
#pragma unroll
        for (int u = 0; u < U; u++) {
            const unsigned long long i = base + (unsigned long long)u * blockDim.x + threadIdx.x;
            if (i < nvec) {
                if (NC)
                    __stcs(dst + i, w[u]);
                else
                    dst[i] = w[u];
            }
        }
    }
}

// The copy `bench` reports (tiles of 4 per thread); the variants below are kept for tuning
// (GPUCTL_BENCH_COPY=stride4|tile8|tile4nc).
extern "C" __global__ void gpuctl_bench_copy(const uint4* src, uint4* dst, unsigned long long nvec)
{
    copy_tiles<4, false>(src, dst, nvec);
}

extern "C" __global__ void gpuctl_bench_copy_tile8(const uint4* src, uint4* dst,
                                                   unsigned long long nvec)
{
    copy_tiles<8, false>(src, dst, nvec);
}

extern "C" __global__ void gpuctl_bench_copy_tile4nc(const uint4* src, uint4* dst,
                                                     unsigned long long nvec)
{
    copy_tiles<4, true>(src, dst, nvec);
}

// Grid-stride by the whole grid between a thread's UNROLL accesses.
extern "C" __global__ void gpuctl_bench_copy_stride4(const uint4* src, uint4* dst,
                                                     unsigned long long nvec)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
    for (; i + (UNROLL - 1) * stride < nvec; i += UNROLL * stride) {
        uint4 w[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
            w[u] = src[i + u * stride];
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
            dst[i + u * stride] = w[u];
    }
    for (; i < nvec; i += stride)
        dst[i] = src[i];
}

extern "C" __global__ void gpuctl_bench_empty() {}
