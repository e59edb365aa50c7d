/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>

#include "bringup.h"
#include "cli_util.h"
#include "clock.h"

int
fc_app_port_up(const struct fc_port_opts *o, const char *prog, struct fc_app_port *ap)
{
	struct fc_platform_opts po = {
		.prog = prog, .iface = o->iface, .eal_override = o->eal, .lcores = o->lcores,
		.nb_queues = o->nb_queues, .quiet = true,
	};
	char err[1024];
	uint16_t port_id;
	int rc;

	memset(ap, 0, sizeof(*ap));
	if (o->profile == NULL) {
		fprintf(stderr, "error: --profile: missing (one of drivers_cfg/*.json)\n");
		return FC_EXIT_INPUT;
	}
	if (o->local_ip == NULL) {
		fprintf(stderr, "error: --local-ip: missing (the appliance's own address, A.B.C.D/LEN)\n");
		return FC_EXIT_INPUT;
	}
	if (fc_ip_parse(o->local_ip, &ap->ip, &ap->prefix_len) != 0 || ap->ip == 0) {
		fprintf(stderr, "error: --local-ip: value '%s' is not an IPv4 address A.B.C.D/LEN\n",
			o->local_ip);
		return FC_EXIT_INPUT;
	}
	if (o->gateway != NULL && fc_ip_parse(o->gateway, &ap->gateway, NULL) != 0) {
		fprintf(stderr, "error: --gateway: value '%s' is not an IPv4 address A.B.C.D\n",
			o->gateway);
		return FC_EXIT_INPUT;
	}
	rc = fc_profile_load(o->profile, &ap->profile, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		return FC_EXIT_INPUT;
	}
	if (ap->profile.kind != FC_PORT_RING && o->iface == NULL) {
		fprintf(stderr, "error: --iface: missing; profile %s needs an interface%s\n",
			o->profile, ap->profile.kind == FC_PORT_PCI ? " (a PCI address)" : "");
		return FC_EXIT_INPUT;
	}
	if (ap->profile.kind == FC_PORT_VDEV && strcmp(ap->profile.driver, "net_memif") != 0 &&
	    strcmp(ap->profile.driver, "net_tap") != 0 && o->iface != NULL) {
		char path[256];
		FILE *f;

		/* Say "no such interface" ourselves: the PMD's own failure is far less clear. */
		snprintf(path, sizeof(path), "/sys/class/net/%s", o->iface);
		f = fopen(path, "r");
		if (f == NULL && errno == ENOENT) {
			fprintf(stderr, "error: --iface: interface '%s' does not exist in this network "
				"namespace\n", o->iface);
			return FC_EXIT_INPUT;
		}
		if (f)
			fclose(f);
	}
	rc = fc_platform_eal_init(&ap->profile, &po, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		return rc == -EINVAL ? FC_EXIT_INPUT : FC_EXIT_RUNTIME;
	}
	fc_clock_init();
	if (ap->profile.kind == FC_PORT_RING) {
		fprintf(stderr, "error: profile %s: the ring pair is set up by the embedded mode, not "
			"by a single port\n", o->profile);
		rte_eal_cleanup();
		return FC_EXIT_INPUT;
	}
	if (fc_platform_find_port(&ap->profile, o->iface, &port_id) != 0) {
		fprintf(stderr, "error: profile %s: no DPDK port for '%s' (driver %s did not create "
			"it; check the interface and the EAL log)\n", o->profile,
			o->iface ? o->iface : ap->profile.vdev, ap->profile.driver);
		rte_eal_cleanup();
		return FC_EXIT_RUNTIME;
	}
	rc = fc_port_setup(&ap->profile, port_id, o->nb_queues ? o->nb_queues : 1, &ap->port,
			   err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "error: %s\n", err);
		rte_eal_cleanup();
		return rc == -EINVAL ? FC_EXIT_INPUT : FC_EXIT_RUNTIME;
	}
	fc_platform_check_numa(&ap->port, stderr);
	return FC_EXIT_OK;
}

void
fc_app_net_conf(const struct fc_app_port *ap, struct fc_net_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->mac = ap->port.mac;
	conf->ip = ap->ip;
	conf->prefix_len = ap->prefix_len;
	conf->gateway = ap->gateway;
	conf->pool = ap->port.pool;
	conf->tx_ip_cksum_offload = ap->port.caps.tx_cksum;
	conf->rx_cksum_offload = ap->port.caps.rx_cksum;
}

void
fc_app_port_down(struct fc_app_port *ap)
{
	fc_port_close(&ap->port);
	rte_eal_cleanup();
}

int
fc_parse_duration_ns(const char *s, uint64_t *ns)
{
	char *end;
	double v;
	double mul = 1e9;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		mul = 1e6;
	else if (strcmp(end, "us") == 0)
		mul = 1e3;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1e9;
	else if (strcmp(end, "m") == 0)
		mul = 60e9;
	else if (strcmp(end, "h") == 0)
		mul = 3600e9;
	else
		return -EINVAL;
	if (v * mul > 1e18)
		return -EINVAL;
	*ns = (uint64_t)(v * mul + 0.5);
	return 0;
}
