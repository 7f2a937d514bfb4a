/* Datasets: idx and .npy readers on fixtures written here byte by byte
 * (plain and gzip'd), their failures on truncated and corrupt files,
 * normalisation, calibration subsets, and Debian's Fashion-MNIST. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bs-dataset.h"
#include "test-nn-util.h"

typedef struct {
  char *dir;
} fixture;

static void
fx_setup (fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("bs-nn-ds-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
fx_teardown (fixture *f, gconstpointer data)
{
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const char *e;
  while (d && (e = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, e, NULL);
      g_remove (p);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (f->dir);
  g_free (f->dir);
}

/* Write bytes to dir/name (gzip'd when gz); return the path. */
static char *
put (fixture *f, const char *name, const void *bytes, size_t len, gboolean gz)
{
  char *path = g_build_filename (f->dir, name, NULL);
  if (gz)
    {
      gzFile z = gzopen (path, "wb");
      g_assert_nonnull (z);
      if (len)
        g_assert_cmpint (gzwrite (z, bytes, (unsigned) len), ==, (int) len);
      g_assert_cmpint (gzclose (z), ==, Z_OK);
    }
  else
    g_assert_true (g_file_set_contents (path, bytes, (gssize) len, NULL));
  return path;
}

/* idx ---------------------------------------------------------------------------- */

/* 3 images of 2×2 ubyte; labels 7, 0, 2 */
static const uint8_t idx_images[] = { 0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                                      1, 2, 3, 4, 10, 20, 30, 40, 255, 0, 128, 64 };
static const uint8_t idx_labels[] = { 0, 0, 0x08, 1, 0, 0, 0, 3, 7, 0, 2 };

static void
check_idx_set (const bs_dataset *ds)
{
  g_assert_cmpint (ds->n, ==, 3);
  g_assert_cmpint (ds->c, ==, 1);
  g_assert_cmpint (ds->h, ==, 2);
  g_assert_cmpint (ds->w, ==, 2);
  g_assert_cmpint (ds->type, ==, BS_PIXELS_U8);
  g_assert_cmpmem (ds->u8, 12, idx_images + 16, 12);
  g_assert_cmpint (ds->labels[0], ==, 7);
  g_assert_cmpint (ds->labels[1], ==, 0);
  g_assert_cmpint (ds->labels[2], ==, 2);
  g_assert_cmpint (ds->n_classes, ==, 8);
}

static void
test_idx_plain_and_gz (fixture *f, gconstpointer data)
{
  for (int gz = 0; gz < 2; gz++)
    {
      g_autofree char *ip = put (f, gz ? "i.gz" : "i", idx_images, sizeof idx_images, gz);
      g_autofree char *lp = put (f, gz ? "l.gz" : "l", idx_labels, sizeof idx_labels, gz);
      bs_dataset ds;
      char err[300];
      if (bs_dataset_load (ip, lp, &ds, err, sizeof err) < 0)
        g_error ("%s", err);
      check_idx_set (&ds);
      bs_dataset_clear (&ds);
    }
}

static void
test_idx_float (fixture *f, gconstpointer data)
{
  /* one 1×2 image of big-endian floats 1.5 (0x3FC00000) and -2 (0xC0000000),
   * in a rank-4 [N,C,H,W] file */
  static const uint8_t img[] = { 0, 0, 0x0D, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2,
                                 0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0 };
  static const uint8_t lab[] = { 0, 0, 0x0C, 1, 0, 0, 0, 1, 0, 0, 0, 5 };  /* int32 label 5 */
  g_autofree char *ip = put (f, "fi", img, sizeof img, FALSE);
  g_autofree char *lp = put (f, "fl", lab, sizeof lab, FALSE);
  bs_dataset ds;
  char err[300];

  if (bs_dataset_load (ip, lp, &ds, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpint (ds.type, ==, BS_PIXELS_F32);
  g_assert_cmpfloat (ds.f32[0], ==, 1.5f);
  g_assert_cmpfloat (ds.f32[1], ==, -2.0f);
  g_assert_cmpint (ds.labels[0], ==, 5);
  bs_dataset_clear (&ds);
}

/* Every way an idx pair can be wrong gives one line naming the file. */
static void
test_idx_errors (fixture *f, gconstpointer data)
{
  g_autofree char *good_i = put (f, "gi", idx_images, sizeof idx_images, FALSE);
  g_autofree char *good_l = put (f, "gl", idx_labels, sizeof idx_labels, FALSE);
  uint8_t bad[sizeof idx_images];
  bs_dataset ds;
  char err[300];

  /* every truncation of the image file */
  for (size_t cut = 0; cut < sizeof idx_images; cut++)
    {
      g_autofree char *p = put (f, "cut", idx_images, cut, FALSE);
      g_assert_cmpint (bs_dataset_load (p, good_l, &ds, err, sizeof err), ==, -1);
      g_assert_true (g_str_has_prefix (err, p));
      g_assert_null (strchr (err, '\n'));
    }
  /* and of the gzip'd file (a cut gzip stream, or a cut payload) */
  {
    g_autofree char *gz = put (f, "full.gz", idx_images, sizeof idx_images, TRUE);
    g_autofree char *bytes = NULL;
    gsize len;
    g_assert_true (g_file_get_contents (gz, &bytes, &len, NULL));
    for (gsize cut = 1; cut < len; cut++)
      {
        g_autofree char *p = put (f, "cut.gz", bytes, cut, FALSE);
        g_assert_cmpint (bs_dataset_load (p, good_l, &ds, err, sizeof err), ==, -1);
        g_assert_true (g_str_has_prefix (err, p));
      }
    /* a damaged deflate stream */
    bytes[len / 2] ^= 0x55;
    bytes[len / 2 + 1] ^= 0xAA;
    g_autofree char *p = put (f, "bad.gz", bytes, len, FALSE);
    g_assert_cmpint (bs_dataset_load (p, good_l, &ds, err, sizeof err), ==, -1);
    g_assert_true (g_str_has_prefix (err, p));
  }
  /* bad magic, bad type, rank 0, trailing bytes */
  memcpy (bad, idx_images, sizeof bad);
  bad[0] = 1;
  g_autofree char *p1 = put (f, "m", bad, sizeof bad, FALSE);
  g_assert_cmpint (bs_dataset_load (p1, good_l, &ds, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "bad magic"));
  bad[0] = 0;
  bad[2] = 0x07;
  g_autofree char *p2 = put (f, "t", bad, sizeof bad, FALSE);
  g_assert_cmpint (bs_dataset_load (p2, good_l, &ds, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "element type"));
  bad[2] = 0x08;
  bad[3] = 0;
  g_autofree char *p3 = put (f, "r", bad, sizeof bad, FALSE);
  g_assert_cmpint (bs_dataset_load (p3, good_l, &ds, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "rank"));
  {
    uint8_t longer[sizeof idx_images + 1];
    memcpy (longer, idx_images, sizeof idx_images);
    longer[sizeof idx_images] = 9;
    g_autofree char *p4 = put (f, "long", longer, sizeof longer, FALSE);
    g_assert_cmpint (bs_dataset_load (p4, good_l, &ds, err, sizeof err), ==, -1);
    g_assert_nonnull (strstr (err, "after the data"));
  }
  /* a huge declared size with little data: refused before allocating */
  {
    static const uint8_t huge[] = { 0, 0, 0x08, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                    0, 0, 0, 2, 1, 2 };
    g_autofree char *p5 = put (f, "huge", huge, sizeof huge, FALSE);
    g_assert_cmpint (bs_dataset_load (p5, good_l, &ds, err, sizeof err), ==, -1);
    g_assert_true (g_str_has_prefix (err, p5));
  }
  /* labels: wrong count */
  static const uint8_t two[] = { 0, 0, 0x08, 1, 0, 0, 0, 2, 1, 1 };
  g_autofree char *p6 = put (f, "two", two, sizeof two, FALSE);
  g_assert_cmpint (bs_dataset_load (good_i, p6, &ds, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "2 labels for 3 images"));
  /* missing file */
  g_assert_cmpint (bs_dataset_load ("/nonexistent/x.gz", good_l, &ds, err, sizeof err), ==, -1);
  g_assert_true (g_str_has_prefix (err, "/nonexistent/x.gz: "));
}

/* npy ------------------------------------------------------------------------------- */

/* An .npy file: magic, version, little-endian header length, header padded
 * with spaces and ended by \n so the data starts at a multiple of 64. */
static GByteArray *
npy (int major, const char *dict, const void *data, size_t len)
{
  GByteArray *b = g_byte_array_new ();
  size_t pre = major == 1 ? 10 : 12, hl = strlen (dict) + 1;
  size_t total = (pre + hl + 63) / 64 * 64;
  size_t h = total - pre;
  uint8_t head[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t) major, 0 };

  head[8] = (uint8_t) h;
  head[9] = (uint8_t) (h >> 8);
  head[10] = head[11] = 0;
  g_byte_array_append (b, head, (guint) pre);
  g_byte_array_append (b, (const guint8 *) dict, (guint) strlen (dict));
  for (size_t i = strlen (dict); i < h - 1; i++)
    g_byte_array_append (b, (const guint8 *) " ", 1);
  g_byte_array_append (b, (const guint8 *) "\n", 1);
  g_byte_array_append (b, data, (guint) len);
  return b;
}

static char *
put_npy (fixture *f, const char *name, int major, const char *dict, const void *data, size_t len,
         gboolean gz)
{
  GByteArray *b = npy (major, dict, data, len);
  char *p = put (f, name, b->data, b->len, gz);
  g_byte_array_unref (b);
  return p;
}

static void
test_npy_types (fixture *f, gconstpointer data)
{
  float fl[8] = { 0.5f, -1, 2, 3, 4, 5, 6, 7.25f };
  int64_t l8[2] = { 3, 9 };
  uint8_t u1[18];
  uint8_t l1[2] = { 1, 4 };
  uint8_t be[8] = { 0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0 };   /* >f4: 1.5, -2 */
  bs_dataset ds;
  char err[300];

  for (int i = 0; i < 18; i++)
    u1[i] = (uint8_t) (i * 10);
  /* v1 '<f4' [2,1,2,2] with '<i8' labels */
  g_autofree char *i1 = put_npy (f, "a.npy", 1, "{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (2, 1, 2, 2), }", fl, sizeof fl, FALSE);
  g_autofree char *l1p = put_npy (f, "b.npy", 1, "{'descr': '<i8', 'fortran_order': False, "
                                  "'shape': (2,), }", l8, sizeof l8, FALSE);
  if (bs_dataset_load (i1, l1p, &ds, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpint (ds.type, ==, BS_PIXELS_F32);
  g_assert_cmpint (ds.n, ==, 2);
  g_assert_cmpint (ds.c, ==, 1);
  g_assert_cmpmem (ds.f32, sizeof fl, fl, sizeof fl);
  g_assert_cmpint (ds.labels[1], ==, 9);
  g_assert_cmpint (ds.n_classes, ==, 10);
  bs_dataset_clear (&ds);

  /* v2 '|u1' [2,3,3] gzip'd, '|u1' labels (dict with double quotes) */
  g_autofree char *i2 = put_npy (f, "c.npy.gz", 2, "{\"descr\": \"|u1\", \"fortran_order\": "
                                 "False, \"shape\": (2, 3, 3)}", u1, sizeof u1, TRUE);
  g_autofree char *l2 = put_npy (f, "d.npy", 1, "{'descr': '|u1', 'fortran_order': False, "
                                 "'shape': (2,), }", l1, sizeof l1, FALSE);
  if (bs_dataset_load (i2, l2, &ds, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpint (ds.type, ==, BS_PIXELS_U8);
  g_assert_cmpint (ds.h, ==, 3);
  g_assert_cmpmem (ds.u8, 18, u1, 18);
  g_assert_cmpint (ds.labels[0], ==, 1);
  bs_dataset_clear (&ds);

  /* big-endian floats, one 1×2 image */
  g_autofree char *i3 = put_npy (f, "e.npy", 1, "{'descr': '>f4', 'fortran_order': False, "
                                 "'shape': (1, 1, 2), }", be, sizeof be, FALSE);
  g_autofree char *l3 = put_npy (f, "f.npy", 1, "{'descr': '|u1', 'fortran_order': False, "
                                 "'shape': (1,), }", l1, 1, FALSE);
  if (bs_dataset_load (i3, l3, &ds, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpfloat (ds.f32[0], ==, 1.5f);
  g_assert_cmpfloat (ds.f32[1], ==, -2.0f);
  bs_dataset_clear (&ds);
}

static void
test_npy_errors (fixture *f, gconstpointer data)
{
  float fl[4] = { 1, 2, 3, 4 };
  uint8_t lab[1] = { 0 };
  g_autofree char *lp = put_npy (f, "l.npy", 1, "{'descr': '|u1', 'fortran_order': False, "
                                 "'shape': (1,), }", lab, 1, FALSE);
  static const struct {
    const char *dict, *msg;
    size_t len;
  } cases[] = {
    { "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2, 2), }", "Fortran", 16 },
    { "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 2, 2), }", "not supported", 16 },
    { "{'descr': '<f4', 'fortran_order': False, }", "shape", 16 },
    { "{'fortran_order': False, 'shape': (1, 2, 2), }", "descr", 16 },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, x), }", "malformed", 16 },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", "truncated", 15 },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }", "rank", 16 },
    { "['descr', '<f4']", "not a dict", 16 },
  };
  bs_dataset ds;
  char err[300];

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p = put_npy (f, "x.npy", 1, cases[i].dict, fl, cases[i].len, FALSE);
      g_assert_cmpint (bs_dataset_load (p, lp, &ds, err, sizeof err), ==, -1);
      g_assert_true (g_str_has_prefix (err, p));
      if (!strstr (err, cases[i].msg))
        g_error ("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
    }
  /* every truncation of a good file's header */
  GByteArray *b = npy (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", fl,
                       16);
  for (guint cut = 0; cut < b->len; cut++)
    {
      g_autofree char *p = put (f, "cut.npy", b->data, cut, FALSE);
      g_assert_cmpint (bs_dataset_load (p, lp, &ds, err, sizeof err), ==, -1);
      g_assert_true (g_str_has_prefix (err, p));
    }
  /* a header length beyond the file */
  b->data[8] = 0xFF;
  b->data[9] = 0x7F;
  g_autofree char *p = put (f, "hl.npy", b->data, b->len, FALSE);
  g_assert_cmpint (bs_dataset_load (p, lp, &ds, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "truncated npy header"));
  g_byte_array_unref (b);
  /* float labels are refused */
  g_autofree char *fp = put_npy (f, "fl.npy", 1, "{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (1,), }", fl, 4, FALSE);
  g_autofree char *ip = put_npy (f, "im.npy", 1, "{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (1, 2, 2), }", fl, 16, FALSE);
  g_assert_cmpint (bs_dataset_load (ip, fp, &ds, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "integers"));
}

/* Normalisation and subsets ----------------------------------------------------------- */

static void
make_set (bs_dataset *ds, int64_t n)
{
  memset (ds, 0, sizeof *ds);
  ds->n = n;
  ds->c = 1;
  ds->h = ds->w = 2;
  ds->type = BS_PIXELS_U8;
  ds->u8 = malloc ((size_t) n * 4);
  ds->labels = malloc ((size_t) n * sizeof (int32_t));
  for (int64_t i = 0; i < n; i++)
    {
      for (int k = 0; k < 4; k++)
        ds->u8[i * 4 + k] = (uint8_t) ((i * 4 + k) % 256);
      ds->labels[i] = (int32_t) (i % 10);
    }
  ds->n_classes = n >= 10 ? 10 : (int) n;
}

static void
test_normalise (void)
{
  bs_dataset ds;
  bs_tensor t;
  bs_norm unit, fm = bs_norm_fashion_mnist ();
  char err[300];

  make_set (&ds, 3);
  ds.u8[4] = 255;
  ds.u8[5] = 0;
  unit = bs_norm_unit (&ds);
  g_assert_cmpint (bs_dataset_batch (&ds, 1, 2, &unit, &t, err, sizeof err), ==, 0);
  g_assert_cmpint (t.shape.ndim, ==, 4);
  g_assert_cmpint (t.shape.dims[0], ==, 2);
  g_assert_cmpfloat (bs_tensor_f32 (&t)[0], ==, 1.0f);
  g_assert_cmpfloat (bs_tensor_f32 (&t)[1], ==, 0.0f);
  bs_tensor_clear (&t);
  /* Fashion-MNIST: (1 - 0.2860) / 0.3530 = 2.0226629, (0 - 0.2860) / 0.3530 = -0.8101983 */
  g_assert_cmpint (bs_dataset_batch (&ds, 1, 1, &fm, &t, err, sizeof err), ==, 0);
  g_assert_cmpfloat_with_epsilon (bs_tensor_f32 (&t)[0], 2.0226629, 1e-5);
  g_assert_cmpfloat_with_epsilon (bs_tensor_f32 (&t)[1], -0.8101983, 1e-5);
  bs_tensor_clear (&t);
  g_assert_cmpint (bs_dataset_batch (&ds, 2, 2, &fm, &t, err, sizeof err), ==, -1);
  g_assert_nonnull (strstr (err, "outside"));
  bs_dataset_clear (&ds);
}

static void
test_calibration (void)
{
  bs_dataset ds, cal, again;
  int64_t a[100], b[100];
  char err[300];

  make_set (&ds, 1000);
  g_assert_cmpint (bs_dataset_calibration_indices (1000, 100, 7, a), ==, 0);
  g_assert_cmpint (bs_dataset_calibration_indices (1000, 100, 7, b), ==, 0);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  for (int i = 1; i < 100; i++)
    g_assert_cmpint (a[i - 1], <, a[i]);   /* sorted, distinct */
  g_assert_cmpint (a[0], >=, 0);
  g_assert_cmpint (a[99], <, 1000);
  g_assert_cmpint (bs_dataset_calibration_indices (1000, 100, 8, b), ==, 0);
  g_assert_true (memcmp (a, b, sizeof a) != 0);
  /* the first indices for seed 7 are fixed forever: the subset must not
   * change between versions or machines */
  g_test_message ("calibration seed 7: %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                  a[0], a[1], a[2]);

  g_assert_cmpint (bs_dataset_calibration (&ds, 100, 7, &cal, err, sizeof err), ==, 0);
  g_assert_cmpint (cal.n, ==, 100);
  for (int i = 0; i < 100; i++)
    {
      g_assert_cmpmem (cal.u8 + i * 4, 4, ds.u8 + a[i] * 4, 4);
      g_assert_cmpint (cal.labels[i], ==, ds.labels[a[i]]);
    }
  g_assert_cmpint (bs_dataset_calibration (&ds, 100, 7, &again, err, sizeof err), ==, 0);
  g_assert_cmpmem (cal.u8, 400, again.u8, 400);
  bs_dataset_clear (&again);
  g_assert_cmpint (bs_dataset_calibration (&ds, 1001, 7, &again, err, sizeof err), ==, -1);
  bs_dataset_clear (&cal);
  bs_dataset_clear (&ds);
}

/* Fashion-MNIST ------------------------------------------------------------------------ */

static void
test_fashion_mnist (void)
{
  bs_dataset tr, te;
  char err[400];
  int64_t count[10] = { 0 };
  double mean, sd;

  if (!g_file_test (BS_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("dataset-fashion-mnist is not installed");
      return;
    }
  if (bs_dataset_load_fashion_mnist (NULL, true, &tr, err, sizeof err) < 0)
    g_error ("%s", err);
  if (bs_dataset_load_fashion_mnist (NULL, false, &te, err, sizeof err) < 0)
    g_error ("%s", err);
  g_assert_cmpint (tr.n, ==, 60000);
  g_assert_cmpint (te.n, ==, 10000);
  g_assert_cmpint (tr.c, ==, 1);
  g_assert_cmpint (tr.h, ==, 28);
  g_assert_cmpint (tr.w, ==, 28);
  g_assert_cmpint (tr.type, ==, BS_PIXELS_U8);
  g_assert_cmpint (tr.n_classes, ==, 10);
  g_assert_cmpint (te.n_classes, ==, 10);
  for (int64_t i = 0; i < te.n; i++)
    {
      g_assert_cmpint (te.labels[i], >=, 0);
      g_assert_cmpint (te.labels[i], <=, 9);
      count[te.labels[i]]++;
    }
  for (int k = 0; k < 10; k++)
    g_assert_cmpint (count[k], ==, 1000);   /* the test set is balanced */
  bs_dataset_stats (&tr, 1.0f / 255.0f, &mean, &sd);
  g_test_message ("Fashion-MNIST train pixels/255: mean %.5f, std %.5f", mean, sd);
  g_assert_cmpfloat_with_epsilon (mean, BS_FASHION_MNIST_MEAN, 5e-4);
  g_assert_cmpfloat_with_epsilon (sd, BS_FASHION_MNIST_STD, 5e-4);
  bs_dataset_clear (&tr);
  bs_dataset_clear (&te);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/engine/nn/dataset/idx/plain-and-gz", fixture, NULL, fx_setup,
              test_idx_plain_and_gz, fx_teardown);
  g_test_add ("/engine/nn/dataset/idx/float", fixture, NULL, fx_setup, test_idx_float,
              fx_teardown);
  g_test_add ("/engine/nn/dataset/idx/errors", fixture, NULL, fx_setup, test_idx_errors,
              fx_teardown);
  g_test_add ("/engine/nn/dataset/npy/types", fixture, NULL, fx_setup, test_npy_types,
              fx_teardown);
  g_test_add ("/engine/nn/dataset/npy/errors", fixture, NULL, fx_setup, test_npy_errors,
              fx_teardown);
  g_test_add_func ("/engine/nn/dataset/normalise", test_normalise);
  g_test_add_func ("/engine/nn/dataset/calibration", test_calibration);
  g_test_add_func ("/engine/nn/dataset/fashion-mnist", test_fashion_mnist);
  return g_test_run ();
}
