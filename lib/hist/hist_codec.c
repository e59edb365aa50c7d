/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HdrHistogram's V2 encoding, compressed with zlib, in base64: how whole-run and interval
 * histograms leave the process (result files, .hlog) and come back (merge, compare).
 * Byte order is big-endian throughout, as Java's ByteBuffer writes it.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fc_hist.h"

/* The word-size nibble of V2 cookies: 1 = ZigZag LEB128 counts ("TLZE" in Java). */
#define V2_WORD_SIZE_BITS 0x10u
#define LEB128_MAX 9u
/* Bound on a foreign payload we are willing to inflate: 9 bytes per counter of a layout
 * far larger than ours; anything beyond is corrupt or hostile. */
#define PAYLOAD_MAX (64u << 20)

static void
set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/*
 * Java's ZigZagEncoding.putLong: zigzag, then 7 bits per byte with a continuation bit,
 * except that a 9th byte carries the last 8 bits whole (8 x 7 + 8 = 64).
 */
static size_t
zz_put(uint8_t *p, int64_t sv)
{
	uint64_t v = ((uint64_t)sv << 1) ^ (uint64_t)(sv >> 63);
	size_t n = 0;

	while (n < 8) {
		if ((v >> 7) == 0) {
			p[n++] = (uint8_t)v;
			return n;
		}
		p[n++] = (uint8_t)((v & 0x7f) | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Decode one value; returns bytes used, 0 when the input ends inside the value. */
static size_t
zz_get(const uint8_t *p, size_t avail, int64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	for (unsigned shift = 0; n < LEB128_MAX; shift += 7) {
		uint8_t b;

		if (n >= avail)
			return 0;
		b = p[n++];
		if (n == LEB128_MAX) {
			v |= (uint64_t)b << 56;
			break;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
	}
	*out = (int64_t)((v >> 1) ^ (~(v & 1) + 1));
	return n;
}

void
fc_hist_layout_ours(struct fc_hist_layout *l)
{
	l->lowest_discernible = 1;
	l->highest_trackable = (int64_t)FC_HIST_MAX_TRACKABLE;
	l->significant_digits = FC_HIST_SIG_DIGITS;
	l->normalizing_index_offset = 0;
	l->conversion_ratio = 1.0;
}

/* HdrHistogram's sub_bucket_count for a number of significant digits: the power of two
 * at or above 2 * 10^digits. */
static int64_t
sub_bucket_count_of(int32_t digits)
{
	int64_t largest = 2;
	int64_t c = 1;

	for (int32_t i = 0; i < digits; i++)
		largest *= 10;
	while (c < largest)
		c <<= 1;
	return c;
}

bool
fc_hist_layout_compatible(const struct fc_hist_layout *l, char *why, size_t len)
{
	if (l->significant_digits < 0 || l->significant_digits > 5) {
		set_err(why, len, "significant_digits %d is outside 0..5", (int)l->significant_digits);
		return false;
	}
	/* unit magnitude = floor(log2(lowest)): only 1 (magnitude 0) is ours. */
	if (l->lowest_discernible != 1) {
		set_err(why, len, "lowest_discernible_value %lld, ours 1",
			(long long)l->lowest_discernible);
		return false;
	}
	if (sub_bucket_count_of(l->significant_digits) != FC_HIST_SUB_BUCKET_COUNT) {
		set_err(why, len, "significant_digits %d (sub-bucket count %lld), ours %d (%u)",
			(int)l->significant_digits, (long long)sub_bucket_count_of(l->significant_digits),
			FC_HIST_SIG_DIGITS, FC_HIST_SUB_BUCKET_COUNT);
		return false;
	}
	if (l->normalizing_index_offset != 0) {
		set_err(why, len, "normalizing_index_offset %d, ours 0",
			(int)l->normalizing_index_offset);
		return false;
	}
	if (l->conversion_ratio != 1.0) {
		set_err(why, len, "integer_to_double_conversion_ratio %g, ours 1", l->conversion_ratio);
		return false;
	}
	if (l->highest_trackable < 2) {
		set_err(why, len, "highest_trackable_value %lld is below 2",
			(long long)l->highest_trackable);
		return false;
	}
	return true;
}

int
fc_hist_encode_v2(const struct fc_hist *h, uint8_t **out, size_t *len)
{
	struct fc_hist_layout l;
	uint32_t limit = 0;
	size_t pos = FC_HIST_V2_HEADER_LEN;
	uint8_t *b;
	uint64_t ratio_bits;

	if (h == NULL || out == NULL || len == NULL)
		return -EINVAL;
	for (uint32_t i = FC_HIST_COUNTS_LEN; i > 0; i--) {
		if (h->counts[i - 1] != 0) {
			limit = i;
			break;
		}
	}
	b = malloc(FC_HIST_V2_HEADER_LEN + (size_t)limit * LEB128_MAX + 1);
	if (b == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < limit;) {
		uint64_t c = h->counts[i++];

		if (c == 0) {
			int64_t zeros = 1;

			while (i < limit && h->counts[i] == 0) {
				zeros++;
				i++;
			}
			pos += zz_put(b + pos, -zeros);
		} else {
			/* Counts are signed 64-bit in HdrHistogram; ours never reach 2^63. */
			pos += zz_put(b + pos, (int64_t)c);
		}
	}
	fc_hist_layout_ours(&l);
	memcpy(&ratio_bits, &l.conversion_ratio, sizeof(ratio_bits));
	put_be32(b, FC_HIST_V2_COOKIE_BASE | V2_WORD_SIZE_BITS);
	put_be32(b + 4, (uint32_t)(pos - FC_HIST_V2_HEADER_LEN));
	put_be32(b + 8, (uint32_t)l.normalizing_index_offset);
	put_be32(b + 12, (uint32_t)l.significant_digits);
	put_be64(b + 16, (uint64_t)l.lowest_discernible);
	put_be64(b + 24, (uint64_t)l.highest_trackable);
	put_be64(b + 32, ratio_bits);
	*out = b;
	*len = pos;
	return 0;
}

int
fc_hist_encode_compressed(const struct fc_hist *h, uint8_t **out, size_t *len)
{
	uint8_t *raw, *c;
	size_t raw_len;
	uLongf clen;
	int rc;

	if (out == NULL || len == NULL)
		return -EINVAL;
	rc = fc_hist_encode_v2(h, &raw, &raw_len);
	if (rc != 0)
		return rc;
	clen = compressBound((uLong)raw_len);
	c = malloc(8 + clen);
	if (c == NULL) {
		free(raw);
		return -ENOMEM;
	}
	/* compress() writes a zlib stream (RFC 1950), what java.util.zip.Deflater writes. */
	if (compress(c + 8, &clen, raw, (uLong)raw_len) != Z_OK) {
		free(raw);
		free(c);
		return -EIO;
	}
	free(raw);
	put_be32(c, FC_HIST_V2_COMPRESSED_COOKIE_BASE | V2_WORD_SIZE_BITS);
	put_be32(c + 4, (uint32_t)clen);
	*out = c;
	*len = 8 + clen;
	return 0;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
fc_hist_encode_base64(const struct fc_hist *h)
{
	uint8_t *bin;
	size_t n, o = 0;
	char *s;
	int rc = fc_hist_encode_compressed(h, &bin, &n);

	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	s = malloc((n + 2) / 3 * 4 + 1);
	if (s == NULL) {
		free(bin);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)bin[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)bin[i + 1] << 8;
		if (i + 2 < n)
			v |= bin[i + 2];
		s[o++] = b64_alphabet[(v >> 18) & 63];
		s[o++] = b64_alphabet[(v >> 12) & 63];
		s[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		s[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	s[o] = '\0';
	free(bin);
	return s;
}

static int
b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict RFC 4648 decoding: length a multiple of 4, padding only at the end. */
static int
b64_decode(const char *s, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	size_t n = strlen(s), o = 0;
	uint8_t *b;

	if (n == 0 || n % 4 != 0) {
		set_err(err, errlen, "base64 text of %zu characters (not a positive multiple of 4)", n);
		return -EINVAL;
	}
	b = malloc(n / 4 * 3);
	if (b == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		bool last = i + 4 == n;

		for (int k = 0; k < 4; k++) {
			v[k] = b64_val(s[i + k]);
			if (v[k] < 0 && !(last && k >= 2 && s[i + k] == '=' &&
					  (k == 3 || s[i + 3] == '='))) {
				set_err(err, errlen, "character %zu ('%c') is not base64", i + k,
					s[i + k] >= 32 && s[i + k] < 127 ? s[i + k] : '?');
				free(b);
				return -EINVAL;
			}
		}
		b[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			b[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[3] >= 0)
			b[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	}
	*out = b;
	*outlen = o;
	return 0;
}

/* Smallest value counted at a counts index (the inverse of fc_hist_index()). */
static uint64_t
index_value(uint32_t i)
{
	if (i < FC_HIST_SUB_BUCKET_COUNT)
		return i;
	return (uint64_t)((i & (FC_HIST_SUB_BUCKET_HALF - 1)) + FC_HIST_SUB_BUCKET_HALF)
		<< ((i >> FC_HIST_SUB_BUCKET_HALF_MAG) - 1);
}

/* Set count, min, max and the sums after the counts were filled: from the buckets, with
 * HdrHistogram's median-equivalent value standing for every value of a bucket. */
static void
finish_decoded(struct fc_hist *h)
{
	bool first = true;

	for (uint32_t i = 0; i < FC_HIST_COUNTS_LEN; i++) {
		uint64_t c = h->counts[i], lo, hi, mid;

		if (c == 0)
			continue;
		lo = index_value(i);
		hi = fc_hist_highest_equivalent(lo);
		mid = lo + (hi - lo + 1) / 2;
		if (hi == lo)
			mid = lo;
		if (first) {
			h->min = lo;
			first = false;
		}
		h->max = hi;
		h->count += c;
		h->sum += (fc_hist_u128)mid * c;
		h->sumsq += (fc_hist_u128)mid * mid * c;
	}
}

int
fc_hist_decode_compressed(const uint8_t *buf, size_t n, struct fc_hist *h,
		struct fc_hist_layout *layout, char *err, size_t errlen)
{
	struct fc_hist_layout l;
	uint8_t hdr[FC_HIST_V2_HEADER_LEN], *raw = NULL;
	uint32_t cookie, clen, plen;
	uint64_t ratio_bits;
	z_stream zs;
	size_t pos = 0;
	uint32_t idx = 0;
	int zrc, rc = 0;

	if (buf == NULL || h == NULL)
		return -EINVAL;
	if (n < 8) {
		set_err(err, errlen, "truncated: %zu bytes, a compressed histogram has at least 8", n);
		return -EINVAL;
	}
	cookie = get_be32(buf);
	if ((cookie & ~0xf0u) != FC_HIST_V2_COMPRESSED_COOKIE_BASE) {
		set_err(err, errlen, "cookie 0x%08x is not HdrHistogram's compressed V2 (0x%08x)",
			cookie, FC_HIST_V2_COMPRESSED_COOKIE_BASE | V2_WORD_SIZE_BITS);
		return -EINVAL;
	}
	clen = get_be32(buf + 4);
	if (clen > n - 8) {
		set_err(err, errlen, "truncated: compressed length %u, %zu bytes present", clen, n - 8);
		return -EINVAL;
	}

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)(uintptr_t)(buf + 8);
	zs.avail_in = clen;
	zs.next_out = hdr;
	zs.avail_out = sizeof(hdr);
	zrc = inflate(&zs, Z_SYNC_FLUSH);
	if ((zrc != Z_OK && zrc != Z_STREAM_END) || zs.avail_out != 0) {
		set_err(err, errlen, "the deflate stream is corrupt or shorter than the V2 header");
		rc = -EINVAL;
		goto out;
	}
	cookie = get_be32(hdr);
	if ((cookie & ~0xf0u) != FC_HIST_V2_COOKIE_BASE || (cookie & 0xf0u) != V2_WORD_SIZE_BITS) {
		set_err(err, errlen, "encoding cookie 0x%08x is not HdrHistogram's V2 (0x%08x)",
			cookie, FC_HIST_V2_COOKIE_BASE | V2_WORD_SIZE_BITS);
		rc = -EINVAL;
		goto out;
	}
	plen = get_be32(hdr + 4);
	l.normalizing_index_offset = (int32_t)get_be32(hdr + 8);
	l.significant_digits = (int32_t)get_be32(hdr + 12);
	l.lowest_discernible = (int64_t)get_be64(hdr + 16);
	l.highest_trackable = (int64_t)get_be64(hdr + 24);
	ratio_bits = get_be64(hdr + 32);
	memcpy(&l.conversion_ratio, &ratio_bits, sizeof(ratio_bits));
	if (layout != NULL)
		*layout = l;
	if (!fc_hist_layout_compatible(&l, err, errlen)) {
		rc = -ENOTSUP;
		goto out;
	}
	if (plen > PAYLOAD_MAX) {
		set_err(err, errlen, "payload length %u is above the bound %u", plen, PAYLOAD_MAX);
		rc = -EINVAL;
		goto out;
	}
	raw = malloc(plen + 1);
	if (raw == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	zs.next_out = raw;
	zs.avail_out = plen + 1; /* one byte more: a longer stream than announced is an error */
	zrc = zrc == Z_STREAM_END ? Z_STREAM_END : inflate(&zs, Z_FINISH);
	if (zrc != Z_STREAM_END || zs.avail_out != 1) {
		set_err(err, errlen, "payload: %s (%u bytes announced, %u inflated)",
			zrc == Z_STREAM_END ? "length differs from the header" :
			"deflate stream truncated or corrupt", plen, plen + 1 - zs.avail_out);
		rc = -EINVAL;
		goto out;
	}

	fc_hist_reset(h);
	while (pos < plen) {
		int64_t v;
		size_t used = zz_get(raw + pos, plen - pos, &v);

		if (used == 0) {
			set_err(err, errlen, "payload: a count is cut off at byte %zu", pos);
			rc = -EINVAL;
			goto out;
		}
		pos += used;
		if (v < 0) {
			uint64_t zeros = (uint64_t)0 - (uint64_t)v;

			if (zeros > (uint64_t)FC_HIST_COUNTS_LEN - idx) {
				set_err(err, errlen, "payload: a run of %llu zero counts passes the end of "
					"the counts (%u)", (unsigned long long)zeros, FC_HIST_COUNTS_LEN);
				rc = -EINVAL;
				goto out;
			}
			idx += (uint32_t)zeros;
		} else {
			if (idx >= FC_HIST_COUNTS_LEN) {
				/* A larger highest trackable value: only zeros may lie beyond ours. */
				set_err(err, errlen, "payload: count at index %u is beyond our %u counters",
					idx, FC_HIST_COUNTS_LEN);
				rc = -ENOTSUP;
				goto out;
			}
			h->counts[idx++] = (uint64_t)v;
		}
	}
	finish_decoded(h);
out:
	inflateEnd(&zs);
	free(raw);
	if (rc != 0)
		fc_hist_reset(h); /* never half a histogram */
	return rc;
}

int
fc_hist_decode_base64(const char *b64, struct fc_hist *h, struct fc_hist_layout *layout,
		char *err, size_t errlen)
{
	uint8_t *bin;
	size_t n;
	int rc;

	if (b64 == NULL || h == NULL)
		return -EINVAL;
	rc = b64_decode(b64, &bin, &n, err, errlen);
	if (rc != 0)
		return rc;
	rc = fc_hist_decode_compressed(bin, n, h, layout, err, errlen);
	free(bin);
	return rc;
}
