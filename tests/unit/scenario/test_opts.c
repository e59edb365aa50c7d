/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fc_opts: the forms it accepts, the three errors in their one wording, --help winning,
 * tables combined, the generated help, and replay's configuration on top of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc_opts.h"
#include "fc_replay_conf.h"
#include "fc_test.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])))

enum { O_COUNT = 1, O_NAME, O_FLAG, O_OTHER };

static const struct fc_opt table[] = {
	{NULL, 0, false, 0, NULL, "Heading:\n"},
	{"count", 'c', true, O_COUNT, "N", "a count"},
	{"name", 0, true, O_NAME, "S", "a name"},
	{"flag", 'f', false, O_FLAG, NULL, "a flag"},
	{NULL, 0, false, 0, NULL, NULL},
};

static const struct fc_opt other[] = {
	{"other", 0, true, O_OTHER, "X", "from the second table"},
	{"name", 0, true, O_OTHER, "S", "shadowed by the first table"},
	{NULL, 0, false, 0, NULL, NULL},
};

struct seen {
	char log[512];
};

static void
on_opt(void *arg, const struct fc_opt *o, const char *flag, const char *v, struct fc_errors *errs)
{
	struct seen *s = arg;
	size_t n = strlen(s->log);

	if (o && o->id == O_COUNT && strcmp(v, "bad") == 0) {
		fc_opts_bad(errs, flag, v, "a count");
		return;
	}
	snprintf(s->log + n, sizeof(s->log) - n, "%d:%s=%s;", o ? o->id : FC_OPT_POSITIONAL, flag,
		 v ? v : "-");
}

static bool
has_error(const struct fc_errors *e, const char *msg)
{
	for (unsigned i = 0; i < e->count; i++)
		if (strcmp(e->msg[i], msg) == 0)
			return true;
	return false;
}

int
main(void)
{
	const struct fc_opt *const one[] = {table, NULL};
	const struct fc_opt *const two[] = {table, other, NULL};
	struct fc_errors e;
	struct seen s;

	{
		char *a[] = {"cmd", "-c", "1", "--count=2", "-c3", "pos", "--name", "x", "-f", "--nam",
			"y", "--", "--count"};

		memset(&s, 0, sizeof(s));
		fc_errors_init(&e);
		CHECK_EQ(fc_opts_parse(one, ARGC(a), a, on_opt, &s, &e), 0);
		CHECK_EQ(e.count, 0);
		CHECK_STR_CONTAINS(s.log, "1:-c/--count=1;1:-c/--count=2;1:-c/--count=3;-1:pos=pos;"
				   "2:--name=x;3:-f/--flag=-;2:--name=y;-1:--count=--count;");
	}
	{
		char *a[] = {"cmd", "--bogus", "-x", "--flag=1", "-c", "bad", "--name"};

		memset(&s, 0, sizeof(s));
		fc_errors_init(&e);
		CHECK_EQ(fc_opts_parse(one, ARGC(a), a, on_opt, &s, &e), -EINVAL);
		CHECK(has_error(&e, "--bogus: unknown flag (see --help)"));
		CHECK(has_error(&e, "-x: unknown flag (see --help)"));
		CHECK(has_error(&e, "-f/--flag: takes no value"));
		CHECK(has_error(&e, "-c/--count: \"bad\" is not a count"));
		CHECK(has_error(&e, "--name: missing value"));
		CHECK_EQ(e.count, 5);
	}
	{
		char *a[] = {"cmd", "--bogus", "--help"};

		fc_errors_init(&e);
		CHECK_EQ(fc_opts_parse(one, ARGC(a), a, on_opt, &s, &e), FC_OPTS_HELP);
		CHECK_EQ(e.count, 0);
	}
	{
		char *a[] = {"cmd", "--other", "o", "--name", "n"};

		memset(&s, 0, sizeof(s));
		fc_errors_init(&e);
		CHECK_EQ(fc_opts_parse(two, ARGC(a), a, on_opt, &s, &e), 0);
		CHECK_STR_CONTAINS(s.log, "4:--other=o;2:--name=n;");
	}
	{
		char buf[1024] = "";
		FILE *f = fmemopen(buf, sizeof(buf), "w");

		fc_opts_help(two, f);
		fclose(f);
		CHECK_STR_CONTAINS(buf, "Heading:\n  -c, --count N            a count\n");
		CHECK_STR_CONTAINS(buf, "      --other X            from the second table\n");
		CHECK_STR_CONTAINS(buf, "  -h, --help               this text\n");
	}
	/* replay: both modes, errors of each gathered, the other mode's options refused. */
	{
		struct fc_replay_conf c;
		char *a[] = {"replay", "--pcap", "f.pcap", "--speed", "x2", "--loop", "3", "--map-port",
			"80:8080", "--allow-method", "GET", "--embedded", "-t", "2"};

		fc_errors_init(&e);
		CHECK_EQ(fc_replay_conf_from_argv(ARGC(a), a, &c, &e), 0);
		CHECK_EQ(e.count, 0);
		CHECK(!c.raw);
		CHECK(c.speed == 2 && c.plan.speed == 2);
		CHECK_EQ(c.loops, 3);
		CHECK_EQ(c.plan.num_port_map, 1);
		CHECK_EQ(c.plan.port_map[0].to, 8080);
		CHECK_EQ(c.plan.num_allow_method, 1);
		CHECK_EQ(c.sc.cores, 2);
		fc_replay_conf_free(&c);
	}
	{
		struct fc_replay_conf c;
		char *a[] = {"replay", "--speed", "0", "--allow-url", "(", "--pps", "5", "--map-port", "80",
			"--embedded"};

		fc_errors_init(&e);
		CHECK_EQ(fc_replay_conf_from_argv(ARGC(a), a, &c, &e), -EINVAL);
		CHECK(has_error(&e, "--speed: 0 is below the limit 0.001"));
		CHECK(has_error(&e, "--pps: only with --raw"));
		CHECK(has_error(&e, "--map-port: '80' is not FROM:TO (e.g. 80:8080)"));
		CHECK(has_error(&e, "--pcap: missing (the capture file to replay, pcap or pcapng)"));
		CHECK_EQ(e.count, 5);
		fc_replay_conf_free(&c);
	}
	{
		struct fc_replay_conf c;
		char *a[] = {"replay", "--raw", "--pcap", "f.pcap", "--dst-mac", "02:00:00:00:00:0a",
			"--map-ip", "198.18.0.2=198.18.0.3", "--profile", "p.json", "--iface", "x",
			"--local-ip", "198.18.0.1/15", "--topspeed", "--rate", "5"};

		fc_errors_init(&e);
		CHECK_EQ(fc_replay_conf_from_argv(ARGC(a), a, &c, &e), -EINVAL);
		CHECK(has_error(&e, "--rate: not an option of replay --raw"));
		CHECK_EQ(e.count, 1);
		CHECK(c.raw && c.topspeed && c.have_dst_mac && c.dst_mac[5] == 0x0a);
		CHECK_EQ(c.num_map_ip, 1);
		CHECK_EQ(c.local_prefix, 15);
		fc_replay_conf_free(&c);
	}
	return fc_test_result("opts");
}
