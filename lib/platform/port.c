/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL initialisation and port bring-up from a validated profile. */
#include <errno.h>
#include <stdarg.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fc_platform.h"

#define EAL_ARGV_MAX (FC_PROFILE_MAX_EAL_ARGS + 16)

static void __attribute__((format(printf, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Split --eal's text on blanks (no quoting: EAL arguments never need spaces). */
static int
split_words(char *s, char **words, int max)
{
	int n = 0;

	for (char *tok = strtok(s, " \t"); tok; tok = strtok(NULL, " \t")) {
		if (n == max)
			return -ENOSPC;
		words[n++] = tok;
	}
	return n;
}

uint32_t
fc_port_pool_size(const struct fc_profile *p, uint16_t nb_queues)
{
	/* Enough mbufs for every descriptor, the mempool caches and the stack's queues. */
	uint32_t need = (uint32_t)nb_queues * (p->rx_desc + p->tx_desc + p->mbuf_cache) + 1024;

	return p->mbufs > need ? p->mbufs : need;
}

/* Free 2 MiB hugepages, in bytes (0 when the kernel has none or says nothing). */
static uint64_t
hugepages_free_bytes(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	unsigned long n = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &n) != 1)
		n = 0;
	fclose(f);
	return (uint64_t)n << 21;
}

int
fc_platform_eal_init(const struct fc_profile *p, const struct fc_platform_opts *o,
		     char *err, size_t errlen)
{
	static char storage[EAL_ARGV_MAX][FC_PROFILE_STR];
	static char override[2048];
	char *argv[EAL_ARGV_MAX + 1];
	int argc = 0, rc;

	argv[argc++] = (char *)(o->prog ? o->prog : "flashcrowd");
	if (o->eal_override != NULL) {
		snprintf(override, sizeof(override), "%s", o->eal_override);
		rc = split_words(override, argv + argc, EAL_ARGV_MAX - 8);
		if (rc < 0) {
			errf(err, errlen, "--eal: more than %d arguments", EAL_ARGV_MAX - 8);
			return -EINVAL;
		}
		argc += rc;
	} else {
		bool hp = p->nb_eal_hp_args > 0 && o->mem_need > 0 &&
			  hugepages_free_bytes() >= o->mem_need + o->mem_need / 4;
		unsigned n = hp ? p->nb_eal_hp_args : p->nb_eal_args;
		const char *key = hp ? "eal_hugepages" : "eal";

		if (o->used_hugepages != NULL)
			*o->used_hugepages = hp;
		for (unsigned i = 0; i < n; i++) {
			const char *tmpl = hp ? p->eal_hp_args[i] : p->eal_args[i];

			rc = fc_template_expand(tmpl, o->iface, o->nb_queues, storage[argc],
						FC_PROFILE_STR);
			if (rc < 0) {
				errf(err, errlen, "%s: field '%s[%u]': value '%s' %s", p->path, key, i,
				     tmpl, rc == -ENOSPC ? "expands past 255 characters" :
				     (o->iface == NULL ? "needs --iface" : "has an unknown {placeholder}"));
				return -EINVAL;
			}
			argv[argc] = storage[argc];
			argc++;
		}
	}
	if (p->kind == FC_PORT_VDEV) {
		rc = fc_template_expand(p->vdev, o->iface, o->nb_queues, storage[argc + 1],
					FC_PROFILE_STR);
		if (rc < 0) {
			errf(err, errlen, "%s: field 'vdev': value '%s' %s", p->path, p->vdev,
			     rc == -ENOSPC ? "expands past 255 characters" :
			     (o->iface == NULL ? "needs --iface" : "has an unknown {placeholder}"));
			return -EINVAL;
		}
		argv[argc++] = "--vdev";
		argv[argc] = storage[argc];
		argc++;
	}
	if (o->lcores) {
		argv[argc++] = "--lcores";
		snprintf(storage[argc], FC_PROFILE_STR, "%s", o->lcores);
		argv[argc] = storage[argc];
		argc++;
	}
	/* A private prefix per process, so parallel tests and two-process pairs never collide. */
	if (o->file_prefix != NULL)
		snprintf(storage[argc], FC_PROFILE_STR, "--file-prefix=%s", o->file_prefix);
	else
		snprintf(storage[argc], FC_PROFILE_STR, "--file-prefix=fc-%d", (int)getpid());
	argv[argc] = storage[argc];
	argc++;
	argv[argc++] = "--no-telemetry";
	if (o->quiet)
		argv[argc++] = "--log-level=*:warning";
	argv[argc] = NULL;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		/* EAL says EINVAL for arguments it does not accept: that is the user's input. */
		int input = rte_errno == EINVAL;

		if (err) {
			size_t n = (size_t)snprintf(err, errlen, "EAL initialisation failed (%s); arguments:",
						    rte_strerror(rte_errno));
			for (int i = 1; i < argc && n < errlen; i++)
				n += (size_t)snprintf(err + n, errlen - n, " %s", argv[i]);
		}
		return input ? -EINVAL : -EIO;
	}
	return 0;
}

int
fc_platform_find_port(const struct fc_profile *p, const char *iface, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *comma;

	if (p->kind == FC_PORT_VDEV) {
		/* The port name is the vdev name, up to the first comma. */
		comma = strchr(p->vdev, ',');
		size_t n = comma ? (size_t)(comma - p->vdev) : strlen(p->vdev);
		if (n >= sizeof(name))
			return -ENODEV;
		memcpy(name, p->vdev, n);
		name[n] = '\0';
	} else if (p->kind == FC_PORT_PCI) {
		if (iface == NULL)
			return -ENODEV;
		snprintf(name, sizeof(name), "%s", iface);
	} else {
		return -ENODEV;
	}
	return rte_eth_dev_get_port_by_name(name, port_id) == 0 ? 0 : -ENODEV;
}

static int
port_socket(uint16_t port_id)
{
	int s = rte_eth_dev_socket_id(port_id);

	/* Virtual ports report SOCKET_ID_ANY: use the main lcore's node. */
	if (s < 0) {
		if (numa_available() >= 0)
			s = numa_node_of_cpu((int)rte_lcore_to_cpu_id((int)rte_get_main_lcore()));
		if (s < 0)
			s = 0;
	}
	return s;
}

int
fc_port_setup(const struct fc_profile *p, uint16_t port_id, uint16_t nb_queues,
	      struct rte_mempool *shared_pool, struct fc_port *port, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	char name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	memset(port, 0, sizeof(*port));
	port->port_id = port_id;
	if (nb_queues == 0 || nb_queues > p->max_queues) {
		errf(err, errlen, "%s: %u workers need %u queue pairs; the profile allows "
				 "queues.max = %u", p->path, nb_queues, nb_queues, p->max_queues);
		return -EINVAL;
	}
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0) {
		errf(err, errlen, "port %u: cannot read device info: %s", port_id,
				 rte_strerror(-rc));
		return -EIO;
	}
	if (nb_queues > info.max_rx_queues || nb_queues > info.max_tx_queues) {
		errf(err, errlen, "port %u (%s): %u queue pairs requested, the port has "
				 "%u rx / %u tx", port_id, info.driver_name, nb_queues,
				 info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	port->socket = port_socket(port_id);
	port->nb_queues = nb_queues;
	snprintf(port->caps.driver, sizeof(port->caps.driver), "%s", info.driver_name);
	port->caps.max_rx_queues = info.max_rx_queues;
	port->caps.max_tx_queues = info.max_tx_queues;
	port->caps.reta_size = info.reta_size;

	uint32_t count = fc_port_pool_size(p, nb_queues);

	snprintf(name, sizeof(name), "fc_pool_p%u", port_id);
	port->pool = shared_pool;
	port->own_pool = shared_pool == NULL;
	if (port->own_pool)
		port->pool = rte_pktmbuf_pool_create(name, count, p->mbuf_cache, 0,
						     p->mbuf_data_room, port->socket);
	if (port->pool == NULL) {
		errf(err, errlen, "port %u: cannot create a pool of %u mbufs of %u bytes on "
				 "socket %d: %s (give EAL more memory with -m, or reserve hugepages)",
				 port_id, count, p->mbuf_data_room, port->socket,
				 rte_strerror(rte_errno));
		return -ENOMEM;
	}

	memset(&conf, 0, sizeof(conf));
	const uint64_t rx_ck = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	const uint64_t tx_ck = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	if (p->rx_cksum && (info.rx_offload_capa & rx_ck) == rx_ck) {
		conf.rxmode.offloads |= rx_ck;
		port->caps.rx_cksum = true;
	} else if (p->rx_cksum && p->kind == FC_PORT_RING) {
		port->caps.rx_cksum = true;
		port->caps.rx_cksum_in_process = true;
	}
	if (p->tx_cksum && (info.tx_offload_capa & tx_ck) == tx_ck) {
		conf.txmode.offloads |= tx_ck;
		port->caps.tx_cksum = true;
	}
	/* MBUF_FAST_FREE stays off: the TCP retransmission queue holds refcounted mbufs. */
	if (p->rss && nb_queues > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP) &
						   info.flow_type_rss_offloads;
		if (p->rss_key_len) {
			conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)p->rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = p->rss_key_len;
		}
		port->caps.rss = true;
		port->caps.rss_hf = conf.rx_adv_conf.rss_conf.rss_hf;
	}

	rc = rte_eth_dev_configure(port_id, nb_queues, nb_queues, &conf);
	if (rc != 0) {
		errf(err, errlen, "port %u (%s): configure with %u queues failed: %s",
				 port_id, info.driver_name, nb_queues, rte_strerror(-rc));
		goto fail;
	}
	uint16_t nb_rxd = p->rx_desc, nb_txd = p->tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < nb_queues; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;
		struct rte_eth_txconf txc = info.default_txconf;

		rxc.offloads = conf.rxmode.offloads;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, port->socket, &rxc, port->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, port->socket, &txc);
		if (rc != 0) {
			errf(err, errlen, "port %u (%s): queue %u setup failed: %s", port_id,
					 info.driver_name, q, rte_strerror(-rc));
			goto fail;
		}
	}
	/* Not every virtual driver implements MTU setting; the default then stands. */
	(void)rte_eth_dev_set_mtu(port_id, p->mtu);
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		errf(err, errlen, "port %u (%s): start failed: %s", port_id,
				 info.driver_name, rte_strerror(-rc));
		goto fail;
	}
	port->started = true;
	if (p->promiscuous)
		(void)rte_eth_promiscuous_enable(port_id);
	rte_eth_macaddr_get(port_id, &port->mac);
	return 0;
fail:
	fc_port_close(port);
	return -EIO;
}

void
fc_port_close(struct fc_port *port)
{
	if (port->started) {
		(void)rte_eth_dev_stop(port->port_id);
		port->started = false;
	}
	if (port->pool != NULL) {
		(void)rte_eth_dev_close(port->port_id);
		if (port->own_pool)
			rte_mempool_free(port->pool);
		port->pool = NULL;
	}
}

void
fc_port_caps_print(const struct fc_port *port, FILE *f)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(mac, sizeof(mac), &port->mac);
	fprintf(f, "port %u: driver %s, mac %s, socket %d, queues %u (max rx %u tx %u), "
		"rx-cksum %s, tx-cksum %s, rss %s\n",
		port->port_id, port->caps.driver, mac, port->socket, port->nb_queues,
		port->caps.max_rx_queues, port->caps.max_tx_queues,
		port->caps.rx_cksum_in_process ? "in-process" :
		port->caps.rx_cksum ? "offload" : "software",
		port->caps.tx_cksum ? "offload" : "software",
		port->caps.rss ? "on" : "off");
}

unsigned
fc_platform_check_numa(const struct fc_port *port, FILE *f)
{
	unsigned lcore, remote = 0;

	if (numa_available() < 0)
		return 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		int cpu = (int)rte_lcore_to_cpu_id((int)lcore);
		int node = cpu >= 0 ? numa_node_of_cpu(cpu) : -1;

		if (node >= 0 && node != port->socket) {
			fprintf(f, "warning: worker lcore %u runs on cpu %d (NUMA node %d) but port %u "
				"is on socket %d: expect cross-socket memory traffic\n",
				lcore, cpu, node, port->port_id, port->socket);
			remote++;
		}
	}
	return remote;
}

/* The ring that carries queue @q from A to B (@a_to_b) or from B to A. */
static void
ring_pair_ring_name(char *buf, size_t len, const char *name, bool a_to_b, uint16_t q)
{
	snprintf(buf, len, "%s_%s%u", name, a_to_b ? "ab" : "ba", q);
}

int
fc_ring_pair_create(const char *name, uint16_t nb_queues, int socket, uint32_t a_to_b,
		    uint32_t b_to_a, uint16_t *port_a, uint16_t *port_b)
{
	struct rte_ring *ab[RTE_MAX_QUEUES_PER_PORT], *ba[RTE_MAX_QUEUES_PER_PORT];
	char rname[RTE_RING_NAMESIZE], pname[RTE_ETH_NAME_MAX_LEN];
	int a, b;

	if (nb_queues == 0 || nb_queues > 64 || !rte_is_power_of_2(a_to_b) ||
	    !rte_is_power_of_2(b_to_a) || a_to_b < 2 || b_to_a < 2 ||
	    a_to_b > RTE_RING_SZ_MASK + 1u || b_to_a > RTE_RING_SZ_MASK + 1u)
		return -EINVAL;
	/* Single producer, single consumer: queue i of each side belongs to one lcore. */
	for (uint16_t q = 0; q < nb_queues; q++) {
		ring_pair_ring_name(rname, sizeof(rname), name, true, q);
		ab[q] = rte_ring_create(rname, a_to_b, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		ring_pair_ring_name(rname, sizeof(rname), name, false, q);
		ba[q] = rte_ring_create(rname, b_to_a, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ab[q] == NULL || ba[q] == NULL)
			return -ENOMEM;
	}
	snprintf(pname, sizeof(pname), "%s_a", name);
	a = rte_eth_from_rings(pname, ba, nb_queues, ab, nb_queues, (unsigned)socket);
	snprintf(pname, sizeof(pname), "%s_b", name);
	b = rte_eth_from_rings(pname, ab, nb_queues, ba, nb_queues, (unsigned)socket);
	if (a < 0 || b < 0)
		return -EIO;
	*port_a = (uint16_t)a;
	*port_b = (uint16_t)b;
	return 0;
}
