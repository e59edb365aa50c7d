/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What a run is asked to do, and whether it is allowed: the scenario (target URL, load
 * model, stages, request mix, timeouts, thresholds, output, placement and port options)
 * loaded from a JSON file (cJSON) and/or wrk/wrk2-style command-line flags, then checked
 * against the limits envelope and the target allow-list before any packet is sent.
 *
 * Validation gathers every error at once, each naming the field path, the value as the
 * user wrote it and the bound, e.g. `load.rate: 250000 is above the limit 100000`.
 * Threshold expressions (`p99 < 20ms`, `errors < 1%`, `rps > 1000`) are parsed here and
 * evaluated by the control core with fc_threshold_eval().
 *
 * Everything here runs at setup time on the control core; it allocates and does I/O.
 * IPv4 addresses are in network byte order, durations in nanoseconds, sizes in bytes.
 */
#ifndef FC_SCENARIO_H
#define FC_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "fc_http.h"

/* ------------------------------------------------------------------------------------ */
/* Error list                                                                            */
/* ------------------------------------------------------------------------------------ */

#define FC_ERRORS_MAX 32        /**< messages kept; later ones are only counted */
#define FC_ERROR_LEN 256        /**< bytes per message, NUL included */

/** A bounded list of error messages gathered by loading and validation. */
struct fc_errors {
	char msg[FC_ERRORS_MAX][FC_ERROR_LEN]; /**< the first FC_ERRORS_MAX messages */
	unsigned count;         /**< messages stored */
	unsigned dropped;       /**< messages that did not fit */
};

/** @param e  list to empty */
void fc_errors_init(struct fc_errors *e);

/**
 * Append a printf-formatted message (truncated to FC_ERROR_LEN - 1 bytes).
 * @param e    list
 * @param fmt  format
 */
void fc_errors_add(struct fc_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Print one message per line, prefixed with "error: ", then how many were dropped.
 * @param e  list
 * @param f  stream
 */
void fc_errors_print(const struct fc_errors *e, FILE *f);

/** @return the total number of errors, stored and dropped. */
static inline unsigned
fc_errors_total(const struct fc_errors *e)
{
	return e->count + e->dropped;
}

/* ------------------------------------------------------------------------------------ */
/* Units                                                                                 */
/* ------------------------------------------------------------------------------------ */

/**
 * Parse a duration: a decimal number with an optional unit ns, us, ms, s, m, h; a bare
 * number is seconds ("10" = 10 s, as wrk's -d). Examples: "250ms", "1.5s", "2m", "1h".
 * @param s    text
 * @param out  nanoseconds
 * @return 0, or -EINVAL (syntax, unknown unit, negative) or -ERANGE (above 2^63 ns).
 */
int fc_parse_duration(const char *s, uint64_t *out);

/**
 * Parse a count with an optional decimal suffix k (1e3), M (1e6), G (1e9): "100k", "1M",
 * "1.5k". The result must be a whole number.
 * @param s    text
 * @param out  value
 * @return 0, -EINVAL or -ERANGE.
 */
int fc_parse_count(const char *s, uint64_t *out);

/**
 * Parse a rate (requests per second): like a count but fractions are kept ("0.5", "20k").
 * @param s    text
 * @param out  value
 * @return 0, -EINVAL or -ERANGE.
 */
int fc_parse_rate(const char *s, double *out);

/**
 * Parse a size: a number with an optional suffix Ki, Mi, Gi, Ti (powers of 1024) or
 * k, M, G, T (powers of 1000), optionally followed by "B": "128Mi", "512Gi", "4096".
 * @param s    text
 * @param out  bytes
 * @return 0, -EINVAL or -ERANGE.
 */
int fc_parse_size(const char *s, uint64_t *out);

/**
 * Format a duration with the largest unit that shows it exactly ("10s", "1500ms", "24h").
 * @param ns   nanoseconds
 * @param buf  output
 * @param len  size of @p buf
 * @return @p buf
 */
char *fc_fmt_duration(uint64_t ns, char *buf, size_t len);

/**
 * Format a size with the largest binary suffix that shows it exactly ("128Mi", "1000").
 * @param bytes  size
 * @param buf    output
 * @param len    size of @p buf
 * @return @p buf
 */
char *fc_fmt_size(uint64_t bytes, char *buf, size_t len);

/**
 * Parse "A.B.C.D/LEN" (or a bare address, taken as /32).
 * @param s       text
 * @param net     network byte order address, masked to the prefix
 * @param prefix  prefix length 0..32
 * @return 0 or -EINVAL.
 */
int fc_parse_cidr(const char *s, uint32_t *net, uint8_t *prefix);

/**
 * Check a database URL against ^(mysql|postgresql|mongodb|redis)://host:port/db$
 * (host: letters, digits, '.', '-'; port 1..65535; db: letters, digits, '_', '-', '.').
 * No scenario field takes one today; any that does must call this.
 * @param url  text
 * @return true when it matches.
 */
bool fc_db_url_valid(const char *url);

/* ------------------------------------------------------------------------------------ */
/* Limits envelope                                                                       */
/* ------------------------------------------------------------------------------------ */

/** The envelope every scenario is validated against (defaults: docs/scenarios.md). */
struct fc_limits {
	uint32_t connections_min;       /**< default 1 */
	uint32_t connections_max;       /**< default 50000 */
	uint64_t duration_min_ns;       /**< default 10 s */
	uint64_t duration_max_ns;       /**< default 24 h */
	uint64_t ramp_up_min_ns;        /**< default 0 */
	uint64_t ramp_up_max_ns;        /**< default 3600 s */
	double rate_min;                /**< default 0.1 req/s */
	double rate_max;                /**< default 100000 req/s */
	uint64_t timeout_min_ns;        /**< connect and request timeouts, default 100 ms */
	uint64_t timeout_max_ns;        /**< default 5 min */
	uint32_t cores_min;             /**< worker cores, default 1 */
	uint32_t cores_max;             /**< default 64 */
	uint64_t memory_min;            /**< bytes, default 128Mi */
	uint64_t memory_max;            /**< bytes, default 512Gi */
	bool widened;                   /**< loaded from a limits file */
	char path[256];                 /**< the limits file, when widened */
};

/** @param l  filled with the default envelope (the defaults listed per member) */
void fc_limits_default(struct fc_limits *l);

/**
 * Load a limits file over the defaults. The file is a JSON object whose keys are
 * connections, duration, ramp_up, rate, timeout, cores, memory; each holds {"min": V,
 * "max": V} (either may be omitted) with values in the same units as the scenario.
 *
 * @param path  file
 * @param l     limits to update (start from fc_limits_default()); widened is set
 * @param errs  receives every problem (unreadable file, bad JSON, unknown key, min > max)
 * @return 0, or -EINVAL when errors were added.
 */
int fc_limits_load(const char *path, struct fc_limits *l, struct fc_errors *errs);

/* ------------------------------------------------------------------------------------ */
/* Scenario                                                                              */
/* ------------------------------------------------------------------------------------ */

#define FC_SCENARIO_MAX_STAGES 32       /**< stages per scenario */
#define FC_SCENARIO_MAX_REQUESTS FC_HTTP_MIX_MAX /**< request templates per scenario */
#define FC_SCENARIO_MAX_HEADERS 16      /**< headers per request, and common headers */
#define FC_SCENARIO_MAX_THRESHOLDS 16   /**< threshold expressions */
#define FC_SCENARIO_MAX_ALLOW 16        /**< extra allow-list entries */
#define FC_SCENARIO_TEXT 24             /**< bytes kept of a value as the user wrote it */
#define FC_SCENARIO_MAX_PIPELINE 64     /**< requests in flight per connection (client parser bound) */
#define FC_SCENARIO_MAX_RETRIES 10      /**< sends again of one request after a server close */
#define FC_SCENARIO_EMBEDDED_TARGET "http://198.18.0.2/" /**< target of --embedded when none is given */

/** Load models. */
enum fc_load_model {
	FC_LOAD_CLOSED = 0,     /**< wrk: each connection sends when the previous response came */
	FC_LOAD_CONSTANT,       /**< wrk2: open loop at a constant rate */
	FC_LOAD_POISSON,        /**< open loop with exponential inter-arrival times */
};

/** Fields whose text as written is kept for messages (index of fc_scenario::text). */
enum fc_scenario_field {
	FC_F_CONNECTIONS = 0,
	FC_F_DURATION,
	FC_F_RAMP_UP,
	FC_F_RATE,
	FC_F_THINK_TIME,
	FC_F_PIPELINE,
	FC_F_RETRIES,
	FC_F_CONNECT_TIMEOUT,
	FC_F_REQUEST_TIMEOUT,
	FC_F_CORES,
	FC_F_MEMORY,
	FC_F_MODEL,
	FC_F_COUNT,
};

/** The target, from a URL "http://HOST[:PORT][/PATH]", HOST an IPv4 address or a name. */
struct fc_scenario_target {
	char url[512];          /**< as given */
	char host[64];          /**< the host part as written (the Host header keeps it) */
	uint32_t ip;            /**< IPv4, network byte order; for a name, set by validation */
	bool named;             /**< HOST is a name, resolved by fc_scenario_validate() */
	bool resolved;          /**< @p ip holds HOST's address (always, for an IPv4 HOST) */
	uint16_t port;          /**< default 80 */
	char path[256];         /**< default "/" (query included) */
	bool set;               /**< a URL was given */
};

/** How the load is applied. */
struct fc_scenario_load {
	enum fc_load_model model; /**< default closed; constant when a rate is given */
	double rate;            /**< requests/s over all connections (open loop); 0 when closed */
	uint32_t connections;   /**< default 10 (wrk) */
	uint64_t duration_ns;   /**< default 10 s; the sum of the stages when stages are given */
	uint64_t ramp_up_ns;    /**< linear ramp of rate and connections, default 0 */
	uint64_t think_time_ns; /**< closed loop: pause between a response and the next request */
	uint32_t pipeline;      /**< requests in flight per connection, default 1 */
	uint32_t retries;       /**< times an idempotent request is sent again after the server
				  * closed its connection under it (RFC 9112 §9.3.2), default 2 */
	bool keepalive;         /**< default true; false = Connection: close, one request per connection */
};

/** A k6-style stage: ramp linearly from the previous level to this target over duration. */
struct fc_stage {
	uint64_t duration_ns;   /**< stage length */
	double rate;            /**< target rate at the end of the stage (open loop) */
	uint32_t connections;   /**< target connections at the end of the stage */
	char text_duration[FC_SCENARIO_TEXT];    /**< duration as written */
	char text_rate[FC_SCENARIO_TEXT];        /**< rate as written */
	char text_connections[FC_SCENARIO_TEXT]; /**< connections as written */
};

/** One request template of the mix. Strings are owned (malloc'd). */
struct fc_scenario_request {
	char method[16];        /**< default "GET" */
	char *path;             /**< NULL: the target's path */
	char *headers[FC_SCENARIO_MAX_HEADERS]; /**< "Name: value" */
	unsigned num_headers;   /**< entries in @p headers */
	char *body;             /**< request body or NULL */
	size_t body_len;        /**< bytes of @p body */
	uint32_t weight;        /**< relative weight, default 1 */
};

/** Threshold metrics. */
enum fc_threshold_metric {
	FC_TH_PERCENTILE = 0,   /**< latency percentile (pNN, pNN.N), value in ns */
	FC_TH_MEAN,             /**< mean latency ("mean" or "avg"), ns */
	FC_TH_MIN,              /**< min latency, ns */
	FC_TH_MAX,              /**< max latency, ns */
	FC_TH_ERRORS,           /**< errors: a ratio when written with %, else a count */
	FC_TH_RPS,              /**< achieved requests per second */
};

/** Comparison operators; the threshold passes when "metric OP value" holds. */
enum fc_threshold_op {
	FC_TH_LT = 0,           /**< < */
	FC_TH_LE,               /**< <= */
	FC_TH_GT,               /**< > */
	FC_TH_GE,               /**< >= */
};

/** A parsed threshold expression. */
struct fc_threshold {
	char expr[64];          /**< the expression as written */
	enum fc_threshold_metric metric; /**< what is compared */
	double percentile;      /**< for FC_TH_PERCENTILE: 0 < p <= 100 */
	enum fc_threshold_op op; /**< comparison */
	double value;           /**< ns for latency, a fraction (0.01) for errors in %, a count, or req/s */
	bool percent;           /**< errors given as a percentage */
};

#define FC_SCENARIO_MAX_TAGS 16         /**< --tag labels per run */
#define FC_SCENARIO_TAG_KEY 64          /**< bytes of a tag key, NUL included */
#define FC_SCENARIO_TAG_VALUE 128       /**< bytes of a tag value, NUL included */
#define FC_SCENARIO_MAX_TOLERANCES 8    /**< --tolerance items kept (parsed by lib/results) */

/** A label of the run (--tag KEY=VALUE, "tags" in a scenario), copied to the result's meta.tags. */
struct fc_tag {
	char key[FC_SCENARIO_TAG_KEY];     /**< letters, digits, '_', '.', '-' */
	char value[FC_SCENARIO_TAG_VALUE]; /**< printable text */
};

/** Output options. */
struct fc_scenario_output {
	char json_path[256];    /**< JSON report file, "" for none */
	char hgrm_path[256];    /**< .hgrm percentile spectrum file, "" for none */
	char hlog_path[256];    /**< HdrHistogram interval log (format 1.3), "" for none */
	bool latency;           /**< print the detailed latency spectrum (wrk --latency) */
};

/** Port options (override the profile). */
struct fc_scenario_port {
	char iface[64];         /**< kernel interface the profile's PMD attaches to, "" = profile's */
	uint32_t local_ip;      /**< appliance address, network byte order, 0 = profile's */
	uint8_t local_prefix;   /**< its prefix length */
	uint32_t gateway;       /**< next hop, 0 = none (on-link target) */
};

/** An allow-list entry. */
struct fc_cidr {
	uint32_t net;           /**< network byte order, masked */
	uint8_t prefix;         /**< 0..32 */
};

/**
 * Resolve a host name to one IPv4 address.
 * @param name  host name (letters, digits, '-' and '.')
 * @param ip    the address, network byte order
 * @param why   on failure, the reason (NUL-terminated)
 * @param len   size of @p why
 * @return 0, or -ENOENT when the name has no IPv4 address, -EAGAIN when the resolver
 *         could not answer now, -EINVAL when @p name is a numeric form, not a name.
 */
typedef int (*fc_scenario_resolve_fn)(const char *name, uint32_t *ip, char *why, size_t len);

/** A complete, resolved scenario. Initialise with fc_scenario_init(), release with fc_scenario_free(). */
/**
 * The netem-style impairment options as written (--impair both ways, --impair-rx,
 * --impair-tx). lib/net parses the specs (fc_impair_parse()); this library stays free of
 * DPDK, so it only keeps the text and which flag gave it, for the messages.
 */
struct fc_impair_spec {
	const char *rx;         /**< spec for received frames, NULL = none (points into argv) */
	const char *tx;         /**< spec for sent frames, NULL = none */
	const char *rx_flag;    /**< "--impair" or "--impair-rx" */
	const char *tx_flag;    /**< "--impair" or "--impair-tx" */
};

struct fc_scenario {
	struct fc_scenario_target target;       /**< where the load goes */
	struct fc_scenario_load load;           /**< how much and how */
	struct fc_stage stages[FC_SCENARIO_MAX_STAGES]; /**< k6 stages, run in order */
	unsigned num_stages;                    /**< entries in @p stages */
	struct fc_scenario_request requests[FC_SCENARIO_MAX_REQUESTS]; /**< the request mix */
	unsigned num_requests;                  /**< 0: one GET of the target path */
	char *headers[FC_SCENARIO_MAX_HEADERS]; /**< headers added to every request (-H) */
	unsigned num_headers;                   /**< entries in @p headers */
	uint64_t connect_timeout_ns;            /**< default 2 s */
	uint64_t request_timeout_ns;            /**< default 2 s (wrk --timeout) */
	struct fc_threshold thresholds[FC_SCENARIO_MAX_THRESHOLDS]; /**< checked by the control core */
	unsigned num_thresholds;                /**< entries in @p thresholds */
	bool abort_on_fail;                     /**< stop the load when a threshold fails */
	struct fc_scenario_output output;       /**< reports */
	uint32_t cores;                         /**< client worker cores, default 1 */
	uint64_t memory;                        /**< bytes for mempools, default 512Mi */
	struct fc_cidr allow[FC_SCENARIO_MAX_ALLOW]; /**< extra allowed target networks */
	unsigned num_allow;                     /**< entries in @p allow */
	char profile_path[256];                 /**< drivers_cfg profile, "" = none (embedded) */
	struct fc_scenario_port port;           /**< port overrides */
	char eal[512];                          /**< EAL arguments overriding the profile's, "" = none */
	bool embedded;                          /**< in-process client/server pair */
	char limits_path[256];                  /**< --limits file ("" = defaults) */
	bool limits_widened;                    /**< validated against a limits file */
	char source[256];                       /**< scenario file loaded, "" for flags only */
	struct fc_tag tags[FC_SCENARIO_MAX_TAGS]; /**< labels for the result file */
	unsigned num_tags;                      /**< entries in @p tags */
	char baseline_path[256];                /**< result file to compare the run with, "" = none */
	char tolerance[FC_SCENARIO_MAX_TOLERANCES][64]; /**< tolerance items as written ("5%",
						  *   "p99=10%"); lib/results parses them */
	unsigned num_tolerance;                 /**< entries in @p tolerance */
	char text[FC_F_COUNT][FC_SCENARIO_TEXT]; /**< values as written ("" = default), for messages */
	fc_scenario_resolve_fn resolve;         /**< target host names, fc_scenario_resolve_ipv4() by default */
	struct fc_impair_spec impair;           /**< --impair* (flags only) */
};

/** @param sc  filled with the defaults (no allocation) */
void fc_scenario_init(struct fc_scenario *sc);

/** @param sc  scenario whose strings are freed; it is re-initialised */
void fc_scenario_free(struct fc_scenario *sc);

/**
 * Load a scenario file over @p sc (call fc_scenario_init() first). Unknown fields, wrong
 * types and unparsable values are errors naming the JSON path; all are gathered.
 *
 * @param path  JSON file
 * @param sc    scenario to update
 * @param errs  receives errors, e.g. "f.json:3:12: invalid JSON near ..." or
 *              "load.rate: \"fast\" is not a rate"
 * @return 0, or -EINVAL when errors were added (-ENOENT style I/O failures are also
 *         reported as -EINVAL with the reason in @p errs).
 */
int fc_scenario_load_file(const char *path, struct fc_scenario *sc, struct fc_errors *errs);

/**
 * Same as fc_scenario_load_file() on a JSON text (used by tests and the fuzzer).
 * @param json  NUL-terminated text
 * @param name  name used in messages
 * @param sc    scenario to update
 * @param errs  errors
 * @return 0 or -EINVAL.
 */
int fc_scenario_load_string(const char *json, const char *name, struct fc_scenario *sc,
		struct fc_errors *errs);

/** fc_scenario_from_argv() return value when -h/--help was given (nothing else done). */
#define FC_SCENARIO_HELP 1

/**
 * Build a scenario from `run` flags (wrk/wrk2 style). --scenario FILE is loaded first and
 * the other flags override it; --limits FILE is loaded into @p limits. The target URL is
 * the last positional argument. Options and the URL may come in any order (fc_opts.h).
 * To report every error at once, call fc_scenario_validate() even when this fails: values
 * that failed to parse keep their defaults and are not reported twice.
 *
 * @param argc    argument count
 * @param argv    arguments; argv[0] (program or subcommand name) is skipped
 * @param sc      initialised scenario to fill
 * @param limits  envelope to update from --limits (start from fc_limits_default())
 * @param errs    every error (unknown flag named, bad value, missing argument)
 * @return 0, FC_SCENARIO_HELP, or -EINVAL when errors were added.
 */
int fc_scenario_from_argv(int argc, char **argv, struct fc_scenario *sc, struct fc_limits *limits,
		struct fc_errors *errs);

/**
 * Add a label (replacing the value of an existing key).
 * @param sc     scenario
 * @param key    1..63 bytes of letters, digits, '_', '.', '-'
 * @param value  0..127 printable bytes
 * @param where  field named in messages ("--tag", "tags")
 * @param errs   receives "WHERE: ..." naming the value and the bound
 * @return 0 or -EINVAL.
 */
int fc_scenario_add_tag(struct fc_scenario *sc, const char *key, const char *value,
		const char *where, struct fc_errors *errs);

/**
 * Print the `run` usage text.
 * @param f  stream
 */
void fc_scenario_usage(FILE *f);

/**
 * Check every field against the envelope, the allow-list and consistency rules, and
 * gather all errors: `field.path: VALUE is above the limit BOUND`, `... is below the
 * limit BOUND`, or a reason. Also resolves: a target host name to its IPv4 address (with
 * sc->resolve, once; the allow-list is checked on that address), stages set duration,
 * embedded fills a default target, limits_widened follows @p limits.
 *
 * @param sc      scenario (resolved in place)
 * @param limits  envelope
 * @param errs    errors
 * @return 0 when valid, -EINVAL when errors were added.
 */
int fc_scenario_validate(struct fc_scenario *sc, const struct fc_limits *limits, struct fc_errors *errs);

/**
 * Parse "http://HOST[:PORT][/PATH]" into @p t. HOST is a dotted-quad IPv4 address or a
 * host name (RFC 1123 labels of letters, digits and '-'); a name is only checked for its
 * form here (t->named) and resolved once by fc_scenario_validate(), on the control core,
 * before anything is sent.
 * @param url   text
 * @param t     target
 * @param errs  errors naming target.scheme / target.host / target.port
 * @return 0 or -EINVAL.
 */
int fc_scenario_set_target(const char *url, struct fc_scenario_target *t, struct fc_errors *errs);

/**
 * The default resolver: getaddrinfo() for IPv4 (AF_INET), which reads /etc/hosts and DNS
 * as /etc/nsswitch.conf says; the first address returned is taken. Blocks: control core
 * only, never on a worker. Numeric forms getaddrinfo would also accept ("0x7f.1",
 * "2130706433") are refused: an address must be a dotted quad.
 * @param name  host name
 * @param ip    the address, network byte order
 * @param why   on failure, the reason (gai_strerror's text)
 * @param len   size of @p why
 * @return 0, -ENOENT (no such name, or no IPv4 address), -EAGAIN (resolver failure, try
 *         later), -EINVAL (a numeric form).
 */
int fc_scenario_resolve_ipv4(const char *name, uint32_t *ip, char *why, size_t len);

/**
 * Resolve @p t when its host is a name (nothing to do for an address or when already
 * resolved), with @p fn. The Host header keeps the name.
 * @param t     target
 * @param fn    resolver (fc_scenario_resolve_ipv4 for the real one)
 * @param errs  on failure, "target.host: NAME does not resolve to an IPv4 address (...)"
 * @return 0, or -EINVAL when an error was added.
 */
int fc_scenario_resolve_target(struct fc_scenario_target *t, fc_scenario_resolve_fn fn,
		struct fc_errors *errs);

/**
 * Is @p ip allowed as a target: 198.18.0.0/15, 127.0.0.0/8 or an extra entry?
 * @param sc  scenario (its allow list)
 * @param ip  network byte order
 * @return true when allowed.
 */
bool fc_scenario_target_allowed(const struct fc_scenario *sc, uint32_t ip);

/**
 * Render the request mix: each request (or one GET of the target path), the common
 * headers, Host from the target, Connection: close when keepalive is off.
 * @param sc    validated scenario
 * @param mix   zero-initialised mix to fill (free with fc_http_mix_free())
 * @param errs  errors ("requests[1].headers[0]: ...")
 * @return 0 or -EINVAL.
 */
int fc_scenario_build_mix(const struct fc_scenario *sc, struct fc_http_mix *mix, struct fc_errors *errs);

/**
 * The resolved scenario as JSON (same keys as the file format, durations as strings),
 * plus "limits": {"widened", "file"} for the report.
 * @param sc  scenario
 * @return a new cJSON object (cJSON_Delete it), or NULL when out of memory.
 */
cJSON *fc_scenario_to_json(const struct fc_scenario *sc);

/* ------------------------------------------------------------------------------------ */
/* Thresholds                                                                            */
/* ------------------------------------------------------------------------------------ */

/** Returns the latency at @p percentile (0..100] in ns, e.g. from lib/hist. */
typedef uint64_t (*fc_percentile_fn)(void *ctx, double percentile);

/** What the control core measured, for threshold evaluation. */
struct fc_metrics {
	uint64_t requests;      /**< completed + errors (the denominator of the error ratio) */
	uint64_t errors;        /**< errors.total */
	double rps;             /**< achieved requests per second */
	uint64_t min_ns;        /**< latency min */
	uint64_t max_ns;        /**< latency max */
	double mean_ns;         /**< latency mean */
	fc_percentile_fn percentile; /**< percentile lookup */
	void *ctx;              /**< argument of @p percentile */
};

/**
 * Parse a threshold expression: METRIC OP VALUE with METRIC pNN[.N] | mean | avg | min |
 * max | errors | rps, OP < <= > >=, VALUE a duration for latency ("20ms"), a percentage
 * or count for errors ("1%", "10"), a rate for rps ("1000", "10k").
 * @param expr  text
 * @param th    parsed threshold
 * @param err   reason on failure
 * @param errlen size of @p err
 * @return 0 or -EINVAL.
 */
int fc_threshold_parse(const char *expr, struct fc_threshold *th, char *err, size_t errlen);

/**
 * Evaluate a threshold.
 * @param th      threshold
 * @param m       measurements
 * @param msg     receives e.g. "p99 < 20ms: 25.3ms, failed" or "errors < 1%: 0.12%, ok"
 * @param msglen  size of @p msg
 * @return 1 when it holds, 0 when it fails, -EINVAL when @p m lacks what is needed
 *         (no percentile function for a percentile threshold).
 */
int fc_threshold_eval(const struct fc_threshold *th, const struct fc_metrics *m, char *msg, size_t msglen);

/* ------------------------------------------------------------------------------------ */
/* `flashcrowd serve` configuration                                                      */
/* ------------------------------------------------------------------------------------ */

/** One responder route as configured (owned strings); see struct fc_http_route_spec. */
struct fc_serve_route {
	char path[256];         /**< exact path, "PREFIX*" or "*" */
	uint16_t status;        /**< 200 by default */
	char content_type[64];  /**< "" = text/plain */
	char *headers[FC_HTTP_ROUTE_MAX_HEADERS]; /**< extra "Name: value" lines */
	unsigned num_headers;   /**< entries in @p headers */
	char *body;             /**< literal body, or NULL */
	size_t body_len;        /**< bytes of @p body */
	uint64_t body_size;     /**< generated body size when there is no body or file (0..1 MiB) */
	char body_file[256];    /**< file whose content is the body, "" for none */
	bool chunked;           /**< Transfer-Encoding: chunked */
	bool close;             /**< close the connection after each response */
	uint32_t chunk_size;    /**< bytes per chunk, 0 = one chunk */
	uint64_t delay_min_ns;  /**< fixed delay, or the low end of a uniform one */
	uint64_t delay_max_ns;  /**< high end (== min for a fixed delay) */
};

/** Everything `flashcrowd serve` needs besides the port profile. */
struct fc_serve_conf {
	struct fc_serve_route routes[FC_HTTP_MAX_ROUTES]; /**< first match wins; unmatched paths get 404 */
	unsigned num_routes;    /**< 0 after init: resolved to one catch-all 200 with a 100-byte body */
	uint32_t connections;   /**< concurrent connections to provision, default 10000 */
	uint32_t cores;         /**< server worker cores, default 1 */
	uint64_t memory;        /**< bytes for mempools, default 512Mi */
	char profile_path[256]; /**< drivers_cfg profile */
	struct fc_scenario_port port; /**< port overrides */
	char eal[512];          /**< EAL arguments overriding the profile's */
	char source[256];       /**< routes file loaded, "" for none */
	char text[3][FC_SCENARIO_TEXT]; /**< connections, cores, memory as written */
	const char *peer;       /**< --peer as written (points into argv), NULL = not given */
	const char *json_path;  /**< --json: the final counters (points into argv), or NULL */
	uint32_t peer_ip;       /**< network order: the client (or its router) to ARP for */
	uint16_t listen_port;   /**< --port, default 80 */
	uint64_t duration_ns;   /**< -d, 0 = until a signal */
	struct fc_impair_spec impair; /**< --impair* */
};

/** Default body size of the implicit catch-all route (the ~100 B responses of the benchmarks). */
#define FC_SERVE_DEFAULT_BODY 100

/** @param c  filled with defaults (no routes yet) */
void fc_serve_init(struct fc_serve_conf *c);

/** @param c  configuration whose strings are freed; it is re-initialised */
void fc_serve_free(struct fc_serve_conf *c);

/**
 * Load a serve file: {"routes": [{"path", "status", "content_type", "headers", "body",
 * "body_size", "body_file", "chunked", "chunk_size", "delay"}], "connections", "cores",
 * "memory", "profile", "port", "eal"}. "delay" is a duration or {"min": D, "max": D}.
 *
 * @param path  JSON file
 * @param c     configuration to update
 * @param errs  every error, by JSON path
 * @return 0 or -EINVAL.
 */
int fc_serve_load_file(const char *path, struct fc_serve_conf *c, struct fc_errors *errs);

/**
 * `flashcrowd serve` flags: --routes FILE (loaded first), then a catch-all route shaped by
 * --status N, --body-size SIZE, --body STR, --body-file FILE, -H/--header (repeatable),
 * --content-type T, --chunked, --chunk-size SIZE, --delay D or --delay MIN:MAX; and
 * -c/--connections, -t/--threads, --memory, --profile, --iface, --local-ip, --gateway, --eal.
 *
 * @param argc  argument count
 * @param argv  arguments; argv[0] is skipped
 * @param c     initialised configuration
 * @param errs  every error (unknown flag named)
 * @return 0, FC_SCENARIO_HELP for -h/--help, or -EINVAL.
 */
int fc_serve_from_argv(int argc, char **argv, struct fc_serve_conf *c, struct fc_errors *errs);

/** @param f  stream for the `serve` usage text */
void fc_serve_usage(FILE *f);

/**
 * Resolve the default route, check the envelope (connections, cores, memory) and render
 * every route once with fc_http_server_create() to report bad routes.
 * @param c       configuration
 * @param limits  envelope
 * @param errs    errors ("routes[1]: ...", "cores: 65 is above the limit 64")
 * @return 0 or -EINVAL.
 */
int fc_serve_validate(struct fc_serve_conf *c, const struct fc_limits *limits, struct fc_errors *errs);

/**
 * Build the responder from a validated configuration.
 * @param c     configuration
 * @param errs  errors
 * @return the server (free with fc_http_server_free()), or NULL with errno set.
 */
struct fc_http_server *fc_serve_create_server(const struct fc_serve_conf *c, struct fc_errors *errs);

#endif /* FC_SCENARIO_H */
