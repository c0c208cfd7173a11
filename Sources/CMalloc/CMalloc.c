#include "CMalloc.h"
#include <malloc.h>

int cmalloc_release_free_memory(void) {
    return malloc_trim(0);
}
