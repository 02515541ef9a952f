// gpuctl built-in burn-in GEMM kernels (tensor cores via mma.sync, sm_80+; runs on Hopper via
// PTX JIT). Built to PTX by kernels/build.py (NVRTC 12.2, compute_80, --fmad=false: every
// multiply-add below is an explicit fmaf()/fma() or an mma instruction). No CUDA headers.
//
// Layouts ("TN"): A is [M x K] row-major, B is stored [N x K] row-major (both K-contiguous),
// C is [M x N] row-major. C = A * B^T, i.e. C[m][n] = sum_k A[m][k] * B[n][k].
// bf16/f16 are passed as their raw 16-bit patterns (unsigned short). Pointers must be
// 16-byte aligned (cuMemAlloc gives 256).
//
// LAUNCH: (all blocks 1-D in x; grids 2-D (x, y); dyn smem = dynamic shared memory bytes)
//   gpuctl_gemm_bf16 / gpuctl_gemm_fp16 / gpuctl_gemm_tf32
//       (A, B, C, int M, int N, int K)        A, B: unsigned short (bf16/f16 bits) or float (tf32)
//       block = (128,1,1); grid = (N/128, M/128, 1)
//       dyn smem = 0 (48 KiB = 49152 bytes of STATIC shared memory; no attribute to set).
//       Block tile 128x128, 4 warps of 64x64, 3-stage cp.async pipeline, 2 blocks/SM.
//       constraints: M % 128 == 0, N % 128 == 0, K % 32 == 0 (bf16/fp16), K % 16 == 0 (tf32),
//                    M, N, K > 0 (offsets are computed in size_t: no 2^31-element limit).
//       tf32 rounds A and B with cvt.rna.tf32.f32 (round-to-nearest, ties away) before the mma.
//       C is fully overwritten (no beta); fp32 accumulation.
//   gpuctl_gemm_f32 / gpuctl_gemm_f64   (A, B, C, int M, int N, int K)   SIMT FMA, no tensor cores
//       block = (256,1,1); grid = (N/128, M/128, 1); dyn smem = 0 (static 16.5 / 33 KiB)
//       constraints: M % 128 == 0, N % 128 == 0, K % 8 == 0, M, N, K > 0
//   gpuctl_fill_bf16 / _f16 / _f32 / _f64   (T* p, unsigned long long n, unsigned int seed)
//       block = (256,1,1); grid = (min(ceil(n/256), 65535), 1, 1) (grid-stride loop: any grid works)
//       dyn smem = 0. T = unsigned short / unsigned short / float / double.
//   gpuctl_compare_f32 (const float* c, const float* ref, unsigned long long n, float rel_tol,
//                       unsigned long long* mismatches, unsigned long long* checksum)
//   gpuctl_compare_f64 (const double* c, const double* ref, unsigned long long n, double rel_tol,
//                       unsigned long long* mismatches, unsigned long long* checksum)
//       block = (256,1,1) (REQUIRED: block reduction assumes 256);
//       grid = (min(ceil(n/256), 65535), 1, 1) (grid-stride loop); dyn smem = 0.
//       Zero *mismatches and *checksum before the launch; both are accumulated with atomicAdd.
//   gpuctl_checksum_mix64 (const unsigned long long* p, unsigned long long nwords, unsigned long long* out)
//       *out += wrapping u64 sum over 64-bit words i of fmix64(p[i] ^ (i * GOLDEN)) (see below);
//       p must be 16-byte aligned. block = (256,1,1) (REQUIRED: block reduction assumes 256);
//       grid = any (grid-stride loop; 8 * SM count fills the GPU); dyn smem = 0.
//       Zero *out before the launch; at most one atomicAdd per block.
//   gpuctl_count_nonzero (const unsigned long long* p, unsigned long long nwords, unsigned long long* out)
//       *out += number of nonzero 64-bit words. block = (256,1,1) (REQUIRED); grid = any; smem = 0.
//
// fill value for element i: h = hash64(i, seed) (see fill_hash below);
//   f32/bf16/f16: v = (float)((unsigned)(h >> 40) | 1u) * 2^-23 - 1.0f  (exact, in [-1,1), never 0)
//                 bf16/f16 = v rounded to nearest-even in software (bit-identical to torch's
//                 .bfloat16() / .half() of the f32 value; verified by gpu_test.py)
//   f64:          v = (double)((h >> 11) | 1) * 2^-52 - 1.0      (exact, in [-1,1), never 0)
// compare: mismatch iff !(fabs(c - ref) <= rel_tol * fabs(ref)) (NaN counts);
//          checksum += wrapping u64 sum of the bit patterns of c (u32 zero-extended for f32).

#define DEVI static __device__ __forceinline__

// ---------------------------------------------------------------------------------------------
// Tensor-core GEMM configuration (can be overridden with -D for experiments; the committed PTX
// uses the defaults and the LAUNCH notes above describe them). Block = (BM/WM)*(BN/WN)*32
// threads, grid = (N/BN, M/BM); a tile over 48 KiB switches to dynamic shared memory of
// GEMM_TC_SMEM bytes, which then needs CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
#ifndef GEMM_TC_BM
#define GEMM_TC_BM 128      // block tile rows (M)
#endif
#ifndef GEMM_TC_BN
#define GEMM_TC_BN 128      // block tile cols (N)
#endif
#ifndef GEMM_TC_BKB
#define GEMM_TC_BKB 64      // bytes of K per stage per row: 32 bf16/f16 or 16 tf32 elements
#endif
#ifndef GEMM_TC_WM
#define GEMM_TC_WM 64       // warp tile rows
#endif
#ifndef GEMM_TC_WN
#define GEMM_TC_WN 64       // warp tile cols
#endif
#ifndef GEMM_TC_STAGES
#define GEMM_TC_STAGES 3    // cp.async pipeline depth
#endif
#ifndef GEMM_TC_MINB
#define GEMM_TC_MINB 2      // min blocks per SM for __launch_bounds__
#endif
#define GEMM_TC_THREADS ((GEMM_TC_BM / GEMM_TC_WM) * (GEMM_TC_BN / GEMM_TC_WN) * 32)
#define GEMM_TC_SMEM (GEMM_TC_STAGES * (GEMM_TC_BM + GEMM_TC_BN) * GEMM_TC_BKB)

DEVI unsigned smem_addr(const void* p)
{
    unsigned long long a;
    asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"(p));
    return (unsigned)a;
}

DEVI void cp_async16(unsigned saddr, const void* gptr)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(saddr), "l"(gptr));
}
DEVI void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> DEVI void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

DEVI void ldmatrix_x4(unsigned (&r)[4], unsigned saddr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(saddr));
}

DEVI unsigned to_tf32(unsigned x)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(__uint_as_float(x)));
    return r;
}

// MODE: 0 = bf16, 1 = f16, 2 = tf32
template <int MODE>
DEVI void mma_tc(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1)
{
    if (MODE == 0) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                     "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    } else if (MODE == 1) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                     "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    } else {
        asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                     "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
}

// Shared memory per stage: A tile [BM rows][BKB bytes] then B tile [BN rows][BKB bytes], each row
// split into 16-byte chunks whose index is XOR-swizzled so that ldmatrix (8 rows x 16 bytes) and
// cp.async stores are bank-conflict-free: phys_chunk = chunk ^ ((row / RPL) % CPR).
// One mma k-step consumes 32 bytes of K per row (16 bf16/f16 or 8 tf32 elements) and ldmatrix
// yields exactly the mma fragment layout for both element sizes.
template <int MODE, int BM, int BN, int BKB, int WM, int WN, int STAGES>
DEVI void gemm_tc(const unsigned char* __restrict__ A, const unsigned char* __restrict__ B,
                  float* __restrict__ C, int M, int N, int K, unsigned char* smem)
{
    constexpr int ES = (MODE == 2) ? 4 : 2;          // element size in bytes
    constexpr int WARPS_N = BN / WN;
    constexpr int THREADS = (BM / WM) * (BN / WN) * 32;
    constexpr int CPR = BKB / 16;                     // 16-byte chunks per smem row
    constexpr int RPL = 128 / BKB;                    // smem rows per 128-byte bank line
    constexpr int MI = WM / 16;                       // m16 tiles per warp
    constexpr int NI = WN / 8;                        // n8 tiles per warp
    constexpr int KSTEPS = BKB / 32;                  // mma k-steps per stage
    constexpr int A_BYTES = BM * BKB;
    constexpr int STAGE_BYTES = (BM + BN) * BKB;
    constexpr int A_CHUNKS = BM * CPR / THREADS;      // cp.async per thread per stage
    constexpr int B_CHUNKS = BN * CPR / THREADS;
    static_assert(BM * CPR % THREADS == 0 && BN * CPR % THREADS == 0, "tile/threads mismatch");
    static_assert(BKB % 32 == 0 && BKB <= 128, "BKB");
    static_assert(NI % 2 == 0, "NI");
    static_assert(KSTEPS % 2 == 0, "fragment double buffer needs an even number of k-steps");

    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int wm0 = (warp / WARPS_N) * WM;
    const int wn0 = (warp % WARPS_N) * WN;

    // Grouped rasterisation: consecutive blocks walk down GROUP_M tile-rows so the A and B
    // panels they share stay in L2.
    constexpr int GROUP_M = 8;
    const int grid_n = gridDim.x, grid_m = gridDim.y;
    const int pid = blockIdx.y * grid_n + blockIdx.x;
    const int group = pid / (GROUP_M * grid_n);
    const int first_m = group * GROUP_M;
    const int gsize = (grid_m - first_m) < GROUP_M ? (grid_m - first_m) : GROUP_M;
    const int pid_in = pid - group * GROUP_M * grid_n;
    const int bm = first_m + pid_in % gsize;
    const int bn = pid_in / gsize;

    const size_t row_bytes = (size_t)K * ES;
    const int ktiles = (int)(row_bytes / BKB);
    const unsigned sbase = smem_addr(smem);

    // Per-thread global source pointers and smem destination offsets for cp.async.
    const unsigned char* a_src[A_CHUNKS];
    unsigned a_dst[A_CHUNKS];
    const unsigned char* b_src[B_CHUNKS];
    unsigned b_dst[B_CHUNKS];
#pragma unroll
    for (int i = 0; i < A_CHUNKS; ++i) {
        const int id = tid + i * THREADS;
        const int r = id / CPR, c = id % CPR;
        a_src[i] = A + (size_t)(bm * BM + r) * row_bytes + c * 16;
        a_dst[i] = r * BKB + ((c ^ ((r / RPL) % CPR)) * 16);
    }
#pragma unroll
    for (int i = 0; i < B_CHUNKS; ++i) {
        const int id = tid + i * THREADS;
        const int r = id / CPR, c = id % CPR;
        b_src[i] = B + (size_t)(bn * BN + r) * row_bytes + c * 16;
        b_dst[i] = A_BYTES + r * BKB + ((c ^ ((r / RPL) % CPR)) * 16);
    }

    auto load_stage = [&](int slot, int kt) {
        const unsigned s = sbase + slot * STAGE_BYTES;
        const size_t koff = (size_t)kt * BKB;
#pragma unroll
        for (int i = 0; i < A_CHUNKS; ++i) cp_async16(s + a_dst[i], a_src[i] + koff);
#pragma unroll
        for (int i = 0; i < B_CHUNKS; ++i) cp_async16(s + b_dst[i], b_src[i] + koff);
    };

    // ldmatrix lane addressing. A (x4): matrices (rows 0-7,k lo), (rows 8-15,k lo),
    // (rows 0-7,k hi), (rows 8-15,k hi) -> a0..a3. B (x4): (n 0-7,k lo), (n 0-7,k hi),
    // (n 8-15,k lo), (n 8-15,k hi) -> b[j][0], b[j][1], b[j+1][0], b[j+1][1].
    const int sw = ((lane & 7) / RPL) % CPR;   // swizzle term (rows are 8-aligned + lane&7)
    const int a_row = wm0 + (lane & 7) + ((lane >> 3) & 1) * 8;
    const int a_khi = lane >> 4;
    const int b_row = wn0 + (lane & 7) + (lane >> 4) * 8;
    const int b_khi = (lane >> 3) & 1;
    const unsigned a_ld = a_row * BKB;
    const unsigned b_ld = A_BYTES + b_row * BKB;

    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;

    // Fragment loaders (ldmatrix) and tf32 rounding.
    unsigned af[2][MI][4];
    unsigned bf[2][NI][2];
    auto load_frags = [&](int buf, unsigned s, int ks) {
#pragma unroll
        for (int i = 0; i < MI; ++i)
            ldmatrix_x4(af[buf][i], s + a_ld + i * 16 * BKB + (((ks * 2 + a_khi) ^ sw) * 16));
#pragma unroll
        for (int j = 0; j < NI; j += 2) {
            unsigned t[4];
            ldmatrix_x4(t, s + b_ld + j * 8 * BKB + (((ks * 2 + b_khi) ^ sw) * 16));
            bf[buf][j][0] = t[0];
            bf[buf][j][1] = t[1];
            bf[buf][j + 1][0] = t[2];
            bf[buf][j + 1][1] = t[3];
        }
        if (MODE == 2) {
#pragma unroll
            for (int i = 0; i < MI; ++i)
#pragma unroll
                for (int e = 0; e < 4; ++e) af[buf][i][e] = to_tf32(af[buf][i][e]);
#pragma unroll
            for (int j = 0; j < NI; ++j) {
                bf[buf][j][0] = to_tf32(bf[buf][j][0]);
                bf[buf][j][1] = to_tf32(bf[buf][j][1]);
            }
        }
    };

#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < ktiles) load_stage(s, s);
        cp_async_commit();
    }

    // Main loop, software-pipelined at two levels (CUTLASS "multistage" style): cp.async keeps
    // STAGES-1 K tiles in flight, and the ldmatrix fragments of the next k-step (possibly of the
    // next K tile) are loaded while the mma of the current k-step run.
    // Invariant: the barrier taken before the last k-step of tile kt-1 comes after every warp's
    // last ldmatrix from tile kt-1's slot, which is refilled (with tile kt+STAGES-1) at the first
    // k-step of tile kt. Needs an even KSTEPS so fragment buffer (ks & 1) lines up across tiles.
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    int rd_slot = 0;
    int wr_slot = STAGES - 1;
    load_frags(0, sbase, 0);
    for (int kt = 0; kt < ktiles; ++kt) {
#pragma unroll
        for (int ks = 0; ks < KSTEPS; ++ks) {
            if (ks == KSTEPS - 1) {
                // tile kt+1 must be resident before its first fragments are read
                cp_async_wait<STAGES - 2>();
                __syncthreads();
                rd_slot = (rd_slot + 1 == STAGES) ? 0 : rd_slot + 1;
            }
            const int nks = (ks + 1 == KSTEPS) ? 0 : ks + 1;
            load_frags((ks + 1) & 1, sbase + rd_slot * STAGE_BYTES, nks);
            if (ks == 0) {
                const int nk = kt + STAGES - 1;
                if (nk < ktiles) load_stage(wr_slot, nk);
                cp_async_commit();
                wr_slot = (wr_slot + 1 == STAGES) ? 0 : wr_slot + 1;
            }
#pragma unroll
            for (int i = 0; i < MI; ++i)
#pragma unroll
                for (int j = 0; j < NI; ++j)
                    mma_tc<MODE>(acc[i][j], af[ks & 1][i], bf[ks & 1][j][0], bf[ks & 1][j][1]);
        }
    }
    cp_async_wait<0>();

    // Epilogue: c0,c1 -> (row g, cols 2t,2t+1); c2,c3 -> (row g+8, same cols).
    const int g = lane >> 2, t4 = lane & 3;
#pragma unroll
    for (int i = 0; i < MI; ++i) {
        const int r0 = bm * BM + wm0 + i * 16 + g;
#pragma unroll
        for (int j = 0; j < NI; ++j) {
            const int c0 = bn * BN + wn0 + j * 8 + t4 * 2;
            float2* p0 = (float2*)(C + (size_t)r0 * N + c0);
            float2* p1 = (float2*)(C + (size_t)(r0 + 8) * N + c0);
            *p0 = make_float2(acc[i][j][0], acc[i][j][1]);
            *p1 = make_float2(acc[i][j][2], acc[i][j][3]);
        }
    }
}

// Static shared memory when the tile fits the 48 KiB static limit (the default does), else dynamic.
#if GEMM_TC_SMEM <= 49152
#define GEMM_TC_SMEM_DECL __shared__ __align__(128) unsigned char gemm_smem[GEMM_TC_SMEM];
#else
#define GEMM_TC_SMEM_DECL extern __shared__ __align__(128) unsigned char gemm_smem[];
#endif
#define GEMM_TC_ARGS GEMM_TC_BM, GEMM_TC_BN, GEMM_TC_BKB, GEMM_TC_WM, GEMM_TC_WN, GEMM_TC_STAGES

extern "C" __global__ void __launch_bounds__(GEMM_TC_THREADS, GEMM_TC_MINB)
gpuctl_gemm_bf16(const unsigned short* A, const unsigned short* B, float* C, int M, int N, int K)
{
    GEMM_TC_SMEM_DECL
    gemm_tc<0, GEMM_TC_ARGS>((const unsigned char*)A, (const unsigned char*)B, C, M, N, K,
                             gemm_smem);
}

extern "C" __global__ void __launch_bounds__(GEMM_TC_THREADS, GEMM_TC_MINB)
gpuctl_gemm_fp16(const unsigned short* A, const unsigned short* B, float* C, int M, int N, int K)
{
    GEMM_TC_SMEM_DECL
    gemm_tc<1, GEMM_TC_ARGS>((const unsigned char*)A, (const unsigned char*)B, C, M, N, K,
                             gemm_smem);
}

extern "C" __global__ void __launch_bounds__(GEMM_TC_THREADS, GEMM_TC_MINB)
gpuctl_gemm_tf32(const float* A, const float* B, float* C, int M, int N, int K)
{
    GEMM_TC_SMEM_DECL
    gemm_tc<2, GEMM_TC_ARGS>((const unsigned char*)A, (const unsigned char*)B, C, M, N, K,
                             gemm_smem);
}

// ---------------------------------------------------------------------------------------------
// SIMT GEMM (f32 / f64): 128x128 block tile, K step 8, 256 threads as 16x16, each thread owns
// an 8x8 sub-tile strided by 16 (rows ty+16*i, cols tx+16*j). Register-prefetched double buffer.
template <typename T, typename FMA>
DEVI void gemm_simt(const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C, int M,
                    int N, int K, FMA fma_op)
{
    constexpr int BM = 128, BN = 128, BK = 8, TM = 8, PAD = 4;
    __shared__ T As[2][BK][BM + PAD];
    __shared__ T Bs[2][BK][BN + PAD];
    const int tid = threadIdx.x;
    const int tx = tid & 15, ty = tid >> 4;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    // loader mapping: 128 rows x 8 k = 1024 elements, 4 per thread: row = id / 8, k = id % 8
    T ra[4], rb[4];
    auto gload = [&](int k0) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int id = tid + i * 256;
            const int r = id >> 3, k = id & 7;
            ra[i] = A[(size_t)(m0 + r) * K + k0 + k];
            rb[i] = B[(size_t)(n0 + r) * K + k0 + k];
        }
    };
    auto sstore = [&](int buf) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int id = tid + i * 256;
            const int r = id >> 3, k = id & 7;
            As[buf][k][r] = ra[i];
            Bs[buf][k][r] = rb[i];
        }
    };
    T acc[TM][TM];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TM; ++j) acc[i][j] = (T)0;

    const int ktiles = K / BK;
    gload(0);
    sstore(0);
    __syncthreads();
    for (int kt = 0; kt < ktiles; ++kt) {
        const int buf = kt & 1;
        if (kt + 1 < ktiles) gload((kt + 1) * BK);
#pragma unroll
        for (int k = 0; k < BK; ++k) {
            T a[TM], b[TM];
#pragma unroll
            for (int i = 0; i < TM; ++i) a[i] = As[buf][k][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < TM; ++j) b[j] = Bs[buf][k][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TM; ++j) acc[i][j] = fma_op(a[i], b[j], acc[i][j]);
        }
        if (kt + 1 < ktiles) sstore(buf ^ 1);
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TM; ++j)
            C[(size_t)(m0 + ty + 16 * i) * N + n0 + tx + 16 * j] = acc[i][j];
}

struct FmaF32 {
    __device__ float operator()(float a, float b, float c) const { return fmaf(a, b, c); }
};
struct FmaF64 {
    __device__ double operator()(double a, double b, double c) const { return fma(a, b, c); }
};

extern "C" __global__ void __launch_bounds__(256)
gpuctl_gemm_f32(const float* A, const float* B, float* C, int M, int N, int K)
{
    gemm_simt<float>(A, B, C, M, N, K, FmaF32());
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_gemm_f64(const double* A, const double* B, double* C, int M, int N, int K)
{
    gemm_simt<double>(A, B, C, M, N, K, FmaF64());
}

// ---------------------------------------------------------------------------------------------
// Fill kernels.
DEVI unsigned long long fill_hash(unsigned long long i, unsigned int seed)
{
    // splitmix64 finaliser of (i, seed)
    unsigned long long z = i * 0x9E3779B97F4A7C15ull + (unsigned long long)seed * 0xD1B54A32D192ED03ull
                           + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

DEVI float fill_value_f32(unsigned long long i, unsigned int seed)
{
    const unsigned k = (unsigned)(fill_hash(i, seed) >> 40) | 1u;   // odd, < 2^24
    return (float)k * 1.1920928955078125e-07f - 1.0f;              // k * 2^-23 - 1, exact
}

DEVI unsigned short f32_to_bf16_rne(float f)
{
    unsigned u = __float_as_uint(f);          // values here are finite
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}

DEVI unsigned short f32_to_f16_rne(float f)
{
    const unsigned u = __float_as_uint(f);
    const unsigned sign = (u >> 16) & 0x8000u;
    const int exp = (int)((u >> 23) & 0xFFu) - 127 + 15;
    unsigned mant = u & 0x7FFFFFu;
    if (((u >> 23) & 0xFFu) == 0xFFu) return (unsigned short)(sign | 0x7C00u | (mant ? 0x200u : 0u));
    if (exp >= 31) return (unsigned short)(sign | 0x7C00u);           // overflow -> inf
    if (exp <= 0) {                                                   // subnormal half or zero
        if (exp < -10) return (unsigned short)sign;
        mant |= 0x800000u;
        const int shift = 14 - exp;                                   // 14..24
        unsigned h = mant >> shift;
        const unsigned rem = mant & ((1u << shift) - 1u);
        const unsigned half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1u))) ++h;
        return (unsigned short)(sign | h);
    }
    unsigned h = ((unsigned)exp << 10) | (mant >> 13);
    const unsigned rem = mant & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;           // carry may bump exponent
    return (unsigned short)(sign | h);
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_fill_f32(float* p, unsigned long long n, unsigned int seed)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        p[i] = fill_value_f32(i, seed);
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_fill_bf16(unsigned short* p, unsigned long long n, unsigned int seed)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        p[i] = f32_to_bf16_rne(fill_value_f32(i, seed));
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_fill_f16(unsigned short* p, unsigned long long n, unsigned int seed)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        p[i] = f32_to_f16_rne(fill_value_f32(i, seed));
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_fill_f64(double* p, unsigned long long n, unsigned int seed)
{
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        const unsigned long long k = (fill_hash(i, seed) >> 11) | 1ull;   // odd, < 2^53
        p[i] = (double)k * 2.220446049250313080847263336181640625e-16 - 1.0;
    }
}

// ---------------------------------------------------------------------------------------------
// Compare kernels: per-thread counts, shared-memory block reduction, one atomicAdd per block.
DEVI void block_reduce_add2(unsigned long long mism, unsigned long long sum,
                            unsigned long long* mismatches, unsigned long long* checksum)
{
    __shared__ unsigned long long s_m[256];
    __shared__ unsigned long long s_s[256];
    const unsigned tid = threadIdx.x;
    s_m[tid] = mism;
    s_s[tid] = sum;
    __syncthreads();
    for (unsigned s = 128; s > 0; s >>= 1) {
        if (tid < s) {
            s_m[tid] += s_m[tid + s];
            s_s[tid] += s_s[tid + s];
        }
        __syncthreads();
    }
    if (tid == 0) {
        if (s_m[0]) atomicAdd(mismatches, s_m[0]);
        atomicAdd(checksum, s_s[0]);
    }
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_compare_f32(const float* c, const float* ref, unsigned long long n, float rel_tol,
                   unsigned long long* mismatches, unsigned long long* checksum)
{
    unsigned long long mism = 0, sum = 0;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        const float x = c[i], r = ref[i];
        if (!(fabsf(x - r) <= rel_tol * fabsf(r))) ++mism;
        sum += (unsigned long long)__float_as_uint(x);
    }
    block_reduce_add2(mism, sum, mismatches, checksum);
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_compare_f64(const double* c, const double* ref, unsigned long long n, double rel_tol,
                   unsigned long long* mismatches, unsigned long long* checksum)
{
    unsigned long long mism = 0, sum = 0;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        const double x = c[i], r = ref[i];
        if (!(fabs(x - r) <= rel_tol * fabs(r))) ++mism;
        sum += (unsigned long long)__double_as_longlong(x);
    }
    block_reduce_add2(mism, sum, mismatches, checksum);
}

// ---------------------------------------------------------------------------------------------
// Checksum of a result buffer, read once at full bandwidth (16-byte loads). Each 64-bit word w at
// 64-bit index i contributes fmix64(w ^ (i * GOLDEN)) to a wrapping u64 sum. fmix64 (murmur3's
// finaliser) is a bijection, so any change to one word always changes the sum, and changes to
// several words cancel only if their nonlinear mixes happen to sum to 0 mod 2^64 (about 2^-64),
// unlike a plain or XOR-masked sum, where the same bit flipped in two words, or a stuck bit
// across a row, cancels often. src/device/burn_engine/verify.rs has the same function in Rust.
#define CHECKSUM_GOLDEN 0x9E3779B97F4A7C15ull

DEVI unsigned long long fmix64(unsigned long long k)
{
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDull;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ull;
    k ^= k >> 33;
    return k;
}

DEVI void block_reduce_add1(unsigned long long v, unsigned long long* out)
{
    __shared__ unsigned long long s_v[256];
    const unsigned tid = threadIdx.x;
    s_v[tid] = v;
    __syncthreads();
    for (unsigned s = 128; s > 0; s >>= 1) {
        if (tid < s) s_v[tid] += s_v[tid + s];
        __syncthreads();
    }
    if (tid == 0 && s_v[0]) atomicAdd(out, s_v[0]);
}

extern "C" __global__ void __launch_bounds__(256)
gpuctl_checksum_mix64(const unsigned long long* p, unsigned long long nwords, unsigned long long* out)
{
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    const unsigned long long first = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
    const unsigned long long nvec = nwords >> 1;
    const ulonglong2* v = (const ulonglong2*)p;
    unsigned long long sum = 0;
    for (unsigned long long j = first; j < nvec; j += stride) {
        const ulonglong2 w = v[j];
        const unsigned long long ig = (j << 1) * CHECKSUM_GOLDEN;   // (i+1)*G = i*G + G (mod 2^64)
        sum += fmix64(w.x ^ ig);
        sum += fmix64(w.y ^ (ig + CHECKSUM_GOLDEN));
    }
    for (unsigned long long i = (nvec << 1) + first; i < nwords; i += stride)
        sum += fmix64(p[i] ^ (i * CHECKSUM_GOLDEN));
    block_reduce_add1(sum, out);
}

// ---------------------------------------------------------------------------------------------
// Counts the 64-bit words that are not zero: verifies a wipe (memset to 0) before a buffer is freed.
extern "C" __global__ void __launch_bounds__(256)
gpuctl_count_nonzero(const unsigned long long* p, unsigned long long nwords, unsigned long long* out)
{
    unsigned long long n = 0;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < nwords;
         i += (unsigned long long)gridDim.x * blockDim.x)
        n += (p[i] != 0ull);
    block_reduce_add1(n, out);
}
