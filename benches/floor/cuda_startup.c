// Floor of CUDA start-up per GPU count: cuInit, then one primary context per device
// (serially, or from one thread per device with `par`), a PTX module load and a tiny
// allocation. Issue 7 measured with it that the driver serializes context creation across
// GPUs (and across processes), so `probe --compute` cannot scale below about 1.6x on 2 GPUs.
// Build and run on a GPU machine: benches/floor/run.sh (nvcc -o cuda_startup cuda_startup.c -lcuda).
#include <cuda.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static double T0;
static char *ptx;
static void *work(void *arg){
  int i=(int)(long)arg; CUdevice d; CUcontext c; CUmodule m;
  double a=now(); cuDeviceGet(&d,i); cuDevicePrimaryCtxRetain(&c,d); double b=now();
  cuCtxSetCurrent(c); CUresult r=cuModuleLoadData(&m,ptx); double e=now();
  CUdeviceptr p; cuMemAlloc(&p,1<<20); cuMemsetD8(p,0,1<<20); cuCtxSynchronize(); double f=now();
  printf("  dev %d: ctx %.1f ms (start %.1f end %.1f), module %.1f ms rc=%d, alloc+memset %.1f\n",i,b-a,a-T0,b-T0,e-b,r,f-e);
  return 0;}
int main(int argc,char**argv){
  T0=now(); int par=argc>1&&!strcmp(argv[1],"par");
  FILE*fp=fopen(argc>2?argv[2]:"kernels/selftest.ptx","rb"); fseek(fp,0,2); long n=ftell(fp); rewind(fp); ptx=calloc(n+1,1); if(fread(ptx,1,n,fp)!=(size_t)n) return 1;
  double a=now(); cuInit(0); double b=now(); int cnt; cuDeviceGetCount(&cnt);
  printf(" cuInit %.1f ms, %d devices (%s)\n",b-a,cnt,par?"parallel":"serial");
  pthread_t th[16];
  for(int i=0;i<cnt;i++){ if(par) pthread_create(&th[i],0,work,(void*)(long)i); else work((void*)(long)i);}
  if(par) for(int i=0;i<cnt;i++) pthread_join(th[i],0);
  printf(" total %.1f ms\n",now()-T0); return 0;}
