#pragma once
#include <stdint.h>

// Heap allocations made by the calling thread so far (malloc, calloc, realloc,
// posix_memalign, aligned_alloc, memalign), counted by the wrappers in alloc_counter.c.
uint64_t chain_thread_allocations(void);

// 0 when the wrappers are compiled out (under ThreadSanitizer, which owns malloc itself).
int chain_alloc_counting_enabled(void);
