#ifndef QUOTA_PROXY_CMALLOC_H
#define QUOTA_PROXY_CMALLOC_H

/// glibc malloc calls that Swift's Glibc module does not expose (malloc.h).

/// mallopt(M_MMAP_THRESHOLD, bytes) then mallopt(M_TRIM_THRESHOLD, trim_bytes): blocks of at
/// least `bytes` are always mapped on their own (glibc's dynamic raising of the threshold is off),
/// and free memory at the top of the heap is kept up to `trim_bytes`. Returns 1 when both were set.
int cmalloc_set_thresholds(int bytes, int trim_bytes);

/// malloc_trim(0): returns free memory of every arena to the system. Returns 1 when some was.
int cmalloc_release_free_memory(void);

#endif
