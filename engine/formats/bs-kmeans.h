/* bs-kmeans.h — one-dimensional k-means of a tensor's values, the fitting
 * behind the kmeans<K> formats, for the training code (centroid retraining).
 *
 * Plain C11, no GLib.  Deterministic: the same input, k, seed and iteration
 * bound give the same centroids on every run and platform.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Index given to NaN elements (they belong to no cluster). */
#define BS_KMEANS_NO_INDEX UINT32_MAX

/* Cluster the finite values of x[0..n-1] into at most k (1 ≤ k ≤ 65536)
 * centroids: k-means++ seeding driven by splitmix64(seed) over the distinct
 * values weighted by their counts, then at most iters Lloyd iterations,
 * stopping early when no value changes cluster.  Equal values always share a
 * cluster (-0 counts as 0).  With c ≤ k distinct finite values the centroids
 * are those values exactly.
 *
 * Writes k centroids in ascending order: the first c are the fitted ones, the
 * rest repeat centroids[c-1] (0 when c = 0).  If index is not NULL, index[i]
 * is x[i]'s cluster as bs_kmeans_assign gives it.  Returns c (0 when x has no
 * finite value), or -1 with a reason in err (bad arguments, out of memory).
 * ±inf elements take no part in the fit; they are assigned to the extreme
 * centroids. */
int bs_kmeans_fit (const float *x, size_t n, int k, uint64_t seed, int iters,
                   double *centroids, uint32_t *index, char *err, size_t errlen);

/* index[i] = the cluster of x[i] among c ascending centroids: the nearest,
 * cut at the double midpoints fl(a/2 + b/2) of neighbours, a value on a cut
 * going to the lower one; NaN → BS_KMEANS_NO_INDEX (also for every element
 * when c = 0). */
void bs_kmeans_assign (const double *centroids, int c, const float *x, size_t n,
                       uint32_t *index);

#ifdef __cplusplus
}
#endif
