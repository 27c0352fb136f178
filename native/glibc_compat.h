// Forced into prebuilt binaries only (binding.gyp, rtimer_prebuild=1): binds the few glibc symbols
// whose default version is newer than the oldest glibc Node.js itself supports (2.28) to their
// older, still exported versions, so one prebuild loads on every glibc distribution Node runs on.
#pragma once
#include <features.h>  // defines __GLIBC__, which this header comes before otherwise
#if defined(__GLIBC__)
#if defined(__x86_64__)
__asm__(".symver pthread_setname_np,pthread_setname_np@GLIBC_2.12");
__asm__(".symver pthread_setaffinity_np,pthread_setaffinity_np@GLIBC_2.3.4");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.2.5");
__asm__(".symver clock_gettime,clock_gettime@GLIBC_2.2.5");
__asm__(".symver memcpy,memcpy@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver pthread_setname_np,pthread_setname_np@GLIBC_2.17");
__asm__(".symver pthread_setaffinity_np,pthread_setaffinity_np@GLIBC_2.17");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.17");
#endif
// GCC 12's libstdc++ gave condition_variable::wait a new default version (3.4.30); the 3.4.11 one
// is the same function.
__asm__(".symver _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE,"
        "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
#endif
