/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core counters: snapshots, sums and Prometheus exposition.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fc_stats.h"

_Static_assert(sizeof(struct fc_stats_core) % sizeof(uint64_t) == 0, "word array");
_Static_assert(sizeof(struct fc_stats_core) == 24 * sizeof(uint64_t),
	"no implicit padding: every word is a counter");

void
fc_stats_snapshot(struct fc_stats_core *dst, const struct fc_stats_core *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	/* Relaxed: each word is a single-copy-atomic aligned load; see fc_stats.h. */
	for (size_t i = 0; i < FC_STATS_WORDS; i++)
		d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void
fc_stats_sum(struct fc_stats_core *acc, const struct fc_stats_core *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *a = (uint64_t *)acc;

	for (size_t i = 0; i < FC_STATS_WORDS; i++)
		a[i] += s[i];
}

void
fc_stats_collect(struct fc_stats_core *total, const struct fc_stats_core *cores, unsigned n)
{
	struct fc_stats_core snap;

	memset(total, 0, sizeof(*total));
	for (unsigned i = 0; i < n; i++) {
		fc_stats_snapshot(&snap, &cores[i]);
		fc_stats_sum(total, &snap);
	}
}

uint64_t
fc_stats_errors_total(const struct fc_stats_core *st)
{
	uint64_t n = 0;

	for (int k = 0; k < FC_STATS_ERR_MAX; k++)
		n += st->err[k];
	return n;
}

static const char *const err_names[FC_STATS_ERR_MAX] = {
	[FC_STATS_ERR_CONNECT] = "connect",
	[FC_STATS_ERR_TIMEOUT] = "timeout",
	[FC_STATS_ERR_RESET] = "reset",
	[FC_STATS_ERR_CLOSED] = "closed_unanswered",
	[FC_STATS_ERR_PARSE] = "parse",
	[FC_STATS_ERR_OTHER] = "other",
};

const char *
fc_stats_err_name(enum fc_stats_err kind)
{
	return (unsigned)kind < FC_STATS_ERR_MAX ? err_names[kind] : "unknown";
}

/* A simple per-core metric: field offset, name, type, help. */
struct prom_metric {
	size_t off;
	const char *name;
	const char *type;
	const char *help;
};

#define M(field, name, type, help) { offsetof(struct fc_stats_core, field), name, type, help }
static const struct prom_metric prom_simple[] = {
	M(req_sent, "flashcrowd_requests_sent_total", "counter", "Requests handed to TCP."),
	M(req_completed, "flashcrowd_requests_completed_total", "counter",
		"Complete responses received, any status."),
	M(req_retried, "flashcrowd_requests_retried_total", "counter",
		"Requests sent again after the server closed their connection."),
	M(bytes_rx, "flashcrowd_rx_bytes_total", "counter", "HTTP bytes received."),
	M(bytes_tx, "flashcrowd_tx_bytes_total", "counter", "HTTP bytes sent."),
	M(conn_open, "flashcrowd_connections_open", "gauge", "Connections currently established."),
	M(connects, "flashcrowd_connects_total", "counter", "Connections established."),
	M(connect_attempts, "flashcrowd_connect_attempts_total", "counter", "Connections started."),
	M(sched_late, "flashcrowd_requests_late_total", "counter",
		"Open loop: requests sent after their intended time."),
};
#undef M

static uint64_t
word_at(const struct fc_stats_core *st, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)st + off, sizeof(v));
	return v;
}

int
fc_stats_write_prometheus(FILE *f, const struct fc_stats_core *cores, unsigned n)
{
	static const char *const cls[6] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	int bad = 0;

	if (f == NULL || (n > 0 && cores == NULL))
		return -EINVAL;
	for (size_t m = 0; m < sizeof(prom_simple) / sizeof(prom_simple[0]); m++) {
		const struct prom_metric *pm = &prom_simple[m];

		bad |= fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", pm->name, pm->help, pm->name,
				pm->type) < 0;
		for (unsigned c = 0; c < n; c++)
			bad |= fprintf(f, "%s{core=\"%u\"} %" PRIu64 "\n", pm->name, c,
					word_at(&cores[c], pm->off)) < 0;
	}
	bad |= fprintf(f, "# HELP flashcrowd_request_errors_total Failed requests by kind.\n"
			"# TYPE flashcrowd_request_errors_total counter\n") < 0;
	for (unsigned c = 0; c < n; c++)
		for (int k = 0; k < FC_STATS_ERR_MAX; k++)
			bad |= fprintf(f, "flashcrowd_request_errors_total{core=\"%u\",kind=\"%s\"} %"
					PRIu64 "\n", c, err_names[k], cores[c].err[k]) < 0;
	bad |= fprintf(f, "# HELP flashcrowd_responses_total Responses by status class.\n"
			"# TYPE flashcrowd_responses_total counter\n") < 0;
	for (unsigned c = 0; c < n; c++)
		for (int k = 0; k < 6; k++)
			bad |= fprintf(f, "flashcrowd_responses_total{core=\"%u\",class=\"%s\"} %"
					PRIu64 "\n", c, cls[k], cores[c].status[k]) < 0;
	return bad ? -EIO : 0;
}
