/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Local-port allocator for active opens.
 *
 * Free ports sit in FIFO lists: a port freed (after TIME_WAIT) goes to the tail and the head
 * is taken first, so ports are reused in least-recently-used order, which keeps a reused
 * 4-tuple as far as possible from its previous incarnation (RFC 9293 §3.4.1, RFC 6056 §2.2).
 *
 * RSS mode (multi-queue NICs). The NIC computes a Toeplitz hash of the reply's tuple
 * (src = server ip, dst = local ip, src port = server port, dst port = local port) and picks
 * the queue reta[hash % reta_size]. The Toeplitz hash is linear over GF(2), so
 *   H(srv, us, sport, lport) = H(srv, us, sport, 0) ^ H(0, 0, 0, lport).
 * At init every port's H(0,0,0,lport) modulo reta_size selects its bucket; at connect the
 * remote part is hashed once and a bucket b is suitable when reta[(base ^ b) % size] is our
 * queue. Each bucket is its own FIFO; the start bucket rotates to spread reuse.
 */
#include <errno.h>

#include <rte_malloc.h>
#include <rte_thash.h>

#include "tcp_internal.h"

static uint32_t
rss_hash(const struct fc_tcp_ctx *ctx, uint32_t src, uint32_t dst, uint16_t sport,
	uint16_t dport)
{
	struct rte_ipv4_tuple tup = {
		.src_addr = src,
		.dst_addr = dst,
		.sport = sport,
		.dport = dport,
	};

	return rte_softrss((uint32_t *)&tup, RTE_THASH_V4_L4_LEN, ctx->rss_key);
}

static void
bucket_push(struct tcp_ports *p, uint32_t b, uint32_t i)
{
	p->next[i] = 0;
	if (p->tail[b] != 0)
		p->next[p->tail[b] - 1] = (uint16_t)(i + 1);
	else
		p->head[b] = i + 1;
	p->tail[b] = i + 1;
	p->nfree++;
}

static int
bucket_pop(struct tcp_ports *p, uint32_t b)
{
	uint32_t i = p->head[b];

	if (i == 0)
		return -1;
	p->head[b] = p->next[i - 1];
	if (p->head[b] == 0)
		p->tail[b] = 0;
	p->nfree--;
	return (int)(i - 1);
}

int
ports_init(struct fc_tcp_ctx *ctx, int socket_id)
{
	struct tcp_ports *p = &ctx->ports;
	uint32_t n = (uint32_t)ctx->cfg.port_max - ctx->cfg.port_min + 1;
	uint32_t i;

	/* next[] holds index+1 in 16 bits: the full range 1..65535 has 65535 entries. */
	p->nb_buckets = ctx->cfg.rss_key != NULL ? ctx->cfg.reta_size : 1;
	p->next = rte_zmalloc_socket("fc_tcp_pnext", sizeof(uint16_t) * n, 0, socket_id);
	p->hbits = rte_zmalloc_socket("fc_tcp_phash", sizeof(uint16_t) * n, 0, socket_id);
	p->tcb = rte_zmalloc_socket("fc_tcp_ptcb", sizeof(uint32_t) * n, RTE_CACHE_LINE_SIZE,
		socket_id);
	p->nb_ports = n;
	p->head = rte_zmalloc_socket("fc_tcp_phead", sizeof(uint32_t) * p->nb_buckets, 0,
		socket_id);
	p->tail = rte_zmalloc_socket("fc_tcp_ptail", sizeof(uint32_t) * p->nb_buckets, 0,
		socket_id);
	if (p->next == NULL || p->hbits == NULL || p->tcb == NULL || p->head == NULL ||
	    p->tail == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint32_t b = 0;

		if (ctx->cfg.rss_key != NULL) {
			b = rss_hash(ctx, 0, 0, 0, (uint16_t)(ctx->cfg.port_min + i)) &
				(p->nb_buckets - 1);
			p->hbits[i] = (uint16_t)b;
		}
		bucket_push(p, b, i);
	}
	return 0;
}

void
ports_free(struct fc_tcp_ctx *ctx)
{
	struct tcp_ports *p = &ctx->ports;

	rte_free(p->next);
	rte_free(p->hbits);
	rte_free(p->tcb);
	rte_free(p->head);
	rte_free(p->tail);
	p->tcb = NULL;
	p->next = p->hbits = NULL;
	p->head = p->tail = NULL;
}

int
ports_alloc(struct fc_tcp_ctx *ctx, uint32_t rip, uint16_t rport)
{
	struct tcp_ports *p = &ctx->ports;
	uint32_t base, mask, k;
	int i;

	if (ctx->cfg.rss_key == NULL) {
		i = bucket_pop(p, 0);
		return i < 0 ? -EADDRNOTAVAIL : ctx->cfg.port_min + i;
	}
	mask = p->nb_buckets - 1;
	base = rss_hash(ctx, rip, ctx->cfg.local_ip, rport, 0) & mask;
	for (k = 0; k < p->nb_buckets; k++) {
		uint32_t b = (p->rot + k) & mask;

		if (p->head[b] == 0 || ctx->reta[(base ^ b) & mask] != ctx->cfg.queue_id)
			continue;
		i = bucket_pop(p, b);
		p->rot = b + 1;
		return ctx->cfg.port_min + i;
	}
	return -EADDRNOTAVAIL;
}

void
ports_release(struct fc_tcp_ctx *ctx, uint16_t port)
{
	struct tcp_ports *p = &ctx->ports;
	uint32_t i;

	if (port < ctx->cfg.port_min || port > ctx->cfg.port_max)
		return;
	i = port - ctx->cfg.port_min;
	bucket_push(p, ctx->cfg.rss_key != NULL ? p->hbits[i] : 0, i);
}
