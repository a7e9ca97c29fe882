#ifndef TERN_USABLE_SIZE_H
#define TERN_USABLE_SIZE_H

/// How often `malloc_usable_size` has answered for a block from the benchmark package's
/// malloc interposer with the size glibc gives a freshly carved block (UsableSize.c). Zero after
/// an allocation means the answers come from elsewhere and the allocation counts may again
/// depend on the state of the heap.
unsigned long tern_usable_size_answers(void);

#endif
