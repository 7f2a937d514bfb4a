/* Pareto fronts: the sort-based front against a brute-force O(n²) dominance
 * check on random sets full of ties and duplicates, non-finite points, and
 * the plotting staircase. */
#include "bs-test-ref.h"
#include "bs-pareto.h"

/* Dominance written out from the definition: maximise acc, minimise energy. */
static gboolean
ref_dominates (double pa, double pe, double qa, double qe)
{
  if (!isfinite (pa) || !isfinite (pe) || !isfinite (qa) || !isfinite (qe))
    return FALSE;
  if (pa < qa || pe > qe)
    return FALSE;
  return pa != qa || pe != qe;
}

/* Brute force: on the front iff finite and dominated by no point. */
static void
ref_front (const double *acc, const double *energy, size_t n, gboolean *on)
{
  for (size_t i = 0; i < n; i++)
    {
      on[i] = isfinite (acc[i]) && isfinite (energy[i]);
      for (size_t j = 0; j < n && on[i]; j++)
        if (ref_dominates (acc[j], energy[j], acc[i], energy[i]))
          on[i] = FALSE;
    }
}

/* Check one set: same membership as brute force, sorted by (energy ↑,
 * index ↑), accuracy non-decreasing along it. */
static void
check_set (const double *acc, const double *energy, size_t n)
{
  size_t *front = g_new (size_t, n + 1);
  gboolean *on = g_new0 (gboolean, n + 1), *got = g_new0 (gboolean, n + 1);
  size_t k = bs_pareto_front (acc, energy, n, front), expect = 0;

  ref_front (acc, energy, n, on);
  for (size_t i = 0; i < n; i++)
    expect += on[i];
  g_assert_cmpuint (k, ==, expect);
  for (size_t i = 0; i < k; i++)
    {
      g_assert_cmpuint (front[i], <, n);
      g_assert_true (on[front[i]]);
      g_assert_false (got[front[i]]);
      got[front[i]] = TRUE;
      if (i > 0)
        {
          double e0 = energy[front[i - 1]], e1 = energy[front[i]];
          g_assert_cmpfloat (e0, <=, e1);
          if (e0 == e1)
            g_assert_cmpuint (front[i - 1], <, front[i]);
          g_assert_cmpfloat (acc[front[i - 1]], <=, acc[front[i]]);
        }
    }
  g_free (front);
  g_free (on);
  g_free (got);
}

static void
test_brute_force (void)
{
  bs_test_rng rng = { 20240611 };

  for (int set = 0; set < 3000; set++)
    {
      size_t n = bs_test_rng_next (&rng) % 120;
      /* few distinct values so that ties and duplicates are common */
      int levels = 1 + (int) (bs_test_rng_next (&rng) % (set % 3 == 0 ? 4 : 20));
      double *acc = g_new (double, n + 1), *energy = g_new (double, n + 1);

      for (size_t i = 0; i < n; i++)
        {
          acc[i] = 50.0 + (double) (bs_test_rng_next (&rng) % levels);
          energy[i] = 0.25 * (double) (bs_test_rng_next (&rng) % levels);
          if (set % 5 == 1)   /* continuous values too */
            acc[i] += bs_test_rng_uniform (&rng);
        }
      check_set (acc, energy, n);
      g_free (acc);
      g_free (energy);
    }
}

static void
test_duplicates (void)
{
  /* equal points are all on the front; a dominated point's twin is not */
  double acc[] = { 70, 70, 70, 60, 60 };
  double energy[] = { 5, 5, 5, 9, 9 };
  size_t front[5];
  size_t k = bs_pareto_front (acc, energy, 5, front);

  g_assert_cmpuint (k, ==, 3);
  g_assert_cmpuint (front[0], ==, 0);
  g_assert_cmpuint (front[1], ==, 1);
  g_assert_cmpuint (front[2], ==, 2);
}

static void
test_same_energy (void)
{
  /* at equal energy only the most accurate survive; at equal accuracy only
   * the cheapest */
  double acc[] = { 80, 81, 81, 75, 75 };
  double energy[] = { 10, 10, 10, 3, 4 };
  size_t front[5];
  size_t k = bs_pareto_front (acc, energy, 5, front);

  g_assert_cmpuint (k, ==, 3);
  g_assert_cmpuint (front[0], ==, 3);
  g_assert_cmpuint (front[1], ==, 1);
  g_assert_cmpuint (front[2], ==, 2);
}

static void
test_non_finite (void)
{
  double acc[] = { NAN, 90, 70, INFINITY, 60, -INFINITY };
  double energy[] = { 1, INFINITY, 5, 0, 1, 0 };
  size_t front[6];
  size_t k = bs_pareto_front (acc, energy, 6, front);

  /* NaN and infinite points are off the front and hide nothing */
  g_assert_cmpuint (k, ==, 2);
  g_assert_cmpuint (front[0], ==, 4);
  g_assert_cmpuint (front[1], ==, 2);
  g_assert_false (bs_pareto_dominates (NAN, 0, 1, 1));
  g_assert_false (bs_pareto_dominates (2, 0, 1, NAN));
  g_assert_true (bs_pareto_dominates (2, 0, 1, 0));
  g_assert_true (bs_pareto_dominates (1, 0, 1, 1));
  g_assert_false (bs_pareto_dominates (1, 1, 1, 1));
  g_assert_false (bs_pareto_dominates (2, 2, 1, 1));
}

static void
test_empty (void)
{
  size_t front[1];

  g_assert_cmpuint (bs_pareto_front (NULL, NULL, 0, front), ==, 0);
  g_assert_cmpuint (bs_pareto_staircase (NULL, NULL, front, 0, NULL, NULL), ==, 0);
}

static void
test_staircase (void)
{
  /* front (energy, acc): (1, 50), (2, 60), (2, 60) duplicate, (4, 70) */
  double acc[] = { 70, 60, 50, 60, 40 };
  double energy[] = { 4, 2, 1, 2, 3 };
  size_t front[5];
  double x[9], y[9];
  const double ex[] = { 1, 2, 2, 4, 4 }, ey[] = { 50, 50, 60, 60, 70 };
  size_t k = bs_pareto_front (acc, energy, 5, front), v;

  g_assert_cmpuint (k, ==, 4);
  v = bs_pareto_staircase (acc, energy, front, k, x, y);
  g_assert_cmpuint (v, ==, 5);
  for (size_t i = 0; i < v; i++)
    {
      g_assert_cmpfloat (x[i], ==, ex[i]);
      g_assert_cmpfloat (y[i], ==, ey[i]);
    }

  /* a single point is a single vertex */
  v = bs_pareto_staircase (acc, energy, front, 1, x, y);
  g_assert_cmpuint (v, ==, 1);
  g_assert_cmpfloat (x[0], ==, 1);
  g_assert_cmpfloat (y[0], ==, 50);
}

/* The staircase on random fronts: 2k − 1 vertices for k distinct points,
 * alternating horizontal and vertical segments, and every front point is a
 * corner. */
static void
test_staircase_random (void)
{
  bs_test_rng rng = { 99 };

  for (int set = 0; set < 500; set++)
    {
      size_t n = 1 + bs_test_rng_next (&rng) % 60, k, v, distinct = 0;
      double *acc = g_new (double, n), *energy = g_new (double, n);
      double *x = g_new (double, 2 * n), *y = g_new (double, 2 * n);
      size_t *front = g_new (size_t, n);

      for (size_t i = 0; i < n; i++)
        {
          acc[i] = (double) (bs_test_rng_next (&rng) % 10);
          energy[i] = (double) (bs_test_rng_next (&rng) % 10);
        }
      k = bs_pareto_front (acc, energy, n, front);
      for (size_t i = 0; i < k; i++)
        distinct += i == 0 || energy[front[i]] != energy[front[i - 1]]
                    || acc[front[i]] != acc[front[i - 1]];
      v = bs_pareto_staircase (acc, energy, front, k, x, y);
      g_assert_cmpuint (v, ==, 2 * distinct - 1);
      for (size_t i = 1; i < v; i++)
        {
          if (i % 2 == 1)   /* horizontal: energy grows at constant accuracy */
            {
              g_assert_cmpfloat (y[i], ==, y[i - 1]);
              g_assert_cmpfloat (x[i], >, x[i - 1]);
            }
          else              /* vertical: accuracy grows at constant energy */
            {
              g_assert_cmpfloat (x[i], ==, x[i - 1]);
              g_assert_cmpfloat (y[i], >, y[i - 1]);
            }
        }
      for (size_t i = 0; i < k; i++)
        {
          gboolean found = FALSE;
          for (size_t j = 0; j < v; j += 2)
            found |= x[j] == energy[front[i]] && y[j] == acc[front[i]];
          g_assert_true (found);
        }
      g_free (acc);
      g_free (energy);
      g_free (x);
      g_free (y);
      g_free (front);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/search/pareto/brute-force", test_brute_force);
  g_test_add_func ("/engine/search/pareto/duplicates", test_duplicates);
  g_test_add_func ("/engine/search/pareto/same-energy", test_same_energy);
  g_test_add_func ("/engine/search/pareto/non-finite", test_non_finite);
  g_test_add_func ("/engine/search/pareto/empty", test_empty);
  g_test_add_func ("/engine/search/pareto/staircase", test_staircase);
  g_test_add_func ("/engine/search/pareto/staircase-random", test_staircase_random);
  return g_test_run ();
}
