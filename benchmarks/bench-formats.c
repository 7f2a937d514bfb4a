/* bench-formats — quantize throughput per format on 2^24 floats, beside a
 * memcpy of the same buffer measured in the same run; exact dot products in
 * M MAC/s.  One thread.  Best of several repetitions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bs-dot.h"
#include "bs-dot-kernel.h"
#include "bs-format.h"

#define N (1u << 24)
#define REPS 5

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* splitmix64 + Box–Muller: reproducible normal data, like weights */
static uint64_t rng = 12345;
static double
uniform (void)
{
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return ((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

static double
normal (void)
{
  double u = uniform (), v = uniform ();
  return sqrt (-2.0 * log (u + 0x1p-60)) * cos (2 * M_PI * v);
}

static volatile float sink;

int
main (int argc, char **argv)
{
  static const char *const formats[] = {
    "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp4_e2m1", "int8", "int4",
    "fixed8", "fixed16", "binary", "ternary", "posit8_0", "posit16_1", "posit16_2", "posit32_2",
    "log8", "log16", "nf4", "mxfp8_e4m3", "mxfp4", "mxint8", "nvfp4", NULL,
  };
  float *in = malloc (N * sizeof *in), *out = malloc (N * sizeof *out);
  double best_memcpy = 1e30;

  if (!in || !out)
    return 1;
  for (size_t i = 0; i < N; i++)
    in[i] = (float) (0.25 * normal ());
  memset (out, 0, N * sizeof *out);

  for (int r = 0; r < REPS; r++)
    {
      double t = now ();
      memcpy (out, in, N * sizeof *in);
      t = now () - t;
      sink = out[r];
      if (t < best_memcpy)
        best_memcpy = t;
    }
  printf ("# quantize 2^24 floats (normal, sigma 0.25), one thread, best of %d\n", REPS);
  printf ("%-12s %10s %12s\n", "format", "Mvalues/s", "vs memcpy");
  printf ("%-12s %10.0f %12s\n", "memcpy", N / best_memcpy / 1e6, "1.000");

  for (int k = 0; formats[k]; k++)
    {
      bs_format f;
      char err[256];
      double best = 1e30;

      if (argc > 1 && strstr (argv[1], formats[k]) == NULL)
        continue;
      if (bs_format_parse (formats[k], &f, err, sizeof err) < 0)
        {
          printf ("%-12s %10s   (%s)\n", formats[k], "-", err);
          continue;
        }
      for (int r = 0; r < REPS; r++)
        {
          double t = now ();
          if (bs_format_quantize (&f, in, out, N, NULL, err, sizeof err) < 0)
            {
              printf ("%-12s failed: %s\n", formats[k], err);
              break;
            }
          t = now () - t;
          sink = out[r];
          if (t < best)
            best = t;
        }
      printf ("%-12s %10.0f %12.3f\n", formats[k], N / best / 1e6, best_memcpy / best);
    }
  free (in);
  free (out);

  /* exact dot products: a 64 x 64 block of dot products of length 4096 */
  {
    static const struct { const char *fmt, *acc; } dots[] = {
      { "fp32", "fp32" }, { "int8", "int32" }, { "log8", "elma" }, { "fp8_e4m3", "kulisch" },
    };
    enum { M = 64, NN = 64, K = 4096 };
    double *u = malloc ((size_t) (M + NN) * K * sizeof *u);
    char *ops = malloc ((size_t) (M + NN) * K * 8);
    double *res = malloc ((size_t) M * NN * sizeof *res);

    printf ("\n# exact dot products: %d x %d outputs of length %d, one thread, best of 3\n",
            M, NN, K);
    printf ("%-10s %-8s %-8s %10s %12s\n", "format", "acc", "kernel", "M MAC/s", "vs fp32");
    double base = 0;
    for (size_t d = 0; d < sizeof dots / sizeof dots[0]; d++)
      {
        bs_format f;
        bs_acc acc;
        char err[256];
        bs_dot_kernel *k;
        size_t osz;
        double best = 1e30;
        int64_t macs = (int64_t) M * NN * K;

        if (argc > 1 && strstr (argv[1], dots[d].fmt) == NULL)
          continue;
        bs_format_parse (dots[d].fmt, &f, err, sizeof err);
        bs_acc_parse (dots[d].acc, &acc);
        k = bs_dot_kernel_new (&f, &f, acc, err, sizeof err);
        if (!k)
          {
            printf ("%-10s %-8s   (%s)\n", dots[d].fmt, dots[d].acc, err);
            continue;
          }
        for (size_t i = 0; i < (size_t) (M + NN) * K; i++)
          u[i] = bs_format_round (&f, 0.5 * normal ());
        osz = bs_dot_kernel_operand_size (k);
        if (bs_dot_kernel_pack (k, 0, u, (size_t) M * K, ops, err, sizeof err) < 0
            || bs_dot_kernel_pack (k, 1, u + (size_t) M * K, (size_t) NN * K,
                                   ops + (size_t) M * K * osz, err, sizeof err) < 0)
          {
            printf ("%-10s %-8s   (%s)\n", dots[d].fmt, dots[d].acc, err);
            bs_dot_kernel_free (k);
            continue;
          }
        /* ELMA: the scalar loops, then the vector ones where the CPU has them
         * (and BITSCAPE_SIMD does not turn them off) */
        int simd = bs_dot_simd (-1);
        for (int level = 0; level <= simd; level++)
          {
            const char *unit = "";
            if (acc == BS_ACC_ELMA)
              {
                if (bs_dot_simd (level) != level)
                  break;
                unit = level ? " (AVX-512)" : " (scalar)";
              }
            else if (level > 0)
              break;
            best = 1e30;
            /* the generic Kulisch kernel is slow: one repetition of a quarter */
            for (int r = 0; r < 3; r++)
              {
                int64_t m = strcmp (bs_dot_kernel_kind (k), "generic") == 0 ? M / 4 : M;
                double t = now ();
                bs_dot_kernel_run (k, m, NN, K, ops, K, ops + (size_t) M * K * osz, K, res, NN,
                                   NULL, err, sizeof err);
                t = (now () - t) * (double) M / (double) m;
                if (t < best)
                  best = t;
              }
            if (d == 0)
              base = macs / best;
            printf ("%-10s %-8s %-8s %10.0f %12.3f%s\n", dots[d].fmt, dots[d].acc,
                    bs_dot_kernel_kind (k), macs / best / 1e6, macs / best / base, unit);
          }
        bs_dot_simd (simd);
        bs_dot_kernel_free (k);
      }
    free (u);
    free (ops);
    free (res);
  }
  return 0;
}
