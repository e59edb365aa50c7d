/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guard-page buffers for parser tests: the input is copied so that its last byte sits
 * right before a PROT_NONE page, so a read one byte past the end faults at once
 * (the picohttpparser test.c habit), with or without ASan.
 */
#ifndef FC_TEST_GUARD_H
#define FC_TEST_GUARD_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guard_buf {
	char *map;      /* start of the mapping */
	size_t map_len; /* data pages + the guard page */
	char *data;     /* copy of the input, ending at the guard page */
};

/* Returns the copy, or NULL when mmap/mprotect fail (the caller reports it). */
static inline char *
guard_copy(struct guard_buf *g, const void *src, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + page - 1) / page;

	if (data_pages == 0)
		data_pages = 1;
	g->map_len = (data_pages + 1) * page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return NULL;
	if (mprotect(g->map + data_pages * page, page, PROT_NONE) != 0) {
		munmap(g->map, g->map_len);
		return NULL;
	}
	g->data = g->map + data_pages * page - len;
	if (len)
		memcpy(g->data, src, len);
	return g->data;
}

static inline void
guard_free(struct guard_buf *g)
{
	munmap(g->map, g->map_len);
}

#endif /* FC_TEST_GUARD_H */
