// Which copy-kernel shape moves HBM fastest, against cudaMemcpyAsync D2D in the same process,
// and the launch latency of empty kernels from a stream versus a replayed CUDA graph.
// kernels/bench.cu's copy and bench's launch_latency were chosen with it (issue 11).
// Build and run on a GPU machine: benches/floor/run.sh (nvcc -O3 -std=c++20 -arch=sm_90).
#include <cstdio>
#include <vector>
#include <algorithm>
typedef unsigned long long u64;
template <int U, int MODE> __global__ void tile_copy(const uint4* __restrict__ s, uint4* __restrict__ d, u64 n) {
  const u64 tile = (u64)blockDim.x * U, step = (u64)gridDim.x * tile;
  for (u64 base = blockIdx.x * tile; base < n; base += step) {
    uint4 w[U];
#pragma unroll
    for (int u = 0; u < U; u++) { u64 i = base + (u64)u * blockDim.x + threadIdx.x; if (i < n) { if (MODE == 1) w[u] = __ldg(s + i); else if (MODE == 2) w[u] = __ldcs(s + i); else if (MODE==3) w[u]=__ldlu(s+i); else w[u] = s[i]; } }
#pragma unroll
    for (int u = 0; u < U; u++) { u64 i = base + (u64)u * blockDim.x + threadIdx.x; if (i < n) { if (MODE == 2 || MODE==3) __stcs(d + i, w[u]); else if (MODE==4) __stwt(d+i,w[u]); else d[i] = w[u]; } }
  }
}
// Whole-block contiguous chunk per thread-iteration (each thread copies U consecutive uint4 = 16U bytes).
template <int U> __global__ void chunk_copy(const uint4* __restrict__ s, uint4* __restrict__ d, u64 n) {
  u64 stride = (u64)gridDim.x * blockDim.x * U;
  for (u64 i = ((u64)blockIdx.x * blockDim.x + threadIdx.x) * U; i < n; i += stride) {
    uint4 w[U];
#pragma unroll
    for (int u = 0; u < U; u++) if (i + u < n) w[u] = s[i + u];
#pragma unroll
    for (int u = 0; u < U; u++) if (i + u < n) d[i + u] = w[u];
  }
}
__global__ void empty() {}
float timeit(cudaStream_t st, int reps, auto f) {
  for (int i = 0; i < 3; i++) f();
  std::vector<float> t; cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b);
  for (int r = 0; r < reps; r++) { cudaEventRecord(a, st); f(); cudaEventRecord(b, st); cudaEventSynchronize(b); float ms; cudaEventElapsedTime(&ms, a, b); t.push_back(ms); }
  std::sort(t.begin(), t.end()); return t[reps / 2];
}
int main() {
  size_t bytes = 4ull << 30; u64 n = bytes / 16; uint4 *a, *b; cudaMalloc(&a, bytes); cudaMalloc(&b, bytes); cudaMemset(a, 1, bytes); cudaMemset(b, 0, bytes);
  int sms; cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  cudaStream_t st = 0; int reps = 20;
  auto gb = [&](float ms) { return 2.0 * bytes / (ms / 1e3) / 1e9; };
  printf("cudaMemcpyAsync D2D        %7.1f GB/s\n", gb(timeit(st, reps, [&] { cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, st); })));
#define RUN(name, K, U, BS_, GRID) { int bsz = BS_; u64 g = GRID; printf("%-22s bs %4d grid %8llu %7.1f GB/s\n", name, bsz, g, gb(timeit(st, reps, [&] { K<<<(unsigned)g, bsz, 0, st>>>(a, b, n); }))); }
  for (int bs : {128, 256, 512, 1024}) {
    RUN("tile4 sweep", (tile_copy<4,0>), 4, bs, (n + bs*4 - 1) / (bs*4));
    RUN("tile8 sweep", (tile_copy<8,0>), 8, bs, (n + bs*8 - 1) / (bs*8));
    RUN("tile2 sweep", (tile_copy<2,0>), 2, bs, (n + bs*2 - 1) / (bs*2));
    RUN("tile1 sweep", (tile_copy<1,0>), 1, bs, (n + bs - 1) / (bs));
    RUN("tile4 ldg sweep", (tile_copy<4,1>), 4, bs, (n + bs*4 - 1) / (bs*4));
    RUN("tile4 cs sweep", (tile_copy<4,2>), 4, bs, (n + bs*4 - 1) / (bs*4));
    RUN("tile4 lu/cs sweep", (tile_copy<4,3>), 4, bs, (n + bs*4 - 1) / (bs*4));
    RUN("tile4 wt sweep", (tile_copy<4,4>), 4, bs, (n + bs*4 - 1) / (bs*4));
    for (int per : {1, 2, 4, 8, 16, 32}) { if (per * bs > 2048) continue; char nm[64];
      snprintf(nm, 64, "tile4 persist x%d", per); RUN(nm, (tile_copy<4,0>), 4, bs, (u64)sms * per);
      snprintf(nm, 64, "tile8 persist x%d", per); RUN(nm, (tile_copy<8,0>), 8, bs, (u64)sms * per);
      snprintf(nm, 64, "chunk4 persist x%d", per); RUN(nm, (chunk_copy<4>), 4, bs, (u64)sms * per);
      snprintf(nm, 64, "tile1 persist x%d", per); RUN(nm, (tile_copy<1,0>), 1, bs, (u64)sms * per); }
  }
  printf("cudaMemcpyAsync D2D again  %7.1f GB/s\n", gb(timeit(st, reps, [&] { cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, st); })));
  // Launch latency: host-side stream launches vs a captured graph of the same launches.
  cudaStream_t s2; cudaStreamCreateWithFlags(&s2, cudaStreamNonBlocking);
  const int L = 1000;
  for (int rep = 0; rep < 3; rep++) {
    float host = timeit(s2, 20, [&] { for (int i = 0; i < L; i++) empty<<<1, 1, 0, s2>>>(); }) * 1e3 / L;
    cudaGraph_t gr; cudaGraphExec_t ge; cudaStreamBeginCapture(s2, cudaStreamCaptureModeGlobal);
    for (int i = 0; i < L; i++) empty<<<1, 1, 0, s2>>>();
    cudaStreamEndCapture(s2, &gr); cudaGraphInstantiate(&ge, gr, 0);
    float graph = timeit(s2, 20, [&] { cudaGraphLaunch(ge, s2); }) * 1e3 / L;
    printf("launch: stream %.3f us/launch, graph %.3f us/kernel\n", host, graph);
  }
  return 0;
  printf("cudaMemcpyAsync D2D again  %7.1f GB/s\n", gb(timeit(st, reps, [&] { cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, st); })));
  return 0;
}
