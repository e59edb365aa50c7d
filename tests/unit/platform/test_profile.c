/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/platform profile loader: every shipped profile loads; each kind of bad field is named. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fc_platform.h"
#include "fc_test.h"

static char tmpdir[] = "/tmp/fc_profile_XXXXXX";

static const char *
write_tmp(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_shipped(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;
	char path[1024], err[512];
	struct fc_profile p;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int rc = fc_profile_load(path, &p, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, "%s\n", err);
		CHECK_EQ(rc, 0);
		n++;
	}
	closedir(d);
	/* af_packet, af_xdp, memif x2, tap, ring, mlx5, i40e, ice, ixgbe */
	CHECK_EQ(n, 10);

	snprintf(path, sizeof(path), "%s/af_packet.json", dir);
	CHECK_EQ(fc_profile_load(path, &p, err, sizeof(err)), 0);
	CHECK_EQ(p.kind, FC_PORT_VDEV);
	CHECK(strcmp(p.driver, "net_af_packet") == 0);
	CHECK_EQ(p.mbuf_data_room, 2176);
	CHECK_EQ(p.promiscuous, true);
	CHECK_EQ(p.nb_eal_hp_args, 0);
	/* The embedded pair: hugepage arguments beside the 4 KiB fallback. */
	snprintf(path, sizeof(path), "%s/ring.json", dir);
	CHECK_EQ(fc_profile_load(path, &p, err, sizeof(err)), 0);
	CHECK_EQ(p.kind, FC_PORT_RING);
	CHECK_EQ(p.nb_eal_hp_args, 2);
	CHECK(strcmp(p.eal_hp_args[1], "--in-memory") == 0);
	CHECK(strcmp(p.eal_args[1], "--no-huge") == 0);
	snprintf(path, sizeof(path), "%s/mlx5.json", dir);
	CHECK_EQ(fc_profile_load(path, &p, err, sizeof(err)), 0);
	CHECK_EQ(p.kind, FC_PORT_PCI);
	CHECK_EQ(p.rss_key_len, 40);
	CHECK_EQ(p.rss_key[0], 0x2c);
	CHECK_EQ(p.rss_key[39], 0x2a);
	CHECK_EQ(p.rx_cksum, true);
}

/* A valid base; each case replaces one fragment. */
#define BASE_HEAD "{\"name\":\"t\",\"driver\":\"net_af_packet\",\"kind\":\"vdev\"," \
	"\"vdev\":\"net_af_packet0,iface={iface}\","

static void
expect_error(const char *json, const char *needle)
{
	struct fc_profile p;
	char err[512];
	const char *path = write_tmp("bad.json", json);

	CHECK_EQ(fc_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, path);
	CHECK_STR_CONTAINS(err, needle);
}

static void
test_invalid(void)
{
	struct fc_profile p;
	char err[512];

	CHECK_EQ(fc_profile_load("/nonexistent/x.json", &p, err, sizeof(err)), -ENOENT);
	CHECK_STR_CONTAINS(err, "/nonexistent/x.json: cannot read the profile");

	expect_error("{\"name\": ", "invalid JSON near line 1");
	expect_error("{\n\"name\": \"x\",\n\"driver\": [,\n}", "invalid JSON near line 3");
	expect_error("[1,2]", "expected a JSON object");
	expect_error(BASE_HEAD "\"queus\":{\"max\":1}}", "field 'queus': unknown field");
	expect_error(BASE_HEAD "\"queues\":{\"mx\":1}}", "field 'queues.mx': unknown field");
	expect_error("{\"name\":\"t\",\"kind\":\"vdev\",\"vdev\":\"x\"}", "field 'driver': missing");
	expect_error("{\"name\":\"t\",\"driver\":\"net_foo\",\"kind\":\"vdev\",\"vdev\":\"net_foo0\"}",
		     "field 'driver': value 'net_foo' is not a supported driver");
	expect_error("{\"name\":\"t\",\"driver\":\"net_tap\",\"kind\":\"virtual\"}",
		     "field 'kind': value 'virtual' is not one of vdev, pci, ring");
	expect_error("{\"name\":\"t\",\"driver\":\"net_tap\",\"kind\":\"vdev\",\"vdev\":\"net_af_packet0\"}",
		     "field 'vdev': value 'net_af_packet0' does not start with the driver name 'net_tap'");
	expect_error(BASE_HEAD "\"queues\":{\"max\":0}}", "field 'queues.max': value 0 is below 1");
	expect_error(BASE_HEAD "\"queues\":{\"max\":65}}", "field 'queues.max': value 65 is above 64");
	expect_error(BASE_HEAD "\"queues\":{\"max\":1.5}}", "field 'queues.max': value");
	expect_error(BASE_HEAD "\"queues\":{\"max\":\"4\"}}", "field 'queues.max': value 4 is not an integer");
	expect_error(BASE_HEAD "\"descriptors\":{\"rx\":1000}}",
		     "field 'descriptors.rx': value 1000 is not a power of two");
	expect_error(BASE_HEAD "\"descriptors\":{\"tx\":32}}", "field 'descriptors.tx': value 32 is below 64");
	expect_error(BASE_HEAD "\"offloads\":{\"rss\":1}}", "field 'offloads.rss': expected true or false");
	expect_error(BASE_HEAD "\"rss_key\":\"abcd\"}", "field 'rss_key': value has 4 hex digits");
	expect_error(BASE_HEAD "\"rss_key\":\"zz5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa\"}",
		     "field 'rss_key': value 'zz5a");
	expect_error(BASE_HEAD "\"mbufs\":{\"count\":100}}", "field 'mbufs.count': value 100 is below 1023");
	expect_error(BASE_HEAD "\"mtu\":9000}", "field 'mtu': value 9000 does not fit in mbufs.data_room 2176");
	expect_error(BASE_HEAD "\"eal\":\"--no-huge\"}", "field 'eal': expected an array of strings");
	expect_error(BASE_HEAD "\"eal\":[\"-m\", 512]}", "field 'eal[1]': expected a string");
	expect_error(BASE_HEAD "\"eal_hugepages\":\"--in-memory\"}",
		     "field 'eal_hugepages': expected an array of strings");
	expect_error(BASE_HEAD "\"eal_hugepages\":[\"--no-pci\", true]}",
		     "field 'eal_hugepages[1]': expected a string");
}

static void
test_template(void)
{
	char out[64];

	CHECK_EQ(fc_template_expand("net_af_packet0,iface={iface},qpairs={queues}", "veth0", 2,
				    out, sizeof(out)), 0);
	CHECK(strcmp(out, "net_af_packet0,iface=veth0,qpairs=2") == 0);
	CHECK_EQ(fc_template_expand("iface={iface}", NULL, 1, out, sizeof(out)), -EINVAL);
	CHECK_EQ(fc_template_expand("x={nope}", "a", 1, out, sizeof(out)), -EINVAL);
	CHECK_EQ(fc_template_expand("{iface}{iface}{iface}", "0123456789012345678901234", 1, out,
				    sizeof(out)), -ENOSPC);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DRIVERS_CFG_DIR\n", argv[0]);
		return 1;
	}
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	test_shipped(argv[1]);
	test_invalid();
	test_template();
	unlink(write_tmp("bad.json", ""));
	rmdir(tmpdir);
	return fc_test_result("profile");
}
