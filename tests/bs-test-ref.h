/* bs-test-ref.h — helpers shared by the test programs (not by the engine).
 * Nothing here calls the code under test. */
#pragma once

#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* splitmix64: a small, seeded, portable generator for reproducible cases. */
typedef struct { uint64_t s; } bs_test_rng;

uint64_t bs_test_rng_next (bs_test_rng *r);
/* A float with uniformly random bits (every class: NaN, inf, subnormal …). */
float bs_test_rng_float_bits (bs_test_rng *r);
/* A float spread over magnitudes [2^lo, 2^hi), random sign. */
float bs_test_rng_float_log (bs_test_rng *r, int lo, int hi);
double bs_test_rng_uniform (bs_test_rng *r);   /* [0, 1) */

/* Equal as values, NaN equal to NaN, and +0 distinct from -0. */
gboolean bs_test_same (double a, double b);

/* Assert bs_test_same with a message naming the case. */
#define bs_assert_same(a, b, ...)                                              \
  G_STMT_START {                                                               \
    double _a = (a), _b = (b);                                                 \
    if (!bs_test_same (_a, _b))                                                \
      {                                                                        \
        g_autofree char *_ctx = g_strdup_printf (__VA_ARGS__);                 \
        g_autofree char *_msg = g_strdup_printf ("%s: got %.17g, want %.17g",  \
                                                 _ctx, _a, _b);                \
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, _msg); \
      }                                                                        \
  } G_STMT_END
