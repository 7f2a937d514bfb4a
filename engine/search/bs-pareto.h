/* bs-pareto.h — the accuracy/energy Pareto front of a set of points.
 *
 * Objectives: maximise accuracy, minimise energy.  Point p dominates q when
 * p.acc ≥ q.acc and p.energy ≤ q.energy with at least one strict.  The front
 * is the set of points no other point dominates.  Equal points do not dominate
 * each other, so duplicates of a front point are all on the front (two
 * configurations with identical results are both optimal; a caller that wants
 * one per value can drop repeats from the sorted front).  Points with a NaN or
 * infinite coordinate are never on the front and dominate nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* p dominates q (both coordinates finite; false otherwise). */
bool bs_pareto_dominates (double p_acc, double p_energy, double q_acc, double q_energy);

/* Indices of the front members of the n points (acc[i], energy[i]), written
 * to front (room for n) in order of increasing energy, ties (equal points) by
 * increasing index; along it accuracy is non-decreasing.  Returns their
 * number.  O(n log n): one sort by (energy ↑, accuracy ↓) and one sweep. */
size_t bs_pareto_front (const double *acc, const double *energy, size_t n, size_t *front);

/* The staircase of a front for plotting: the attainable region's boundary,
 * best accuracy as a step function of energy.  front, n_front as returned by
 * bs_pareto_front.  Writes vertices (x = energy, y = accuracy) in drawing
 * order: (e0, a0), (e1, a0), (e1, a1), (e2, a1), …, (e_last, a_last); equal
 * consecutive front points give one vertex.  x and y need room for
 * 2·n_front − 1 entries.  Returns the number of vertices (0 for an empty
 * front). */
size_t bs_pareto_staircase (const double *acc, const double *energy, const size_t *front,
                            size_t n_front, double *x, double *y);

#ifdef __cplusplus
}
#endif
