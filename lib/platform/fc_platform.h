/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Bring-up of the data path from a drivers_cfg profile: load and validate the profile
 * (cJSON), build the EAL arguments, initialise EAL, place the mempool on the port's NUMA
 * socket (libnuma + rte_eth_dev_socket_id) and configure one RX/TX queue pair per worker.
 *
 * A profile describes one port family (af_packet, af_xdp, memif, tap, ring, mlx5, i40e,
 * ice, ixgbe). Templates in its strings take {iface} (the --iface value: a Linux interface,
 * a PCI address or a memif socket name), {queues} and {pid}.
 * Errors are written to a caller buffer as one line naming the file, field and value.
 */
#ifndef FC_PLATFORM_H
#define FC_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#define FC_PROFILE_MAX_EAL_ARGS 32
#define FC_PROFILE_STR 256
#define FC_RSS_KEY_MAX 52

/** How the port comes into existence. */
enum fc_port_kind {
	FC_PORT_VDEV,   /**< a virtual device created from the vdev template (af_packet, af_xdp, memif, tap) */
	FC_PORT_PCI,    /**< a real NIC found by its PCI address ({iface}) */
	FC_PORT_RING,   /**< the in-process pair built with rte_eth_from_rings */
};

/** A validated drivers_cfg profile. */
struct fc_profile {
	char path[FC_PROFILE_STR];              /**< file it came from, for messages */
	char name[64];                          /**< profile name */
	char driver[64];                        /**< DPDK driver name, e.g. net_af_packet */
	enum fc_port_kind kind;                 /**< vdev, pci or ring */
	char vdev[FC_PROFILE_STR];              /**< vdev template (FC_PORT_VDEV) */
	unsigned nb_eal_args;                   /**< entries used in eal_args */
	char eal_args[FC_PROFILE_MAX_EAL_ARGS][FC_PROFILE_STR]; /**< EAL argument templates */
	unsigned nb_eal_hp_args;                /**< entries used in eal_hp_args (0: none) */
	char eal_hp_args[FC_PROFILE_MAX_EAL_ARGS][FC_PROFILE_STR]; /**< "eal_hugepages": used
						  * instead of eal_args when enough 2 MiB
						  * hugepages are free (fc_platform_opts) */
	uint16_t max_queues;                    /**< queue pairs the profile allows (workers per port) */
	uint16_t rx_desc;                       /**< RX descriptors per queue */
	uint16_t tx_desc;                       /**< TX descriptors per queue */
	bool rx_cksum;                          /**< use RX checksum offload when the port has it */
	bool tx_cksum;                          /**< use TX IPv4/TCP checksum offload when the port has it */
	bool rss;                               /**< spread flows with RSS when more than one queue */
	uint8_t rss_key_len;                    /**< 0 = the driver's default key */
	uint8_t rss_key[FC_RSS_KEY_MAX];        /**< Toeplitz key */
	uint32_t mbufs;                         /**< mbufs in the pool (per port) */
	uint32_t mbuf_cache;                    /**< per-lcore mempool cache */
	uint16_t mbuf_data_room;                /**< data room per mbuf, headroom included */
	uint16_t mtu;                           /**< port MTU */
	bool promiscuous;                       /**< put the port in promiscuous mode */
};

/** What the port can do, as reported by the driver, and what we enabled. */
struct fc_port_caps {
	char driver[64];        /**< driver name reported by the port */
	uint16_t max_rx_queues; /**< driver limit */
	uint16_t max_tx_queues; /**< driver limit */
	bool rx_cksum;          /**< RX IPv4+TCP checksum offload is on */
	bool rx_cksum_in_process; /**< ...given by the port kind, not the NIC: an in-process
				   * ring carries only frames this process's own stack built
				   * and checksummed, and nothing on the way rewrites a byte
				   * (fc_impair drops, copies, delays, reorders), so the
				   * receive path marks them good itself */
	bool tx_cksum;          /**< TX IPv4+TCP checksum offload is on */
	bool rss;               /**< RSS is on */
	uint64_t rss_hf;        /**< hash functions enabled */
	uint16_t reta_size;     /**< redirection table size */
};

/** A configured, started port. */
struct fc_port {
	uint16_t port_id;               /**< DPDK port id */
	int socket;                     /**< NUMA socket of the port (0 when unknown) */
	uint16_t nb_queues;             /**< RX/TX queue pairs, one per worker */
	struct rte_mempool *pool;       /**< packet pool on the port's socket */
	bool own_pool;                  /**< pool was created for this port (freed with it) */
	struct rte_ether_addr mac;      /**< port MAC */
	struct fc_port_caps caps;       /**< capabilities and enabled offloads */
	bool started;                   /**< rte_eth_dev_start succeeded */
};

/** Options that fill the profile's templates and the EAL command line. */
struct fc_platform_opts {
	const char *prog;               /**< argv[0] */
	const char *iface;              /**< value for {iface}; NULL when the profile needs none */
	const char *eal_override;       /**< --eal: replaces the profile's EAL arguments when set */
	const char *lcores;             /**< EAL --lcores value, e.g. "0@0,1@1"; NULL for "0" */
	uint16_t nb_queues;             /**< queue pairs wanted (workers) */
	const char *file_prefix;        /**< EAL --file-prefix; NULL for "fc-<pid>" */
	bool quiet;                     /**< keep EAL logs at warning level */
	uint64_t mem_need;              /**< bytes the run will allocate from EAL; with the
					  * profile's eal_hugepages, those arguments are used when
					  * free 2 MiB hugepages hold this plus a quarter */
	bool *used_hugepages;           /**< if not NULL, set to whether eal_hugepages was used */
};

/**
 * Load and validate a profile.
 *
 * @param path   JSON file
 * @param p      filled on success
 * @param err    receives one line "FILE: field 'X': value V ...", may be NULL
 * @param errlen size of err
 * @return 0; -ENOENT when the file cannot be read; -EINVAL when it is invalid
 */
int fc_profile_load(const char *path, struct fc_profile *p, char *err, size_t errlen);

/**
 * Initialise EAL from the profile and options (vdev and EAL templates filled in). The EAL
 * arguments are, in order of preference: --eal (o->eal_override); the profile's
 * eal_hugepages when o->mem_need fits in the free 2 MiB hugepages; the profile's eal.
 *
 * @return 0; -EINVAL on a bad template or option, or EAL arguments EAL rejects (err says
 *         which); -EIO when rte_eal_init fails otherwise (err carries rte_strerror)
 */
int fc_platform_eal_init(const struct fc_profile *p, const struct fc_platform_opts *o,
			 char *err, size_t errlen);

/**
 * The mbufs fc_port_setup() puts in a port's pool: the profile's count, or enough for every
 * descriptor and mempool cache of @p nb_queues queue pairs plus 1024, whichever is more.
 *
 * @param p         profile
 * @param nb_queues queue pairs
 * @return mbufs in the pool
 */
uint32_t fc_port_pool_size(const struct fc_profile *p, uint16_t nb_queues);

/**
 * Find the profile's port, create its mempool on the port's socket (or take @p shared_pool),
 * configure nb_queues queue pairs with the offloads both the profile and the port allow,
 * and start it.
 *
 * @param p        profile
 * @param port_id  port to use (see fc_platform_find_port)
 * @param nb_queues queue pairs (workers)
 * @param shared_pool NULL to create the port's own pool; else the pool of another port,
 *                 which this port uses and does not free (the embedded pair: see pair.c)
 * @param port     filled on success
 * @return 0; -EINVAL when nb_queues exceeds the profile or the port; -ENOMEM when the
 *         mempool cannot be created; -EIO when the driver refuses a step (err says which)
 */
int fc_port_setup(const struct fc_profile *p, uint16_t port_id, uint16_t nb_queues,
		  struct rte_mempool *shared_pool, struct fc_port *port, char *err, size_t errlen);

/**
 * The port the profile created: the vdev's port, or the PCI device named by iface.
 * @return 0 and *port_id; -ENODEV when no such port exists
 */
int fc_platform_find_port(const struct fc_profile *p, const char *iface, uint16_t *port_id);

/**
 * Create the in-process pair: two ports whose queue i is joined to the other's queue i
 * by rings (rte_eth_from_rings). Used by the embedded client/server pair.
 * @param a_to_b  frames each ring from A to B holds (a power of two, 2..2^28)
 * @param b_to_a  frames each ring from B to A holds (a power of two, 2..2^28)
 * @return 0 and the two port ids; -EINVAL, -ENOMEM or -EIO
 */
int fc_ring_pair_create(const char *name, uint16_t nb_queues, int socket, uint32_t a_to_b,
			uint32_t b_to_a, uint16_t *port_a, uint16_t *port_b);

/** Stop and close a port and free its own pool. Safe on a partly set up port. */
void fc_port_close(struct fc_port *port);

/** Print the port's capabilities and enabled offloads, one line. */
void fc_port_caps_print(const struct fc_port *port, FILE *f);

/**
 * Warn (return the number of lcores) on worker lcores whose CPU is on another NUMA node
 * than the port's socket, using libnuma. Writes one warning line per lcore to @p f.
 */
unsigned fc_platform_check_numa(const struct fc_port *port, FILE *f);

/**
 * Expand {iface}, {queues} and {pid} in @p tmpl into @p out.
 * @return 0; -EINVAL for an unknown placeholder or a missing iface; -ENOSPC when out is too small
 */
int fc_template_expand(const char *tmpl, const char *iface, uint16_t queues,
		       char *out, size_t outlen);

/**
 * Build the EAL --lcores map: lcore 0 (control) on the first allowed CPU, workers on the
 * other CPUs first, then sharing. The control core sleeps between ticks, so sharing its CPU
 * costs a worker little. Writes e.g. "0@0,1@1,2@0". With @p from_end the CPU list is
 * walked backwards (control on the last CPU, workers from the one before it), which is how
 * `serve` leaves the first CPUs to a `run` process on the same machine.
 * @param nb_workers  worker lcores besides the control one
 * @param from_end    walk the allowed CPUs from the last one
 * @param out         receives the map
 * @param len         size of @p out
 * @return 0, or -ENOSPC when @p out is too small
 */
int fc_lcore_map(unsigned nb_workers, bool from_end, char *out, size_t len);

/**
 * The drivers_cfg folder: $FC_DRIVERS_CFG, else the source tree's (when it exists), else
 * the installed one.
 * @return a path (static storage or the environment's)
 */
const char *fc_drivers_cfg_dir(void);

#endif /* FC_PLATFORM_H */
