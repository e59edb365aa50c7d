/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Mann-Whitney U test (Wilcoxon rank-sum), two-sided, as benchstat and Kayenta use it:
 * it asks whether values of one sample tend to be larger than those of the other, with no
 * assumption on the shape of the distributions. It assumes the values within each sample
 * are independent draws; docs/results.md says what that means for interval samples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fc_results.h"

#define EXACT_MAX 50u

struct ranked {
	double v;
	unsigned from_x;
};

static int
cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;

	return x < y ? -1 : x > y;
}

/*
 * P(U <= u) under the null for sample sizes m and n with no ties: the number of
 * arrangements f(m, n, u) from the recurrence f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)
 * (the largest value is either an x, beating all n y's, or a y), rolled over n so that the
 * table is (m+1) x (m*n+1); sums only, so no cancellation in floating point.
 */
static double
exact_cdf(unsigned m, unsigned n, double u)
{
	unsigned width = m * n + 1;
	double *g = calloc((size_t)(m + 1) * width, sizeof(double)), total = 0, below = 0;

	if (g == NULL)
		return -1.0;
	for (unsigned i = 0; i <= m; i++)
		g[(size_t)i * width] = 1.0; /* n = 0: one arrangement, U = 0 */
	for (unsigned k = 1; k <= n; k++) {
		for (unsigned i = 1; i <= m; i++) {
			double *row = g + (size_t)i * width, *prev = g + (size_t)(i - 1) * width;

			/* prev is row i-1, already at n = k: the largest value is an x. */
			for (unsigned v = k; v <= i * k; v++)
				row[v] += prev[v - k];
		}
	}
	for (unsigned v = 0; v < width; v++) {
		total += g[(size_t)m * width + v];
		if ((double)v <= u + 1e-9)
			below += g[(size_t)m * width + v];
	}
	free(g);
	return below / total;
}

double
fc_mann_whitney_p(const double *x, unsigned nx, const double *y, unsigned ny, double *u_out)
{
	unsigned n = nx + ny;
	struct ranked *a;
	double r1 = 0, ties = 0, u, mu, var, p;
	bool tied = false;

	if (u_out)
		*u_out = 0;
	if (nx == 0 || ny == 0)
		return 1.0;
	a = malloc(n * sizeof(*a));
	if (a == NULL)
		return 1.0;
	for (unsigned i = 0; i < nx; i++)
		a[i] = (struct ranked){ x[i], 1 };
	for (unsigned i = 0; i < ny; i++)
		a[nx + i] = (struct ranked){ y[i], 0 };
	qsort(a, n, sizeof(*a), cmp_ranked);
	for (unsigned i = 0; i < n;) {
		unsigned j = i;
		double mid;

		while (j + 1 < n && a[j + 1].v == a[i].v)
			j++;
		mid = (i + j) / 2.0 + 1.0; /* ranks are 1-based; tied values share the mean rank */
		for (unsigned k = i; k <= j; k++)
			if (a[k].from_x)
				r1 += mid;
		if (j > i) {
			double t = j - i + 1;

			ties += t * t * t - t;
			tied = true;
		}
		i = j + 1;
	}
	free(a);
	u = r1 - nx * (nx + 1) / 2.0;
	if (u_out)
		*u_out = u;
	mu = (double)nx * ny / 2.0;
	if (!tied && nx <= EXACT_MAX && ny <= EXACT_MAX) {
		double lo = exact_cdf(nx, ny, u), hi = exact_cdf(nx, ny, (double)nx * ny - u);

		if (lo >= 0 && hi >= 0) {
			/* P(U >= u) = P(U' <= nx*ny - u) by symmetry of the null distribution. */
			p = 2.0 * (lo < hi ? lo : hi);
			return p > 1.0 ? 1.0 : p;
		}
	}
	var = (double)nx * ny / 12.0 * ((n + 1) - ties / ((double)n * (n - 1)));
	if (!(var > 0))
		return 1.0; /* every value tied: nothing tells the samples apart */
	double z = (fabs(u - mu) - 0.5) / sqrt(var);

	if (z < 0)
		z = 0;
	p = erfc(z / sqrt(2.0));
	return p > 1.0 ? 1.0 : p;
}

/* Sum of products of neighbours and of squares of one series about its mean. */
static void
lag1_sums(const double *v, unsigned n, double *num, double *den)
{
	double m = 0;

	if (n < 3)
		return;
	for (unsigned i = 0; i < n; i++)
		m += v[i];
	m /= n;
	for (unsigned i = 0; i < n; i++) {
		*den += (v[i] - m) * (v[i] - m);
		if (i + 1 < n)
			*num += (v[i] - m) * (v[i + 1] - m);
	}
}

double
fc_lag1_autocorr(const double *x, unsigned nx, const double *y, unsigned ny)
{
	double num = 0, den = 0, r;

	lag1_sums(x, nx, &num, &den);
	lag1_sums(y, ny, &num, &den);
	if (!(den > 0))
		return 0;
	r = num / den;
	/* Negative dependence would shrink the variance: not trusted from 10 points. */
	return r < 0 ? 0 : r > 0.9 ? 0.9 : r;
}
