/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One worker's queue pair: the only place the worker loops call rte_eth_rx_burst and
 * rte_eth_tx_burst, with the optional impairment stages (lib/net fc_impair) on the way
 * in and out. Frames the NIC refuses are freed here: TCP retransmits what mattered.
 */
#ifndef FC_APP_PORT_IO_H
#define FC_APP_PORT_IO_H

#include <stdint.h>

#include <rte_ethdev.h>

#include "fc_impair.h"

#define FC_IO_BURST 32

struct fc_port_io {
	uint16_t port_id;               /**< port */
	uint16_t queue;                 /**< queue pair */
	struct fc_impair *imp_rx;       /**< impairment of received frames, or NULL */
	struct fc_impair *imp_tx;       /**< impairment of sent frames, or NULL */
	uint64_t tx_refused;            /**< frames the port did not take (freed) */
};

/** Receive up to FC_IO_BURST frames (after impairment) into pkts[FC_IO_BURST]. */
static inline uint16_t
fc_io_rx(struct fc_port_io *io, struct rte_mbuf **pkts, uint64_t now)
{
	if (io->imp_rx == NULL)
		return rte_eth_rx_burst(io->port_id, io->queue, pkts, FC_IO_BURST);

	struct rte_mbuf *raw[FC_IO_BURST];
	uint16_t n = rte_eth_rx_burst(io->port_id, io->queue, raw, FC_IO_BURST);

	return fc_impair_apply(io->imp_rx, raw, n, now, pkts, FC_IO_BURST);
}

/** Send frames (through impairment); frees what the port refuses. */
static inline void
fc_io_tx(struct fc_port_io *io, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct rte_mbuf *imp[4 * FC_IO_BURST];

	if (io->imp_tx != NULL) {
		n = fc_impair_apply(io->imp_tx, pkts, n, now, imp, RTE_DIM(imp));
		pkts = imp;
	}
	if (n == 0)
		return;
	uint16_t sent = rte_eth_tx_burst(io->port_id, io->queue, pkts, n);

	if (sent < n) {
		io->tx_refused += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

#endif
