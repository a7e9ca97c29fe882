// libFuzzer's driver, for fuzz targets whose `main` is their own (Fuzz/README.md): a binary
// linked with `-sanitize=fuzzer` defines it; nothing references it otherwise.
#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `argc`/`argv` over `test_one_input`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
