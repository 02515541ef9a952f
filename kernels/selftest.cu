// gpuctl self-test kernel. Built to PTX by kernels/build.py (NVRTC 12.2, compute_80, --fmad=false).
//
// ABI (the Rust host replicates this bit-exactly with f32::mul_add and wrapping u32 ops):
//   extern "C" __global__ void gpuctl_selftest(unsigned int* out, unsigned int* block_sums,
//                                              unsigned int n, unsigned int iters, unsigned int seed)
// LAUNCH: block = (256,1,1) (REQUIRED: the reduction assumes 256), grid = (ceil(n/256),1,1),
//         no dynamic shared memory (1 KiB static). out has n elements, block_sums has grid.x.
//
// For each thread i = blockIdx.x*256 + threadIdx.x with i < n:
//   x = seed ^ (i * 0x9E3779B9u)  (wrapping); if x == 0 then x = 1
//   f = (float)(i & 1023u) * 0.001f
//   repeat iters times:
//     x ^= x << 13; x ^= x >> 17; x ^= x << 5;
//     f = fmaf(f, 0.999f, (float)(x & 0xFFu) * 0.0001f)   // product rounded to f32 first, then one fused fma
//   out[i] = x ^ __float_as_uint(f)
// block_sums[blockIdx.x] = wrapping u32 sum of out[i] over the block's threads with i < n
//                          (shared-memory tree reduction; addition mod 2^32 is order-independent).

extern "C" __global__ void __launch_bounds__(256)
gpuctl_selftest(unsigned int* out, unsigned int* block_sums, unsigned int n, unsigned int iters,
                unsigned int seed)
{
    __shared__ unsigned int partial[256];
    const unsigned int tid = threadIdx.x;
    const unsigned int i = blockIdx.x * blockDim.x + tid;
    unsigned int v = 0u;
    if (i < n) {
        unsigned int x = seed ^ (i * 0x9E3779B9u);
        if (x == 0u) x = 1u;
        float f = (float)(i & 1023u) * 0.001f;
        for (unsigned int k = 0; k < iters; ++k) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            f = fmaf(f, 0.999f, (float)(x & 0xFFu) * 0.0001f);
        }
        v = x ^ __float_as_uint(f);
        out[i] = v;
    }
    partial[tid] = v;
    __syncthreads();
    for (unsigned int s = 128; s > 0; s >>= 1) {
        if (tid < s) partial[tid] += partial[tid + s];
        __syncthreads();
    }
    if (tid == 0) block_sums[blockIdx.x] = partial[0];
}
