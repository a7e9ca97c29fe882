// Makes the hot-path benchmarks' allocation counts independent of the state of the heap.
//
// Swift's arrays and strings ask `malloc_usable_size` how much room a new buffer really has
// and grow only once that is used up. glibc mostly answers the requested size rounded up to
// its 16-octet chunks, but when it hands out a free chunk up to 31 octets larger than needed
// (too little left over to split off), the answer is larger, and a later append may fit
// without a new buffer. Which chunks are free depends on everything the process did before,
// the other threads included, so the same benchmark made 115 or 116 allocations an operation
// from one run to the next.
//
// This definition of `malloc_usable_size`, in the benchmark executable, comes before the
// interposer's and libc's for every library (the Swift runtime among them). For a block the
// interposer of ordo-one/malloc-interposer allocated (its 16-octet header before the block:
// the requested size, an address tag, a magic number) it answers what glibc answers for a
// chunk carved to size; any other block goes to the next definition.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "UsableSize.h"

#define INTERPOSER_HEADER 16
#define INTERPOSER_MAGIC 0xC0FFEE5AU

static atomic_ulong answers;

unsigned long tern_usable_size_answers(void) {
    return atomic_load_explicit(&answers, memory_order_relaxed);
}

static int from_interposer(const void *pointer) {
    uint32_t fields[2]; // the address tag and the magic number, the header's last 8 octets
    memcpy(fields, (const char *)pointer - sizeof(fields), sizeof(fields));
    uint32_t tag = (uint32_t)(((uint64_t)(uintptr_t)pointer * 0x9E3779B97F4A7C15ULL) >> 32) ^ INTERPOSER_MAGIC;
    return fields[1] == INTERPOSER_MAGIC && fields[0] == tag;
}

size_t malloc_usable_size(void *pointer) {
    if (pointer == NULL) return 0;
    if (from_interposer(pointer)) {
        size_t requested;
        memcpy(&requested, (const char *)pointer - INTERPOSER_HEADER, sizeof(requested));
        // The interposer asked libc for the header and the block; glibc's chunk holds that
        // and its 8-octet size field, in 16-octet steps, 32 octets at least.
        size_t chunk = (requested + INTERPOSER_HEADER + 8 + 15) & ~(size_t)15;
        if (chunk < 32) chunk = 32;
        size_t usable = chunk - 8 - INTERPOSER_HEADER;
        atomic_fetch_add_explicit(&answers, 1, memory_order_relaxed);
        return usable > requested ? usable : requested;
    }
    static size_t (*_Atomic next)(void *);
    size_t (*function)(void *) = atomic_load_explicit(&next, memory_order_relaxed);
    if (function == NULL) {
        function = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
        atomic_store_explicit(&next, function, memory_order_relaxed);
    }
    return function(pointer);
}
