#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <stdint.h>
static int64_t now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1000000000LL+t.tv_nsec;}
static int cmp(const void*a,const void*b){int64_t x=*(int64_t*)a,y=*(int64_t*)b;return x<y?-1:x>y;}
int main(int c,char**v){int mode=atoi(v[1]);int64_t iv=atoll(v[2]);int n=atoi(v[3]);prctl(PR_SET_TIMERSLACK,1UL,0,0,0);
int64_t*l=malloc(n*8);int tfd=timerfd_create(CLOCK_MONOTONIC,0);int64_t base=now();
for(int k=1;k<=n;k++){int64_t d=base+k*iv;struct timespec ts={d/1000000000LL,d%1000000000LL};
 if(mode==0){clock_nanosleep(CLOCK_MONOTONIC,TIMER_ABSTIME,&ts,NULL);}
 else{struct itimerspec s={{0,0},ts};timerfd_settime(tfd,TFD_TIMER_ABSTIME,&s,NULL);struct pollfd p={tfd,POLLIN,0};poll(&p,1,-1);uint64_t x;read(tfd,&x,8);}
 l[k-1]=now()-d;}
qsort(l,n,8,cmp);printf("%s iv=%lld p50=%.1f p99=%.1f us\n",mode?"timerfd+poll":"clock_nanosleep",(long long)iv,l[n/2]/1e3,l[n*99/100]/1e3);}
