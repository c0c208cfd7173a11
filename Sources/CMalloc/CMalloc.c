#include "CMalloc.h"
#include <malloc.h>

int cmalloc_limit_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}

int cmalloc_set_trim_threshold(int bytes) {
    return mallopt(M_TRIM_THRESHOLD, bytes);
}

int cmalloc_release_free_memory(void) {
    return malloc_trim(0);
}
