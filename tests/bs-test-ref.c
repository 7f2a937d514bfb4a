#include "bs-test-ref.h"

uint64_t
bs_test_rng_next (bs_test_rng *r)
{
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

float
bs_test_rng_float_bits (bs_test_rng *r)
{
  uint32_t u = (uint32_t) (bs_test_rng_next (r) >> 32);
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

double
bs_test_rng_uniform (bs_test_rng *r)
{
  return (double) (bs_test_rng_next (r) >> 11) * 0x1p-53;
}

float
bs_test_rng_float_log (bs_test_rng *r, int lo, int hi)
{
  double e = lo + (hi - lo) * bs_test_rng_uniform (r);
  float f = (float) exp2 (e);
  return (bs_test_rng_next (r) & 1) ? -f : f;
}

gboolean
bs_test_same (double a, double b)
{
  if (isnan (a) || isnan (b))
    return isnan (a) && isnan (b);
  return a == b && signbit (a) == signbit (b);
}
