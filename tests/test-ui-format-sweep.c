/* The numbers behind the format comparison: values, relative error, SQNR,
 * histogram, tensor files.  Expected values come from the formats'
 * definitions, worked out here by hand. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-format-sweep.h"

static void
test_values_fp8_e4m3 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsFormatCurve) c = bs_format_curve_new ("fp8_e4m3", 1e-4, 1e4, 64, &error);

  g_assert_no_error (error);
  /* OCP E4M3 (FN): 7 subnormals k·2^-9, then exponents -6..8 with 8
   * significands each, less S.1111.111 (NaN): 7 + 15·8 - 1 = 126 */
  g_assert_cmpuint (c->n_values, ==, 126);
  g_assert_cmpfloat (c->values[0], ==, ldexp (1, -9));
  g_assert_cmpfloat (c->values[6], ==, 7 * ldexp (1, -9));
  g_assert_cmpfloat (c->values[7], ==, ldexp (1, -6));
  g_assert_cmpfloat (c->values[125], ==, 448);
  for (guint i = 1; i < c->n_values; i++)
    g_assert_cmpfloat (c->values[i], >, c->values[i - 1]);
}

static void
test_values_wide_not_enumerated (void)
{
  g_autoptr (BsFormatCurve) c = bs_format_curve_new ("fp32", 1e-3, 1e3, 16, NULL);

  g_assert_nonnull (c);
  g_assert_null (c->values);
  g_assert_cmpuint (c->n_values, ==, 0);
}

static void
test_rel_error (void)
{
  /* fixed8: values k/128 in [-1, 1 - 1/128]; samples from 1/256 to 4 */
  g_autoptr (BsFormatCurve) c = bs_format_curve_new ("fixed8", 1.0 / 256, 4, 1025, NULL);

  g_assert_nonnull (c);
  for (guint i = 0; i < c->n_samples; i++)
    {
      double x = c->x[i];
      /* nearest k/128 (ties to even k), clipped to [0, 127/128] */
      double k = nearbyint (x * 128);   /* default rounding: ties to even */
      double q = MIN (k, 127) / 128;

      g_assert_cmpfloat_with_epsilon (c->rel_err[i], fabs (q - x) / x, 1e-12);
    }
  /* sample spacing: x_0 = lo, x_last = hi */
  g_assert_cmpfloat_with_epsilon (c->x[0], 1.0 / 256, 1e-15);
  g_assert_cmpfloat_with_epsilon (c->x[c->n_samples - 1], 4, 1e-12);
}

static void
test_envelope (void)
{
  /* fp8_e4m3 normals: 3 significand bits, so the worst relative error in a
   * binade is half an ulp over its smallest value: 2^-4 · (1 / (1 + 2^-4))
   * at the first midpoint, about 0.0588; the envelope over [1, 256] stays
   * below 1/16 and reaches within 20 % of 0.0588 */
  g_autoptr (BsFormatCurve) c = bs_format_curve_new ("fp8_e4m3", 1, 256, 8192, NULL);
  double worst = 0;

  for (guint b = 0; b < c->n_env; b++)
    worst = MAX (worst, c->env_err[b]);
  g_assert_cmpfloat (worst, <=, 1.0 / 16);
  g_assert_cmpfloat (worst, >, 0.8 * (1.0 / 16) / (1 + 1.0 / 16));
}

static void
test_unknown_format (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (bs_format_curve_new ("fp7_e9m9", 1e-3, 1, 16, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* k-means has no fixed values */
  g_assert_null (bs_format_curve_new ("kmeans16", 1e-3, 1, 16, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static void
test_sqnr (void)
{
  bs_format f;
  const float exact[] = { 1.0f, 0.5f, -0.25f, 448.0f };
  /* 1.0625 = 1 + 2^-4 lies half-way between 1 and 1.125: ties to the even
   * significand, 1.0; noise 0.0625: SQNR = 20 log10 (1.0625 / 0.0625) */
  const float tie[] = { 1.0625f };

  g_assert_cmpint (bs_format_parse ("fp8_e4m3", &f, NULL, 0), ==, 0);
  g_assert_true (isinf (bs_format_sqnr (&f, exact, G_N_ELEMENTS (exact), 1.0)));
  g_assert_cmpfloat_with_epsilon (bs_format_sqnr (&f, tie, 1, 1.0), 20 * log10 (17.0), 1e-9);
  /* scaled by 2: 1.0625 / 2 = 0.53125 lies between 0.5 and 0.5625, again a
   * tie to the even 0.5, giving 1.0 back: the same SQNR */
  g_assert_cmpfloat_with_epsilon (bs_format_sqnr (&f, tie, 1, 2.0), 20 * log10 (17.0), 1e-9);
  g_assert_true (isnan (bs_format_sqnr (&f, tie, 0, 1.0)));
}

static void
test_histogram (void)
{
  const float x[] = { 0, 0, 1e-3f, 2e-3f, 0.5f, -0.5f, 7, 1e9f, NAN };
  g_autoptr (BsHistogram) h = bs_histogram_new (x, G_N_ELEMENTS (x), 1e-3, 1e3, 6);

  /* bins: [1e-3,1e-2) [1e-2,1e-1) [0.1,1) [1,10) [10,100) [100,1e3] */
  g_assert_cmpuint (h->total, ==, 8);
  g_assert_cmpuint (h->zeros, ==, 2);
  g_assert_cmpuint (h->counts[0], ==, 2);
  g_assert_cmpuint (h->counts[1], ==, 0);
  g_assert_cmpuint (h->counts[2], ==, 2);
  g_assert_cmpuint (h->counts[3], ==, 1);
  g_assert_cmpuint (h->counts[5], ==, 1);   /* 1e9 clamps into the last bin */
}

static void
test_tensor_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bs-tensor-XXXXXX", &error);
  g_autofree char *txt = g_build_filename (dir, "t.txt", NULL);
  g_autofree char *npy = g_build_filename (dir, "t.npy", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.txt", NULL);
  g_autofree float *data = NULL;
  gsize n = 0;

  g_assert_true (g_file_set_contents (txt, "1.5, -2\n3e-3\t4\n", -1, &error));
  g_assert_true (bs_tensor_load (txt, &data, &n, &error));
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpfloat (data[0], ==, 1.5f);
  g_assert_cmpfloat (data[1], ==, -2.0f);
  g_assert_cmpfloat (data[2], ==, 3e-3f);
  g_clear_pointer (&data, g_free);

  {
    /* a version 1.0 .npy of three little-endian float32 values: magic,
     * version, header length, header padded to end at byte 128 */
    const char header[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    GString *file = g_string_new_len ("\x93NUMPY\x01\x00", 8);
    float vals[3] = { 0.25f, -8.0f, 1e-6f };
    guint16 hlen = 128 - 10;

    g_string_append_len (file, (const char *) &hlen, 2);
    g_string_append (file, header);
    while (file->len < 127)
      g_string_append_c (file, ' ');
    g_string_append_c (file, '\n');
    g_string_append_len (file, (const char *) vals, sizeof vals);
    g_assert_true (g_file_set_contents (npy, file->str, file->len, &error));
    g_string_free (file, TRUE);
  }
  g_assert_true (bs_tensor_load (npy, &data, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpfloat (data[1], ==, -8.0f);
  g_assert_cmpfloat (data[2], ==, 1e-6f);

  g_assert_true (g_file_set_contents (bad, "1 2\nthree\n", -1, &error));
  g_assert_false (bs_tensor_load (bad, &data, &n, &error));
  g_assert_nonnull (strstr (error->message, "bad.txt:2"));

  g_unlink (txt);
  g_unlink (npy);
  g_unlink (bad);
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/format-sweep/values/fp8_e4m3", test_values_fp8_e4m3);
  g_test_add_func ("/ui/format-sweep/values/wide", test_values_wide_not_enumerated);
  g_test_add_func ("/ui/format-sweep/rel-error/fixed8", test_rel_error);
  g_test_add_func ("/ui/format-sweep/envelope/fp8_e4m3", test_envelope);
  g_test_add_func ("/ui/format-sweep/unknown-format", test_unknown_format);
  g_test_add_func ("/ui/format-sweep/sqnr", test_sqnr);
  g_test_add_func ("/ui/format-sweep/histogram", test_histogram);
  g_test_add_func ("/ui/format-sweep/tensor-load", test_tensor_load);

  return g_test_run ();
}
