/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the lib/scenario sources; not installed. */
#ifndef SCN_PRIVATE_H
#define SCN_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "fc_opts.h"
#include "fc_scenario.h"

/* `run`'s option table; replay combines it with its own. */
extern const struct fc_opt fc_scn_run_opts[];
/* Is @p o an entry of @p table? (Ids are per table, so membership tells the owner.) */
bool fc_scn_opt_in(const struct fc_opt *table, const struct fc_opt *o);
/*
 * Apply `run`'s options (and the impairment ones) of @p tables to @p sc, --scenario and
 * --limits first; options of the other tables go to @p extra. The last positional
 * argument is the target URL. Returns 0, FC_SCENARIO_HELP, -EBADMSG after syntax errors
 * (unknown option, missing value: nothing applied) or -EINVAL after bad values.
 */
int fc_scn_run_argv(const struct fc_opt *const *tables, int argc, char **argv, fc_opt_fn extra,
		    void *extra_arg, struct fc_scenario *sc, struct fc_limits *limits,
		    struct fc_errors *errs);

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

/* JSON field getters shared by the scenario, limits and serve loaders: each adds its own
 * error naming @p path and returns false on a bad value. */
struct fc_scn_ld {
	struct fc_scenario *sc;
	struct fc_errors *errs;
};

void fc_scn_json_value_text(const cJSON *v, char *buf, size_t len);
void fc_scn_check_keys(struct fc_scn_ld *l, const cJSON *obj, const char *path, const char *const *known);
bool fc_scn_get_duration(struct fc_scn_ld *l, const cJSON *v, const char *path, uint64_t *out, char *text);
bool fc_scn_get_count32(struct fc_scn_ld *l, const cJSON *v, const char *path, uint32_t *out, char *text);
bool fc_scn_get_rate(struct fc_scn_ld *l, const cJSON *v, const char *path, double *out, char *text);
bool fc_scn_get_size(struct fc_scn_ld *l, const cJSON *v, const char *path, uint64_t *out, char *text);
bool fc_scn_get_bool(struct fc_scn_ld *l, const cJSON *v, const char *path, bool *out);
bool fc_scn_get_str(struct fc_scn_ld *l, const cJSON *v, const char *path, char *out, size_t outlen);
bool fc_scn_get_obj(struct fc_scn_ld *l, const cJSON *v, const char *path);
bool fc_scn_get_arr(struct fc_scn_ld *l, const cJSON *v, const char *path, unsigned max);
void fc_scn_load_headers(struct fc_scn_ld *l, const cJSON *v, const char *path, char **list,
		unsigned *n, unsigned max);
void fc_scn_load_port(struct fc_scn_ld *l, const cJSON *o, struct fc_scenario_port *port);
/* Parse JSON text; on a syntax error add "NAME:LINE:COL: invalid JSON near ..." and return NULL. */
cJSON *fc_scn_parse_json(const char *text, const char *name, struct fc_errors *errs);

#endif /* SCN_PRIVATE_H */
