/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for lib/pcap: the capture reader, TCP reassembly, HTTP extraction and
 * the plan's filters and rewrite.
 *
 * Input byte 0 picks the mode:
 *  - odd: the rest is a capture file, read through fmemopen() + libpcap (file format
 *    parsing, link types, truncation);
 *  - even: the rest is a list of packets fed straight to fc_pcap_extractor_feed(), so
 *    mutations reach TCP and HTTP instead of dying in libpcap's header checks. Each
 *    record: 1 byte link type selector, 1 byte time step (ms), 2 bytes length (LE), then
 *    the frame. Small bounds (flows, out-of-order bytes, heads) make every limit reachable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fc_pcap.h"

static int
on_req(const struct fc_pcap_request *r, void *arg)
{
	volatile uint8_t sink = 0;

	/* Touch every byte the callback is promised, so ASan checks the pointers. */
	for (size_t i = 0; i < r->raw_len; i++)
		sink ^= r->raw[i];
	for (size_t i = 0; i < r->path_len; i++)
		sink ^= (uint8_t)r->path[i];
	for (size_t i = 0; i < r->host_len; i++)
		sink ^= (uint8_t)r->host[i];
	if (r->method_len == 0 || r->head_len > r->raw_len)
		abort();
	(void)sink;
	return fc_replay_plan_on_request(r, arg);
}

static int
on_skip(const struct fc_pcap_skip *s, void *arg)
{
	(void)arg;
	if ((unsigned)s->reason >= FC_PCAP_SKIP__COUNT || s->detail == NULL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[4] = { DLT_EN10MB, DLT_RAW, 113 /* SLL */, 276 /* SLL2 */ };
	struct fc_pcap_opts o;
	struct fc_replay_opts ro;
	struct fc_pcap_extractor *x;
	struct fc_replay_plan *p;
	const struct fc_pcap_stats *st;

	if (size < 1)
		return 0;
	fc_replay_opts_default(&ro);
	ro.set_header[ro.num_set_header++] = "X-Fuzz: 1";
	ro.target_host = "198.18.0.2";
	ro.deny_url[ro.num_deny_url++] = "^/deny";
	ro.max_arena_bytes = 1 << 20;
	p = fc_replay_plan_create(&ro, NULL, 0);
	if (p == NULL)
		return 0;
	fc_pcap_opts_default(&o);
	o.max_flows = 4;
	o.max_ooo_bytes = 2048;
	o.max_head_bytes = 512;
	o.max_request_bytes = 4096;
	o.max_flow_bytes = 8192;
	o.max_pending = 3;
	o.idle_timeout_ns = 5000000000ull;
	o.on_request = on_req;
	o.on_skip = on_skip;
	o.arg = p;
	x = fc_pcap_extractor_create(&o);
	if (x == NULL) {
		fc_replay_plan_free(p);
		return 0;
	}
	if (data[0] & 1) {
		FILE *fp = size > 1 ? fmemopen((void *)(uintptr_t)(data + 1), size - 1, "rb") : NULL;

		if (fp != NULL)
			(void)fc_pcap_extract_fp(x, fp, NULL, 0);
	} else {
		size_t off = 1;
		uint64_t ts = 1700000000ull * 1000000000ull;

		while (off + 4 <= size) {
			int dlt = dlts[data[off] & 3];
			uint32_t len = (uint32_t)data[off + 2] | ((uint32_t)data[off + 3] << 8);
			uint32_t wire;

			ts += (uint64_t)data[off + 1] * 1000000ull;
			off += 4;
			if (len > size - off)
				len = (uint32_t)(size - off);
			/* Bit 2 of the selector: pretend the snaplen cut 16 bytes. */
			wire = (data[off - 4] & 4) ? len + 16 : len;
			(void)fc_pcap_extractor_feed(x, dlt, ts, data + off, len, wire);
			off += len;
		}
		(void)fc_pcap_extractor_finish(x);
	}
	st = fc_pcap_extractor_stats(x);
	if (st->requests_seen != st->requests_extracted + st->requests_skipped)
		abort(); /* the accounting invariant */
	fc_pcap_extractor_free(x);
	if (fc_replay_plan_finish(p) == 0)
		(void)fc_replay_plan_assign(p, 3, FC_REPLAY_ASSIGN_HASH);
	fc_replay_plan_free(p);
	return 0;
}
