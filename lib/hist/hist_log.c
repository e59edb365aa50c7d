/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HdrHistogram's interval log, format version 1.3, as HistogramLogWriter writes it, so that
 * HistogramLogProcessor and HistogramLogReader (and the C and Go ports) read our .hlog.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "fc_hist.h"

int
fc_hlog_write_header(FILE *f, uint64_t start_unix_ns)
{
	time_t secs = (time_t)(start_unix_ns / 1000000000u);
	unsigned ms = (unsigned)(start_unix_ns % 1000000000u / 1000000u);
	double start_s = (double)(start_unix_ns / 1000000u) / 1e3;
	char iso[32];
	struct tm tm;

	if (f == NULL || gmtime_r(&secs, &tm) == NULL)
		return -EINVAL;
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	/* BaseTime equal to StartTime: readers add it to each line's timestamp, and line
	 * timestamps stay short (seconds since the start). Java's reader skips lines whose
	 * timestamp falls before StartTime, so the two must agree to the millisecond. */
	if (fprintf(f, "#[Histogram log format version 1.3]\n") < 0 ||
	    fprintf(f, "#[StartTime: %.3f (seconds since epoch), %s.%03uZ]\n", start_s, iso, ms) < 0 ||
	    fprintf(f, "#[BaseTime: %.3f (seconds since epoch)]\n", start_s) < 0 ||
	    fprintf(f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		    "\"Interval_Compressed_Histogram\"\n") < 0)
		return -EIO;
	return 0;
}

int
fc_hlog_write_interval(FILE *f, const char *tag, double start_s, double len_s,
		uint64_t max_ns, const char *b64)
{
	if (f == NULL || b64 == NULL || start_s < 0 || len_s < 0)
		return -EINVAL;
	if (tag != NULL && tag[0] != '\0') {
		if (strpbrk(tag, ", \t\r\n") != NULL)
			return -EINVAL;
		if (fprintf(f, "Tag=%s,", tag) < 0)
			return -EIO;
	}
	if (fprintf(f, "%.3f,%.3f,%.3f,%s\n", start_s, len_s, (double)max_ns / 1e6, b64) < 0)
		return -EIO;
	return 0;
}
