/* pareto.c — accuracy/energy Pareto fronts (see bs-pareto.h). */
#include "bs-pareto.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
  double acc, energy;
  size_t idx;
} point;

bool
bs_pareto_dominates (double p_acc, double p_energy, double q_acc, double q_energy)
{
  if (!isfinite (p_acc) || !isfinite (p_energy) || !isfinite (q_acc) || !isfinite (q_energy))
    return false;
  return p_acc >= q_acc && p_energy <= q_energy && (p_acc > q_acc || p_energy < q_energy);
}

/* energy ↑, then accuracy ↓, then index ↑: a total order on finite points. */
static int
cmp_point (const void *pa, const void *pb)
{
  const point *a = pa, *b = pb;

  if (a->energy != b->energy)
    return a->energy < b->energy ? -1 : 1;
  if (a->acc != b->acc)
    return a->acc > b->acc ? -1 : 1;
  return (a->idx > b->idx) - (a->idx < b->idx);
}

/* After the sort, a point is dominated exactly when an earlier point has
 * higher accuracy at the same energy, or accuracy at least as high at lower
 * energy.  So: walk groups of equal energy keeping the best accuracy seen at
 * strictly lower energy; a group's most accurate points are on the front when
 * they beat it, and nothing else in the group is. */
size_t
bs_pareto_front (const double *acc, const double *energy, size_t n, size_t *front)
{
  point *pts = malloc ((n ? n : 1) * sizeof *pts);
  size_t m = 0, k = 0;
  double best = -INFINITY;

  if (!pts)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite (acc[i]) && isfinite (energy[i]))
      pts[m++] = (point) { acc[i], energy[i], i };
  qsort (pts, m, sizeof *pts, cmp_point);

  for (size_t g = 0; g < m;)
    {
      size_t end = g;
      double gmax = pts[g].acc;

      while (end < m && pts[end].energy == pts[g].energy)
        end++;
      if (gmax > best)
        {
          for (size_t j = g; j < end && pts[j].acc == gmax; j++)
            front[k++] = pts[j].idx;
          best = gmax;
        }
      g = end;
    }
  free (pts);
  return k;
}

size_t
bs_pareto_staircase (const double *acc, const double *energy, const size_t *front,
                     size_t n_front, double *x, double *y)
{
  size_t k = 0;

  for (size_t i = 0; i < n_front; i++)
    {
      double e = energy[front[i]], a = acc[front[i]];

      if (k > 0 && e == x[k - 1] && a == y[k - 1])
        continue;   /* a repeat of the previous front point */
      if (k > 0)
        {
          x[k] = e;
          y[k] = y[k - 1];
          k++;
        }
      x[k] = e;
      y[k] = a;
      k++;
    }
  return k;
}
