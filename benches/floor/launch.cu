// The two launch figures issue 21 names, from a bare CUDA program on one GPU:
//   host launch overhead: one empty kernel launched and waited for (launch to completion,
//     host clock), one at a time, the median of 2000;
//   GPU kernel spacing: 1000 empty kernels captured into a CUDA graph and replayed, event
//     timed, per kernel, the median of 50 replays.
// gpuctl bench reports both: `launch_overhead_us` (the first) and `kernel_spacing_us` (the
// second); this program is their like-for-like reference on the same card (issue 21). Build
// and run on the GPU host:
//   nvcc -O2 -o /tmp/launch benches/floor/launch.cu && /tmp/launch
#include <cuda_runtime.h>
#include <stdio.h>
#include <time.h>
#include <algorithm>
#include <vector>

__global__ void empty() {}

static double now_us() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int main() {
    cudaStream_t s;
    if (cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) != cudaSuccess) return 3;
    for (int i = 0; i < 100; i++) empty<<<1, 1, 0, s>>>();
    cudaStreamSynchronize(s);
    std::vector<double> host;
    for (int i = 0; i < 2000; i++) {
        double t0 = now_us();
        empty<<<1, 1, 0, s>>>();
        cudaStreamSynchronize(s);
        host.push_back(now_us() - t0);
    }
    const int launches = 1000;
    cudaGraph_t g;
    cudaGraphExec_t ge;
    cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    for (int i = 0; i < launches; i++) empty<<<1, 1, 0, s>>>();
    cudaStreamEndCapture(s, &g);
    if (cudaGraphInstantiate(&ge, g, 0) != cudaSuccess) return 3;
    cudaGraphUpload(ge, s);
    cudaGraphLaunch(ge, s);
    cudaStreamSynchronize(s);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    std::vector<double> spacing;
    for (int r = 0; r < 50; r++) {
        cudaEventRecord(e0, s);
        cudaGraphLaunch(ge, s);
        cudaEventRecord(e1, s);
        cudaEventSynchronize(e1);
        float ms;
        cudaEventElapsedTime(&ms, e0, e1);
        spacing.push_back(ms * 1e3 / launches);
    }
    if (cudaGetLastError() != cudaSuccess) return 3;
    printf("host launch overhead %.2f us (median of 2000, launch to completion)\n", median(host));
    printf("GPU kernel spacing %.3f us (graph of %d, median of 50 replays)\n", median(spacing), launches);
    return 0;
}
