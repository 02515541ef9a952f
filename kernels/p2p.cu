// gpuctl peer-to-peer kernels. Built to PTX by kernels/build.py (NVRTC 12.2, compute_80).
//
// ABI (src/device/cuda_p2p.rs launches these; 64-bit words, n counts words):
//   gpuctl_p2p_fill(u64* buf, u64 n, u64 seed)            buf[i] = mix(seed, i)
//   gpuctl_p2p_verify(const u64* buf, u64 n, u64 seed, u64* out)
//       out[0] += words differing from mix(seed, i); out[1] = max(i + 1) of a differing word
//   gpuctl_p2p_copy(const ulonglong2* src, ulonglong2* dst, u64 n16)   grid-stride copy of
//       16-byte units; dst may be a peer pointer (the SM writes through NVLink / PCIe)
//   gpuctl_p2p_write(volatile u32* dst, u32 value)         one thread, one word (latency)
//   gpuctl_p2p_spin(u64 ns)                                 one thread waits ns (%globaltimer):
//       holds a stream while the host queues the small operations timed behind it
//   gpuctl_p2p_pingpong(volatile u32* mine, volatile u32* peer, u32 iters, u32 first,
//                       u64 timeout_ns, u64* out)
//       Two GPUs bounce a counter through each other's memory; `first` starts. Every wait
//       gives up after timeout_ns (so it can never hang): out[0] = 1 on success, 2 on a
//       timeout; out[1] = nanoseconds for all iterations (%globaltimer).
// LAUNCH: fill/verify/copy any 1-D grid (grid-stride); write/pingpong grid = block = 1.
//
// mix() is murmur3's fmix64 of seed ^ (i * golden ratio): nonlinear per word, so a stale,
// shifted or bit-flipped word never matches (ENGINEERING.md section 8).

typedef unsigned long long u64;
typedef unsigned int u32;

__device__ __forceinline__ u64 gpuctl_mix(u64 seed, u64 i)
{
    u64 z = seed ^ (i * 0x9E3779B97F4A7C15ull);
    z ^= z >> 33;
    z *= 0xff51afd7ed558ccdull;
    z ^= z >> 33;
    z *= 0xc4ceb9fe1a85ec53ull;
    z ^= z >> 33;
    return z;
}

__device__ __forceinline__ u64 gpuctl_globaltimer()
{
    u64 t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

extern "C" __global__ void gpuctl_p2p_fill(u64* buf, u64 n, u64 seed)
{
    u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        buf[i] = gpuctl_mix(seed, i);
    }
}

extern "C" __global__ void gpuctl_p2p_verify(const u64* buf, u64 n, u64 seed, u64* out)
{
    u64 stride = (u64)gridDim.x * blockDim.x;
    u64 bad = 0;
    u64 last = 0;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        if (buf[i] != gpuctl_mix(seed, i)) {
            bad += 1;
            last = i + 1;
        }
    }
    if (bad != 0) {
        atomicAdd(&out[0], bad);
        atomicMax(&out[1], last);
    }
}

extern "C" __global__ void gpuctl_p2p_copy(const ulonglong2* src, ulonglong2* dst, u64 n16)
{
    u64 stride = (u64)gridDim.x * blockDim.x;
    u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    // Four loads in flight per thread before the stores: hides the link latency.
    for (; i + 3 * stride < n16; i += 4 * stride) {
        ulonglong2 a = src[i];
        ulonglong2 b = src[i + stride];
        ulonglong2 c = src[i + 2 * stride];
        ulonglong2 d = src[i + 3 * stride];
        dst[i] = a;
        dst[i + stride] = b;
        dst[i + 2 * stride] = c;
        dst[i + 3 * stride] = d;
    }
    for (; i < n16; i += stride) {
        dst[i] = src[i];
    }
}

extern "C" __global__ void gpuctl_p2p_write(volatile u32* dst, u32 value)
{
    *dst = value;
}

extern "C" __global__ void gpuctl_p2p_spin(u64 ns)
{
    u64 start = gpuctl_globaltimer();
    while (gpuctl_globaltimer() - start < ns) {
    }
}

extern "C" __global__ void gpuctl_p2p_pingpong(volatile u32* mine, volatile u32* peer, u32 iters,
                                               u32 first, u64 timeout_ns, u64* out)
{
    u64 start = gpuctl_globaltimer();
    for (u32 i = 0; i < iters; ++i) {
        u32 ping = 2u * i + 1u;
        u32 pong = 2u * i + 2u;
        if (first) {
            *peer = ping;
            __threadfence_system();
            while (*mine != pong) {
                if (gpuctl_globaltimer() - start > timeout_ns) { out[0] = 2ull; return; }
            }
        } else {
            while (*mine != ping) {
                if (gpuctl_globaltimer() - start > timeout_ns) { out[0] = 2ull; return; }
            }
            *peer = pong;
            __threadfence_system();
        }
    }
    out[1] = gpuctl_globaltimer() - start;
    out[0] = 1ull;
}
