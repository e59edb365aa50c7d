/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fc_clock.h"
#include "fc_player.h"
#include "fc_port_io.h"

#define LEAD_NS 10000000ull             /* frame 0 is due this long after the launch */
#define BOUND_SLACK_NS 10000000000ull   /* past the intended end: a stuck queue ends the run */

int
fc_player_init(struct fc_player *p, const struct fc_player_conf *conf)
{
	const struct fc_pcap_raw *c = conf->cap;

	memset(p, 0, sizeof(*p));
	if (c == NULL || c->nb_pkts == 0 || conf->loops == 0 || conf->speed <= 0)
		return -EINVAL;
	p->conf = *conf;
	p->lag = fc_hist_create(SOCKET_ID_ANY);
	if (p->lag == NULL)
		return -ENOMEM;
	/* Loop k starts one mean frame gap after loop k - 1 ended. */
	uint64_t last = c->pkts[c->nb_pkts - 1].t_ns;

	p->period_ns = last + (c->nb_pkts > 1 ? last / (c->nb_pkts - 1) : 1000000ull);
	p->total = (uint64_t)c->nb_pkts * conf->loops;
	p->intended_s = conf->topspeed ? 0 : conf->pps > 0 ? (double)(p->total - 1) / conf->pps :
			((double)(conf->loops - 1) * p->period_ns + last) / conf->speed / 1e9;
	p->bound_ns = (uint64_t)(p->intended_s * 1e9) + BOUND_SLACK_NS;
	return 0;
}

static uint64_t
due_ns(const struct fc_player *p, uint64_t k)
{
	const struct fc_player_conf *c = &p->conf;
	const struct fc_pcap_raw_pkt *f = &c->cap->pkts[k % c->cap->nb_pkts];

	if (c->topspeed)
		return p->start_ns;
	if (c->pps > 0)
		return p->start_ns + (uint64_t)((double)k * 1e9 / c->pps);
	return p->start_ns +
	       (uint64_t)((double)(k / c->cap->nb_pkts * p->period_ns + f->t_ns) / c->speed);
}

bool
fc_player_poll(struct fc_player *p, uint64_t now)
{
	const struct fc_player_conf *c = &p->conf;
	struct rte_mbuf *rx[FC_PLAYER_BURST];
	uint16_t n = fc_port_rx_burst(c->port, c->queue, rx, FC_PLAYER_BURST);

	if (n)
		rte_pktmbuf_free_bulk(rx, n);
	while (p->next < p->total && p->nb_pending < FC_PLAYER_BURST) {
		const struct fc_pcap_raw_pkt *f = &c->cap->pkts[p->next % c->cap->nb_pkts];
		uint64_t due = due_ns(p, p->next);

		if (now < due)
			break;
		struct rte_mbuf *m = rte_pktmbuf_alloc(c->pool);

		if (m == NULL) {
			p->nomem++;
			break;
		}
		memcpy(rte_pktmbuf_append(m, (uint16_t)f->len), c->cap->bytes + f->off, f->len);
		if (!c->topspeed)
			fc_hist_record(p->lag, now - due);
		p->pending_idx[p->nb_pending] = (uint32_t)(p->next % c->cap->nb_pkts);
		p->pending[p->nb_pending++] = m;
		p->next++;
	}
	if (p->nb_pending) {
		uint16_t s = fc_port_tx_burst(c->port, c->queue, p->pending, (uint16_t)p->nb_pending);

		for (uint16_t i = 0; i < s; i++) {
			const struct fc_pcap_raw_pkt *f = &c->cap->pkts[p->pending_idx[i]];

			p->bytes += f->len;
			p->ip_fixed += f->ip_fixed;
			p->l4_fixed += f->l4_fixed;
		}
		p->sent += s;
		if (s > 0)
			p->end_ns = now;
		if (s < p->nb_pending) {
			/* Keep the order: the rest goes first next pass (bounded by the run bound). */
			memmove(p->pending, p->pending + s, sizeof(p->pending[0]) * (p->nb_pending - s));
			memmove(p->pending_idx, p->pending_idx + s,
				sizeof(p->pending_idx[0]) * (p->nb_pending - s));
			p->refused += p->nb_pending - s;
		}
		p->nb_pending -= s;
	}
	return p->next < p->total || p->nb_pending > 0;
}

int
fc_player_main(void *arg)
{
	struct fc_player *p = arg;
	const volatile sig_atomic_t *stop = p->conf.stop;

	p->start_ns = fc_now_ns() + LEAD_NS;
	for (;;) {
		uint64_t now = fc_now_ns();

		if ((stop && *stop) || (now > p->start_ns && now - p->start_ns > p->bound_ns))
			break;
		if (!fc_player_poll(p, now))
			break;
	}
	if (p->nb_pending)
		rte_pktmbuf_free_bulk(p->pending, p->nb_pending);
	p->nb_pending = 0;
	return 0;
}

/* Rates over the intervals between frames: n frames span n - 1 gaps. */
static void
rates(const struct fc_player *p, double *el, double *ach, double *want)
{
	*el = p->end_ns > p->start_ns ? (p->end_ns - p->start_ns) / 1e9 : 0;
	*ach = *el > 0 && p->sent > 1 ? (p->sent - 1) / *el : 0;
	*want = p->intended_s > 0 ? (p->total - 1) / p->intended_s : 0;
}

void
fc_player_print(const struct fc_player *p, FILE *f)
{
	double el, ach, want;

	rates(p, &el, &ach, &want);
	fprintf(f, "  sent %lu of %lu packets (%lu bytes) in %.3fs: %.0f pkt/s, %.2f Mbit/s\n",
		(unsigned long)p->sent, (unsigned long)p->total, (unsigned long)p->bytes, el, ach,
		el > 0 ? p->bytes * 8 / el / 1e6 : 0);
	if (!p->conf.topspeed)
		fprintf(f, "  intended %.3fs, %.0f pkt/s: achieved %.2f%% of the rate; send lag p50 "
			"%.1fus, p99 %.1fus, max %.1fus\n", p->intended_s, want,
			want > 0 ? 100.0 * ach / want : 0, fc_hist_percentile(p->lag, 50) / 1e3,
			fc_hist_percentile(p->lag, 99) / 1e3, fc_hist_max(p->lag) / 1e3);
	fprintf(f, "  rewritten: %lu IPv4 headers, %lu TCP/UDP checksums; %lu cut by the snaplen "
		"(sent as captured); tx queue full %lu times; no mbuf %lu times%s\n",
		(unsigned long)p->ip_fixed, (unsigned long)p->l4_fixed, (unsigned long)p->conf.cap->cut,
		(unsigned long)p->refused, (unsigned long)p->nomem,
		p->conf.stop && *p->conf.stop ? "; stopped by signal" : "");
}

cJSON *
fc_player_json(const struct fc_player *p)
{
	cJSON *o = cJSON_CreateObject();
	double el, ach, want;

	if (o == NULL)
		return NULL;
	rates(p, &el, &ach, &want);
	cJSON_AddNumberToObject(o, "packets_sent", (double)p->sent);
	cJSON_AddNumberToObject(o, "packets_planned", (double)p->total);
	cJSON_AddNumberToObject(o, "bytes_sent", (double)p->bytes);
	cJSON_AddNumberToObject(o, "duration_s", el);
	cJSON_AddNumberToObject(o, "intended_duration_s", p->intended_s);
	cJSON_AddNumberToObject(o, "pps", ach);
	cJSON_AddNumberToObject(o, "intended_pps", want);
	cJSON_AddNumberToObject(o, "mbps", el > 0 ? p->bytes * 8 / el / 1e6 : 0);
	cJSON_AddNumberToObject(o, "lag_p50_us", fc_hist_percentile(p->lag, 50) / 1e3);
	cJSON_AddNumberToObject(o, "lag_p99_us", fc_hist_percentile(p->lag, 99) / 1e3);
	cJSON_AddNumberToObject(o, "lag_max_us", fc_hist_max(p->lag) / 1e3);
	cJSON_AddNumberToObject(o, "ip_checksums_fixed", (double)p->ip_fixed);
	cJSON_AddNumberToObject(o, "l4_checksums_fixed", (double)p->l4_fixed);
	cJSON_AddNumberToObject(o, "snaplen_cut", (double)p->conf.cap->cut);
	cJSON_AddNumberToObject(o, "tx_full", (double)p->refused);
	return o;
}

void
fc_player_fini(struct fc_player *p)
{
	fc_hist_free(p->lag);
	p->lag = NULL;
}
