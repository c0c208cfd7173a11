#ifndef QUOTA_PROXY_CMALLOC_H
#define QUOTA_PROXY_CMALLOC_H

/// glibc malloc calls that Swift's Glibc module does not expose (malloc.h).

/// malloc_trim(0): returns free memory of every arena to the system. Returns 1 when some was.
int cmalloc_release_free_memory(void);

#endif
