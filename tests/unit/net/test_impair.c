/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net impairment: exact delays, loss and duplication rates, reordering, limits, no leaks. */
#include <errno.h>

#include <rte_mbuf.h>

#include "fc_impair.h"
#include "fc_test.h"

static struct rte_mempool *mp;

static struct rte_mbuf *
frame(uint32_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	*(uint32_t *)rte_pktmbuf_append(m, 64) = tag;
	return m;
}

static uint32_t
tag_of(struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod(m, uint32_t *);
}

static void
test_parse(void)
{
	struct fc_impair_conf c = {0};
	char err[256];

	CHECK_EQ(fc_impair_parse("loss 2%", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.loss_ppm, 20000);
	CHECK_EQ(fc_impair_parse("delay 10ms 5ms duplicate 0.5%", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.delay_ns, 10000000);
	CHECK_EQ(c.jitter_ns, 5000000);
	CHECK_EQ(c.dup_ppm, 5000);
	CHECK_EQ(c.loss_ppm, 0);
	CHECK_EQ(fc_impair_parse("delay 2ms reorder 25%", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.reorder_ppm, 250000);
	CHECK_EQ(fc_impair_parse("reorder 25%", &c, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "reorder needs a delay");
	CHECK_EQ(fc_impair_parse("loss 200%", &c, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "bad value '200%' for loss");
	CHECK_EQ(fc_impair_parse("jitter 5ms", &c, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "unknown word 'jitter'");
	CHECK_EQ(fc_impair_parse("delay", &c, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "'delay' needs a value");
	CHECK_EQ(fc_impair_parse("delay 1ms 2ms", &c, err, sizeof(err)), -EINVAL);
	CHECK_STR_CONTAINS(err, "jitter is larger than the delay");
}

static void
test_delay(void)
{
	struct fc_impair_conf c = {.delay_ns = 5000};
	struct fc_impair *im = fc_impair_create(&c, mp, SOCKET_ID_ANY);
	struct rte_mbuf *in[4], *out[8];

	for (int i = 0; i < 4; i++)
		in[i] = frame((uint32_t)i);
	CHECK_EQ(fc_impair_apply(im, in, 4, 1000, out, 8), 0);
	CHECK_EQ(fc_impair_held(im), 4);
	CHECK_EQ(fc_impair_apply(im, NULL, 0, 5999, out, 8), 0);
	/* Due exactly at 1000 + 5000, in arrival order; `max` holds back the rest. */
	CHECK_EQ(fc_impair_apply(im, NULL, 0, 6000, out, 3), 3);
	CHECK_EQ(tag_of(out[0]), 0);
	CHECK_EQ(tag_of(out[2]), 2);
	rte_pktmbuf_free_bulk(out, 3);
	CHECK_EQ(fc_impair_apply(im, NULL, 0, 6000, out, 8), 1);
	CHECK_EQ(tag_of(out[0]), 3);
	rte_pktmbuf_free(out[0]);
	CHECK_EQ(fc_impair_stats(im)->delayed, 4);
	fc_impair_free(im);
}

static void
test_loss_dup(void)
{
	struct fc_impair_conf c = {.loss_ppm = 100000, .dup_ppm = 50000, .seed = 7};
	struct fc_impair *im = fc_impair_create(&c, mp, SOCKET_ID_ANY);
	struct rte_mbuf *in[32], *out[64];
	uint64_t passed = 0;

	for (int round = 0; round < 2000; round++) {
		for (int i = 0; i < 32; i++)
			in[i] = frame((uint32_t)i);
		uint16_t n = fc_impair_apply(im, in, 32, (uint64_t)round, out, 64);
		passed += n;
		rte_pktmbuf_free_bulk(out, n);
	}
	const struct fc_impair_stats *s = fc_impair_stats(im);
	CHECK_EQ(s->frames, 64000);
	/* 10% loss of 64000 frames, and 5% duplication of the ~57600 that survive it,
	 * each within 0.5 percentage points. */
	CHECK(s->dropped > 6080 && s->dropped < 6720);
	CHECK(s->duplicated > 2560 && s->duplicated < 3200);
	CHECK_EQ(passed, s->frames - s->dropped + s->duplicated);
	fc_impair_free(im);
}

static void
test_reorder(void)
{
	struct fc_impair_conf c = {.delay_ns = 1000, .reorder_ppm = 500000, .seed = 3};
	struct fc_impair *im = fc_impair_create(&c, mp, SOCKET_ID_ANY);
	struct rte_mbuf *in[16], *out[32];
	uint32_t order[16];
	unsigned got = 0, inversions = 0;

	for (int i = 0; i < 16; i++)
		in[i] = frame((uint32_t)i);
	uint16_t n = fc_impair_apply(im, in, 16, 0, out, 32);
	for (uint16_t i = 0; i < n; i++)
		order[got++] = tag_of(out[i]);
	rte_pktmbuf_free_bulk(out, n);
	n = fc_impair_apply(im, NULL, 0, 1000, out, 32);
	for (uint16_t i = 0; i < n; i++)
		order[got++] = tag_of(out[i]);
	rte_pktmbuf_free_bulk(out, n);
	CHECK_EQ(got, 16);
	for (unsigned i = 1; i < got; i++)
		inversions += order[i] < order[i - 1];
	/* Some went ahead (sent at once) and the delayed ones followed: the order changed. */
	CHECK(fc_impair_stats(im)->reordered > 0 && fc_impair_stats(im)->reordered < 16);
	CHECK(inversions > 0);
	fc_impair_free(im);
}

static void
test_limit(void)
{
	struct fc_impair_conf c = {.delay_ns = 1000, .limit = 4};
	struct fc_impair *im = fc_impair_create(&c, mp, SOCKET_ID_ANY);
	struct rte_mbuf *in[6], *out[8];

	for (int i = 0; i < 6; i++)
		in[i] = frame((uint32_t)i);
	CHECK_EQ(fc_impair_apply(im, in, 6, 0, out, 8), 0);
	CHECK_EQ(fc_impair_held(im), 4);
	CHECK_EQ(fc_impair_stats(im)->overflow, 2);
	fc_impair_free(im); /* frees what it holds */
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (fc_test_eal_init(argv[0], 64) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("impair_test", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL)
		return 1;
	unsigned start = rte_mempool_avail_count(mp);

	test_parse();
	test_delay();
	test_loss_dup();
	test_reorder();
	test_limit();
	CHECK_EQ(rte_mempool_avail_count(mp), start);
	return fc_test_result("impair");
}
