/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: arbitrary bytes as a received frame into lib/net. Never crashes, never leaks. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "fc_net.h"

static struct rte_mempool *pool;
static struct fc_net_ctx ctx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = {(*argv)[0], "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"-m", "64", "-l", "0", prefix, "--log-level=*:error", NULL};

	snprintf(prefix, sizeof(prefix), "--file-prefix=fcfuzz%d", (int)getpid());
	if (rte_eal_init(11, eal) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct fc_net_conf conf = {
		.mac = {{0x02, 0xfc, 0, 0, 0, 1}}, .ip = RTE_BE32(0xc6120001u), /* 198.18.0.1 */
		.prefix_len = 15, .pool = pool,
	};
	if (pool == NULL || fc_net_init(&ctx, &conf) != 0)
		abort();
	(void)argc;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned before = rte_mempool_avail_count(pool);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *out[FC_NET_TXQ_SIZE];

	if (m == NULL)
		abort();
	if (size > rte_pktmbuf_tailroom(m))
		size = rte_pktmbuf_tailroom(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)size), data, size);
	if (fc_net_input(&ctx, m, 0) != FC_NET_CONSUMED)
		rte_pktmbuf_free(m);
	uint16_t n = fc_net_tx_bulk(&ctx, out, FC_NET_TXQ_SIZE);
	rte_pktmbuf_free_bulk(out, n);
	if (rte_mempool_avail_count(pool) != before)
		abort(); /* an mbuf leaked */
	return 0;
}
