// Counts the heap allocations of each thread, for the tests that pin the allocations of a
// request on the hot paths (Tests/AllocationTests). Defining malloc and friends in the test
// executable interposes them for every library in the process (the executable comes first in
// symbol lookup); each forwards to glibc's own entry point. The count is thread-local: a loop's
// thread is measured without the test's client threads.
#include "alloc_counter.h"
#include <errno.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CHAIN_NO_ALLOC_COUNTER 1
#endif
#endif

#ifndef CHAIN_NO_ALLOC_COUNTER
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

// initial-exec: no allocation (and no recursion into malloc) on the first access.
static __thread uint64_t allocations __attribute__((tls_model("initial-exec")));

void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t count, size_t n) { allocations++; return __libc_calloc(count, n); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t align, size_t n) { allocations++; return __libc_memalign(align, n); }
void *aligned_alloc(size_t align, size_t n) { allocations++; return __libc_memalign(align, n); }
int posix_memalign(void **out, size_t align, size_t n) {
    allocations++;
    void *p = __libc_memalign(align, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

uint64_t chain_thread_allocations(void) { return allocations; }
int chain_alloc_counting_enabled(void) { return 1; }
#else
uint64_t chain_thread_allocations(void) { return 0; }
int chain_alloc_counting_enabled(void) { return 0; }
#endif
