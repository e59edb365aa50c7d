/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the lib/scenario sources; not installed. */
#ifndef SCN_PRIVATE_H
#define SCN_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "fc_scenario.h"

char *fc_fmt_rate(double r, char *buf, size_t len);
int fc_parse_ipv4(const char *s, uint32_t *ip);
/* "A.B.C.D[/LEN]" keeping the host bits (for the appliance's own address). */
int fc_parse_ip_prefix(const char *s, uint32_t *addr, uint8_t *prefix);
/* Whole file as a NUL-terminated string (malloc'd), or NULL with an error added. */
char *fc_scn_read_file(const char *path, struct fc_errors *errs);
char *fc_fmt_cidr(uint32_t net, uint8_t prefix, char *buf, size_t len);
bool fc_cidr_contains(uint32_t net, uint8_t prefix, uint32_t ip);

/* Copy src into a fixed field; false when it does not fit. */
bool fc_scn_copy(char *dst, size_t dstlen, const char *src);
/* Remember a value as written, for messages. */
void fc_scn_set_text(char *dst, const char *src);

/* Owned string list helpers (headers). */
int fc_scn_add_header(char **list, unsigned *n, unsigned max, const char *line);
char *fc_scn_strdup(const char *s);
char *fc_scn_memdup(const char *s, size_t n);

/* Apply --stages "DUR:RATE:CONN,..." */
int fc_scn_parse_stages(const char *spec, struct fc_scenario *sc, struct fc_errors *errs);

#endif /* SCN_PRIVATE_H */
