/* SPDX-License-Identifier: BSD-3-Clause */
/* A recording application for the tests: collects received bytes and events. */
#ifndef TCP_APP_H
#define TCP_APP_H

#include <stdlib.h>
#include <string.h>

#include "fc_tcp.h"

struct app {
	struct fc_tcp_conn *conn;
	int connected;
	int eof;
	int closed;
	int writable;
	enum fc_tcp_close_reason reason;
	uint8_t *rx;
	size_t rx_len;
	size_t rx_cap;
	int close_on_eof;      /* call fc_tcp_close() on EOF */
	size_t segs;
	uint64_t last_now;      /* the now the last event was delivered with */
};

static inline void
app_on_connected(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	struct app *a = user;

	a->last_now = now;
	a->conn = c;
	a->connected++;
}

static inline void
app_on_data(struct fc_tcp_conn *c, void *user, struct rte_mbuf *m, uint64_t now)
{
	struct app *a = user;

	a->last_now = now;	struct rte_mbuf *s;

	(void)c;
	a->segs++;
	if (a->rx_len + m->pkt_len > a->rx_cap) {
		a->rx_cap = (a->rx_len + m->pkt_len) * 2;
		a->rx = realloc(a->rx, a->rx_cap);
	}
	for (s = m; s != NULL; s = s->next) {
		memcpy(a->rx + a->rx_len, rte_pktmbuf_mtod(s, void *), s->data_len);
		a->rx_len += s->data_len;
	}
	rte_pktmbuf_free(m);
}

static inline void
app_on_eof(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	struct app *a = user;

	a->last_now = now;
	a->eof++;
	if (a->close_on_eof)
		fc_tcp_close(c);
}

static inline void
app_on_writable(struct fc_tcp_conn *c, void *user, uint64_t now)
{
	struct app *a = user;

	a->last_now = now;
	(void)c;
	a->writable++;
}

static inline void
app_on_closed(struct fc_tcp_conn *c, void *user, enum fc_tcp_close_reason r, uint64_t now)
{
	struct app *a = user;

	a->last_now = now;
	(void)c;
	a->closed++;
	a->reason = r;
	a->conn = NULL;
}

static const struct fc_tcp_ops app_ops = {
	.on_connected = app_on_connected,
	.on_data = app_on_data,
	.on_eof = app_on_eof,
	.on_writable = app_on_writable,
	.on_closed = app_on_closed,
};

static inline void
app_reset(struct app *a)
{
	free(a->rx);
	memset(a, 0, sizeof(*a));
}

#endif
