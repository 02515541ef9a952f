// Like-for-like reference for `gpuctl bench` GEMM and `gpuctl burn` (issue 21): the same
// problem the same way, from a bare cuBLASLt program. n x n x n, inputs bf16 / fp16 (fp32
// output, fp32 compute), fp32 with TF32 compute or strict fp32 compute (fp32 output), or
// fp64 (fp64 output and compute), as src/device/cublaslt.rs asks; inputs filled with values
// in [-1, 1) (zeros would draw less power); every GEMM timed with CUDA events, device time
// only.
//   burst:     as bench's gemm_<dtype>: idle 50 ms, then a burst of about 25 ms of
//              back-to-back GEMMs, event-timed; REPS bursts, the median reported (boost
//              clock, before the cap).
//   sustained: as burn: back-to-back GEMMs for SECONDS, timed per batch of about 1 s; the
//              median of the batches in the second half reported (at the power cap).
//              With BATCH_S and WARMUP_S, as bench's gemm_<dtype>_sustained: WARMUP_S of
//              untimed batches of BATCH_S, then SECONDS of timed batches of BATCH_S, back to
//              back; the median of the timed batches reported.
// Build on the GPU host: nvcc -O2 -o /tmp/gemm_ref benches/gemm_ref.cu -lcublasLt
// Run:   /tmp/gemm_ref DTYPE N burst REPS  |  /tmp/gemm_ref DTYPE N sustained SECONDS [BATCH_S WARMUP_S]
//        (DTYPE: bf16, fp16, tf32, fp32, fp64)
// Prints one line: `DTYPE N MODE median TFLOPS min max count`.
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <algorithm>
#include <vector>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
    fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e_)); exit(3); } } while (0)
#define LT(x) do { cublasStatus_t s_ = (x); if (s_ != CUBLAS_STATUS_SUCCESS) { \
    fprintf(stderr, "%s: cublas status %d\n", #x, (int)s_); exit(3); } } while (0)

__device__ float unit(unsigned long long i, unsigned seed) {
    unsigned long long k = i * 0x9E3779B97F4A7C15ULL ^ seed;
    k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33;
    return (float)(k >> 40) / (float)(1 << 23) - 1.0f;
}
__global__ void fill_bf16(__nv_bfloat16* p, size_t n, unsigned seed) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        p[i] = __float2bfloat16(unit(i, seed));
}
__global__ void fill_fp16(__half* p, size_t n, unsigned seed) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        p[i] = __float2half(unit(i, seed));
}
__global__ void fill_fp32(float* p, size_t n, unsigned seed) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        p[i] = unit(i, seed);
}
__global__ void fill_fp64(double* p, size_t n, unsigned seed) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        p[i] = unit(i, seed);
}

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s bf16|fp16|tf32|fp32|fp64 N burst REPS | sustained SECONDS [BATCH_S WARMUP_S]\n",
                argv[0]);
        return 2;
    }
    const char* dt = argv[1];
    const long n = atol(argv[2]);
    const bool burst = !strcmp(argv[3], "burst");
    const double amount = atof(argv[4]);
    const double batch_s = argc > 6 ? atof(argv[5]) : 0.0;
    const double warmup_s = argc > 6 ? atof(argv[6]) : 0.0;
    cudaDataType_t in_t, out_t = CUDA_R_32F, scale_t = CUDA_R_32F;
    cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
    size_t in_size, out_size = 4;
    if (!strcmp(dt, "bf16")) { in_t = CUDA_R_16BF; in_size = 2; }
    else if (!strcmp(dt, "fp16")) { in_t = CUDA_R_16F; in_size = 2; }
    else if (!strcmp(dt, "tf32")) { in_t = CUDA_R_32F; in_size = 4; compute = CUBLAS_COMPUTE_32F_FAST_TF32; }
    else if (!strcmp(dt, "fp32")) { in_t = CUDA_R_32F; in_size = 4; }
    else if (!strcmp(dt, "fp64")) {
        in_t = out_t = scale_t = CUDA_R_64F; in_size = out_size = 8; compute = CUBLAS_COMPUTE_64F;
    }
    else { fprintf(stderr, "dtype must be bf16, fp16, tf32, fp32 or fp64\n"); return 2; }
    const size_t elems = (size_t)n * n;
    void *a, *b, *c, *ws;
    const size_t ws_bytes = 64 << 20;
    CK(cudaMalloc(&a, elems * in_size));
    CK(cudaMalloc(&b, elems * in_size));
    CK(cudaMalloc(&c, elems * out_size));
    CK(cudaMalloc(&ws, ws_bytes));
    if (in_size == 8) { fill_fp64<<<1024, 256>>>((double*)a, elems, 1); fill_fp64<<<1024, 256>>>((double*)b, elems, 2); }
    else if (in_size == 4) { fill_fp32<<<1024, 256>>>((float*)a, elems, 1); fill_fp32<<<1024, 256>>>((float*)b, elems, 2); }
    else if (in_t == CUDA_R_16BF) { fill_bf16<<<1024, 256>>>((__nv_bfloat16*)a, elems, 1); fill_bf16<<<1024, 256>>>((__nv_bfloat16*)b, elems, 2); }
    else { fill_fp16<<<1024, 256>>>((__half*)a, elems, 1); fill_fp16<<<1024, 256>>>((__half*)b, elems, 2); }
    CK(cudaDeviceSynchronize());

    cublasLtHandle_t h;
    LT(cublasLtCreate(&h));
    cublasLtMatmulDesc_t op;
    LT(cublasLtMatmulDescCreate(&op, compute, scale_t));
    cublasOperation_t tr = CUBLAS_OP_T;
    LT(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &tr, sizeof tr));
    cublasLtMatrixLayout_t la, lb, lc;
    LT(cublasLtMatrixLayoutCreate(&la, in_t, n, n, n));
    LT(cublasLtMatrixLayoutCreate(&lb, in_t, n, n, n));
    LT(cublasLtMatrixLayoutCreate(&lc, out_t, n, n, n));
    cublasLtMatmulPreference_t pref;
    LT(cublasLtMatmulPreferenceCreate(&pref));
    LT(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes,
                                            sizeof ws_bytes));
    cublasLtMatmulHeuristicResult_t heur;
    int found = 0;
    LT(cublasLtMatmulAlgoGetHeuristic(h, op, la, lb, lc, lc, pref, 1, &heur, &found));
    if (!found) { fprintf(stderr, "no cuBLASLt algorithm\n"); return 3; }
    cudaStream_t s;
    CK(cudaStreamCreate(&s));
    const float alpha = 1.0f, beta = 0.0f;
    const double alpha64 = 1.0, beta64 = 0.0;
    const void* pa = scale_t == CUDA_R_64F ? (const void*)&alpha64 : (const void*)&alpha;
    const void* pb = scale_t == CUDA_R_64F ? (const void*)&beta64 : (const void*)&beta;
    auto gemm = [&]() {
        LT(cublasLtMatmul(h, op, pa, a, la, b, lb, pb, c, lc, c, lc, &heur.algo, ws, ws_bytes, s));
    };
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    // Times `count` back-to-back GEMMs: device seconds.
    auto timed = [&](int count) {
        CK(cudaEventRecord(e0, s));
        for (int i = 0; i < count; i++) gemm();
        CK(cudaEventRecord(e1, s));
        CK(cudaEventSynchronize(e1));
        float ms;
        CK(cudaEventElapsedTime(&ms, e0, e1));
        return ms / 1e3;
    };
    const double flop = 2.0 * n * n * n;
    timed(3);  // warm-up
    usleep(200000);
    const double one = timed(1);
    std::vector<double> tflops;
    int per = 1;
    if (burst) {
        per = std::max(1, (int)(0.025 / one + 0.5));
        for (int r = 0; r < (int)amount; r++) {
            usleep(50000);
            tflops.push_back(per * flop / timed(per) / 1e12);
        }
    } else if (batch_s > 0) {
        // bench's sustained protocol: untimed warm-up batches, then timed
        // batches, all back to back.
        per = std::max(1, (int)(batch_s / one + 0.5));
        const int warm = (int)(warmup_s / batch_s + 0.5);
        const int batches = std::max(1, (int)(amount / batch_s + 0.5));
        for (int r = 0; r < warm; r++) timed(per);
        for (int r = 0; r < batches; r++) tflops.push_back(per * flop / timed(per) / 1e12);
    } else {
        per = std::max(1, (int)(1.0 / one + 0.5));
        const int batches = std::max(2, (int)(amount / (per * one) + 0.5));
        std::vector<double> all;
        for (int r = 0; r < batches; r++) all.push_back(per * flop / timed(per) / 1e12);
        tflops.assign(all.begin() + all.size() / 2, all.end());
    }
    double lo = *std::min_element(tflops.begin(), tflops.end());
    double hi = *std::max_element(tflops.begin(), tflops.end());
    printf("%s %ld %s median %.1f TFLOPS min %.1f max %.1f count %zu per %d\n", dt, n, argv[3], median(tflops),
           lo, hi, tflops.size(), per);
    return 0;
}
