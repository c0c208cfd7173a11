#include "CMalloc.h"
#include <malloc.h>

int cmalloc_set_thresholds(int bytes, int trim_bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes) && mallopt(M_TRIM_THRESHOLD, trim_bytes);
}

int cmalloc_release_free_memory(void) {
    return malloc_trim(0);
}
