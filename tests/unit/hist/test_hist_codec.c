/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HdrHistogram V2 encoding: exact bytes of a hand-worked encoding (header fields, ZigZag
 * LEB128 counts with runs of zeros), the 9-byte LEB128 form of a huge count, round trips of
 * random histograms through compression and base64, every decoding error, and the header
 * and line format of the interval log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fc_hist.h"
#include "fc_test.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool
same_counts(const struct fc_hist *a, const struct fc_hist *b)
{
	return memcmp(a->counts, b->counts, sizeof(a->counts)) == 0 && a->count == b->count;
}

/* Counts [0]=0 [1]=1 [2]=0 [3]=2 worked by hand:
 * zigzag(-1)=1, zigzag(1)=2, zigzag(-1)=1, zigzag(2)=4 -> payload 01 02 01 04. */
static void
test_exact_bytes(void)
{
	static const uint8_t want[] = {
		0x1c, 0x84, 0x93, 0x13,                         /* V2 cookie, word size 1 */
		0x00, 0x00, 0x00, 0x04,                         /* payload length */
		0x00, 0x00, 0x00, 0x00,                         /* normalizing index offset */
		0x00, 0x00, 0x00, 0x03,                         /* significant digits */
		0, 0, 0, 0, 0, 0, 0, 1,                         /* lowest discernible value */
		0x00, 0x00, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, /* highest trackable 2^42-1 */
		0x3f, 0xf0, 0, 0, 0, 0, 0, 0,                   /* 1.0 as IEEE-754 */
		0x01, 0x02, 0x01, 0x04,
	};
	struct fc_hist *h = fc_hist_create(-1);
	uint8_t *b = NULL;
	size_t n = 0;

	fc_hist_record(h, 1);
	fc_hist_record_n(h, 3, 2);
	CHECK_EQ(fc_hist_encode_v2(h, &b, &n), 0);
	CHECK_EQ(n, sizeof(want));
	CHECK(b != NULL && n == sizeof(want) && memcmp(b, want, n) == 0);
	free(b);

	/* A count of 2^62: zigzag 2^63, 9 bytes, the last one carrying 8 bits whole. */
	fc_hist_reset(h);
	h->counts[0] = 1ull << 62;
	h->count = 1ull << 62;
	CHECK_EQ(fc_hist_encode_v2(h, &b, &n), 0);
	CHECK_EQ(n, FC_HIST_V2_HEADER_LEN + 9);
	if (b && n == FC_HIST_V2_HEADER_LEN + 9) {
		for (int i = 0; i < 8; i++)
			CHECK_EQ(b[FC_HIST_V2_HEADER_LEN + i], 0x80);
		CHECK_EQ(b[FC_HIST_V2_HEADER_LEN + 8], 0x80);
	}
	free(b);

	/* Compressed: cookie 0x1c849314, the length, then a zlib stream of the above. */
	fc_hist_reset(h);
	fc_hist_record(h, 1);
	fc_hist_record_n(h, 3, 2);
	CHECK_EQ(fc_hist_encode_compressed(h, &b, &n), 0);
	if (b != NULL && n > 8) {
		uint8_t raw[128];
		uLongf rl = sizeof(raw);
		uint32_t cl = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];

		CHECK_EQ(b[0], 0x1c);
		CHECK_EQ(b[1], 0x84);
		CHECK_EQ(b[2], 0x93);
		CHECK_EQ(b[3], 0x14);
		CHECK_EQ(cl, n - 8);
		CHECK_EQ(uncompress(raw, &rl, b + 8, cl), Z_OK);
		CHECK_EQ(rl, sizeof(want));
		CHECK(memcmp(raw, want, sizeof(want)) == 0);
	}
	free(b);
	fc_hist_free(h);
}

static void
test_roundtrip(void)
{
	struct fc_hist *h = fc_hist_create(-1), *d = fc_hist_create(-1);
	unsigned bad = 0;

	for (int round = 0; round < 40; round++) {
		char err[256], *s;
		unsigned n = round == 0 ? 0 : 1 + (unsigned)(rnd() % 20000);

		fc_hist_reset(h);
		for (unsigned i = 0; i < n; i++) {
			unsigned bits = 1 + (unsigned)(rnd() % 42);
			uint64_t v = rnd() & ((1ull << bits) - 1);

			fc_hist_record_n(h, v, 1 + rnd() % (round % 3 == 0 ? 1000000 : 3));
		}
		if (round == 39)
			fc_hist_record(h, FC_HIST_MAX_TRACKABLE); /* the very last counter */
		s = fc_hist_encode_base64(h);
		CHECK(s != NULL);
		if (s == NULL)
			continue;
		CHECK_EQ(strlen(s) % 4, 0);
		if (fc_hist_decode_base64(s, d, NULL, err, sizeof(err)) != 0 || !same_counts(h, d)) {
			fprintf(stderr, "round %d: %s\n", round, err);
			bad++;
		}
		/* min and max come back as the bucket bounds of the exact ones */
		if (h->count && (d->min != fc_hist_lowest_equivalent(h->min) ||
				 d->max != fc_hist_highest_equivalent(h->max)))
			bad++;
		free(s);
	}
	CHECK_EQ(bad, 0);
	fc_hist_free(h);
	fc_hist_free(d);
}

/* Base64 of raw bytes, for the corrupt inputs below. */
static char *
b64(const uint8_t *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		*o++ = a[v >> 18 & 63];
		*o++ = a[v >> 12 & 63];
		*o++ = i + 1 < n ? a[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? a[v & 63] : '=';
	}
	*o = '\0';
	return s;
}

/* Compress a (possibly patched) V2 encoding into the compressed form, in base64. */
static char *
wrap(const uint8_t *raw, size_t n)
{
	uint8_t buf[4096];
	uLongf cl = sizeof(buf) - 8;

	if (compress(buf + 8, &cl, raw, n) != Z_OK)
		return NULL;
	buf[0] = 0x1c, buf[1] = 0x84, buf[2] = 0x93, buf[3] = 0x14;
	buf[4] = (uint8_t)(cl >> 24), buf[5] = (uint8_t)(cl >> 16);
	buf[6] = (uint8_t)(cl >> 8), buf[7] = (uint8_t)cl;
	return b64(buf, cl + 8);
}

static void
expect_error(const char *s, int want, const char *needle)
{
	struct fc_hist *d = fc_hist_create(-1);
	char err[256] = "";

	CHECK_EQ(fc_hist_decode_base64(s, d, NULL, err, sizeof(err)), want);
	CHECK_STR_CONTAINS(err, needle);
	fc_hist_free(d);
}

static void
test_errors(void)
{
	struct fc_hist *h = fc_hist_create(-1);
	uint8_t *raw, *c;
	size_t n, cn;
	char *s, *t;

	fc_hist_record(h, 1000);
	fc_hist_record(h, 5000000);
	CHECK_EQ(fc_hist_encode_v2(h, &raw, &n), 0);
	CHECK_EQ(fc_hist_encode_compressed(h, &c, &cn), 0);

	expect_error("", -EINVAL, "base64");
	expect_error("abc", -EINVAL, "multiple of 4");
	expect_error("ab$=", -EINVAL, "not base64");
	/* cut in the middle of the deflate stream */
	s = b64(c, cn - 4);
	expect_error(s, -EINVAL, "truncated");
	free(s);
	/* a length field shorter than the stream: inflate stops early */
	s = b64(c, 12);
	expect_error(s, -EINVAL, "");
	free(s);
	/* wrong outer cookie */
	c[3] = 0x09;
	s = b64(c, cn);
	expect_error(s, -EINVAL, "cookie 0x1c849309");
	free(s);
	/* corrupt deflate bytes */
	c[3] = 0x14;
	c[10] ^= 0xff;
	c[11] ^= 0xff;
	s = b64(c, cn);
	expect_error(s, -EINVAL, "");
	free(s);
	/* 2 significant digits: a layout that does not map onto ours */
	raw[15] = 2;
	s = wrap(raw, n);
	expect_error(s, -ENOTSUP, "significant_digits 2");
	free(s);
	raw[15] = 3;
	/* lowest discernible value 1000 (unit magnitude 9) */
	raw[22] = 0x03, raw[23] = 0xe8;
	s = wrap(raw, n);
	expect_error(s, -ENOTSUP, "lowest_discernible_value 1000");
	free(s);
	raw[22] = 0, raw[23] = 1;
	/* a payload length that disagrees with the stream */
	raw[7] += 1;
	s = wrap(raw, n);
	expect_error(s, -EINVAL, "payload");
	free(s);
	raw[7] -= 1;
	/* the last count cut off: a continuation bit with nothing after it */
	{
		uint8_t cut[64];

		memcpy(cut, raw, n);
		cut[n] = 0x80;
		cut[7] += 1;
		t = wrap(cut, n + 1);
		expect_error(t, -EINVAL, "cut off");
		free(t);
	}
	/* a run of zeros past the end of the counts */
	{
		uint8_t z[FC_HIST_V2_HEADER_LEN + 8];
		size_t k = FC_HIST_V2_HEADER_LEN;

		memcpy(z, raw, FC_HIST_V2_HEADER_LEN);
		/* zigzag(-40000) = 79999 = 0xff 0xf0 0x04 in LEB128 */
		z[k++] = 0xff, z[k++] = 0xf0, z[k++] = 0x04;
		z[7] = 3;
		t = wrap(z, k);
		expect_error(t, -EINVAL, "zero counts");
		free(t);
	}
	/* the plain (uncompressed) encoding where the compressed one is expected */
	s = b64(raw, n);
	expect_error(s, -EINVAL, "cookie 0x1c849313");
	free(s);
	free(raw);
	free(c);
	fc_hist_free(h);
}

static void
test_layout(void)
{
	struct fc_hist_layout l;
	char why[128];

	fc_hist_layout_ours(&l);
	CHECK(fc_hist_layout_compatible(&l, why, sizeof(why)));
	/* A bigger highest trackable value maps too (same sub-buckets, same unit). */
	l.highest_trackable = 3600000000000ll;
	CHECK(fc_hist_layout_compatible(&l, why, sizeof(why)));
	l.significant_digits = 4;
	CHECK(!fc_hist_layout_compatible(&l, why, sizeof(why)));
	CHECK_STR_CONTAINS(why, "sub-bucket count 32768");
}

static void
test_hlog_format(void)
{
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct fc_hist *h = fc_hist_create(-1);

	fc_hist_record(h, 1500000); /* 1.5 ms */
	s = fc_hist_encode_base64(h);
	/* 2026-01-02T03:04:05.678Z */
	CHECK_EQ(fc_hlog_write_header(f, 1767323045678000000ull), 0);
	CHECK_EQ(fc_hlog_write_interval(f, NULL, 0.0, 1.0005, 1500000, s), 0);
	CHECK_EQ(fc_hlog_write_interval(f, "corrected", 1.0, 1.0, 1500000, s), 0);
	CHECK_EQ(fc_hlog_write_interval(f, "bad tag", 1.0, 1.0, 0, s), -EINVAL);
	fclose(f);
	CHECK_STR_CONTAINS(buf, "#[Histogram log format version 1.3]\n");
	CHECK_STR_CONTAINS(buf, "#[StartTime: 1767323045.678 (seconds since epoch), 2026-01-02T03:04:05.678Z]\n");
	CHECK_STR_CONTAINS(buf, "#[BaseTime: 1767323045.678 (seconds since epoch)]\n");
	CHECK_STR_CONTAINS(buf, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n");
	{
		char line[512];

		snprintf(line, sizeof(line), "\n0.000,1.000,1.500,%s\nTag=corrected,1.000,1.000,1.500,%s\n", s, s);
		CHECK_STR_CONTAINS(buf, line);
	}
	free(s);
	free(buf);
	fc_hist_free(h);
}

int
main(void)
{
	test_exact_bytes();
	test_roundtrip();
	test_errors();
	test_layout();
	test_hlog_format();
	return fc_test_result("hist_codec");
}
