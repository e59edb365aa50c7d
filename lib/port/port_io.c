/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "fc_port_io.h"

int
fc_port_io_impair(struct fc_port_io *io, const struct fc_impair_conf *rx,
		  const struct fc_impair_conf *tx, struct rte_mempool *pool, uint64_t seed, int socket)
{
	if (rx != NULL) {
		struct fc_impair_conf c = *rx;

		/* Each direction and each worker draws its own sequence. */
		c.seed = seed * 2 + 1;
		io->imp_rx = fc_impair_create(&c, pool, socket);
		if (io->imp_rx == NULL)
			return -errno;
	}
	if (tx != NULL) {
		struct fc_impair_conf c = *tx;

		c.seed = seed * 2 + 2;
		io->imp_tx = fc_impair_create(&c, pool, socket);
		if (io->imp_tx == NULL)
			return -errno;
	}
	return 0;
}

void
fc_port_io_fini(struct fc_port_io *io)
{
	fc_io_tx_discard(io);
	fc_impair_free(io->imp_rx);
	fc_impair_free(io->imp_tx);
	io->imp_rx = io->imp_tx = NULL;
}
