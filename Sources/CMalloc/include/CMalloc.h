#ifndef QUOTA_PROXY_CMALLOC_H
#define QUOTA_PROXY_CMALLOC_H

/// glibc malloc tuning that Swift's Glibc module does not expose (malloc.h).

/// mallopt(M_ARENA_MAX, arenas): at most `arenas` malloc arenas for the whole process.
/// Returns 1 on success, 0 on failure.
int cmalloc_limit_arenas(int arenas);

/// mallopt(M_TRIM_THRESHOLD, bytes): free memory at the top of the heap beyond `bytes` goes back
/// to the system at once. Returns 1 on success, 0 on failure.
int cmalloc_set_trim_threshold(int bytes);

/// malloc_trim(0): returns free memory of every arena to the system. Returns 1 when some was.
int cmalloc_release_free_memory(void);

#endif
