// A C target needs a source file; the declaration is all there is (include/CLibFuzzer.h).
#include "CLibFuzzer.h"
