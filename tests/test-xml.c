/* Configuration documents: round trip, schema validation of every document
 * written and read, and one-line errors naming file and line for bad ones. */
#include <glib/gstdio.h>
#include <math.h>

#include "bs-xml.h"

static const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static BsXmlConfig *
sample (gint64 id)
{
  BsXmlConfig *c = bs_xml_config_new ();
  BsXmlLayer *l;

  c->result_id = id;
  c->canonical = g_strdup ("v1;L0:w=fixed8,a=fixed8,acc=exact,s=layer-pow2");
  c->model_name = g_strdup ("fmnist-cnn");
  c->model_sha256 = g_strdup (sha);
  c->dataset_name = g_strdup ("fashion-mnist");
  c->dataset_sha256 = g_strdup (sha);
  c->dataset_images = 10000;
  c->target_name = g_strdup ("asic-45nm");
  c->target_sha256 = g_strdup (sha);
  l = bs_xml_config_add_layer (c, "conv1", "fixed8", "fixed8", "exact", "layer-pow2");
  l->weight_scale = 0.5;
  l->input_scale = 1.0 / 3.0;         /* needs all 17 digits to come back */
  bs_xml_config_add_layer (c, "fc", "posit8_0", "log8", "elma", "pct99.9");
  c->has_metrics = TRUE;
  c->metrics.top1 = 91.23;
  c->metrics.top5 = 99.5;
  c->metrics.energy_pj = 123456.789;
  c->metrics.images = 10000;
  c->metrics.path = g_strdup ("exact");
  return c;
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

static void
test_roundtrip (void)
{
  g_autoptr (GPtrArray) set = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tmp_path ("bs-test-roundtrip.xml");
  const BsXmlConfig *c;
  const BsXmlLayer *l;

  g_ptr_array_add (set, sample (7));
  g_ptr_array_add (set, sample (8));
  bs_xml_write (path, set, &error);
  g_assert_no_error (error);
  back = bs_xml_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  c = back->pdata[1];
  g_assert_cmpint (c->result_id, ==, 8);
  g_assert_cmpstr (c->model_name, ==, "fmnist-cnn");
  g_assert_cmpint (c->dataset_images, ==, 10000);
  g_assert_cmpuint (c->layers->len, ==, 2);
  l = c->layers->pdata[0];
  g_assert_cmpfloat (l->input_scale, ==, 1.0 / 3.0);
  g_assert_cmpfloat (l->weight_scale, ==, 0.5);
  l = c->layers->pdata[1];
  g_assert_cmpstr (l->scaling, ==, "pct99.9");
  g_assert_true (isnan (l->weight_scale));
  g_assert_true (c->has_metrics);
  g_assert_cmpfloat (c->metrics.top1, ==, 91.23);
  g_assert_cmpfloat (c->metrics.energy_pj, ==, 123456.789);
  g_assert_true (isnan (c->metrics.compute_pj));
  g_assert_cmpstr (c->metrics.path, ==, "exact");
  g_unlink (path);
}

/* The writer refuses a document the schema rejects, and leaves the old file. */
static void
test_write_refuses_invalid (void)
{
  g_autoptr (GPtrArray) set = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_xml_config_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tmp_path ("bs-test-invalid.xml");
  g_autofree char *after = NULL;
  BsXmlConfig *c = sample (1);

  g_free (((BsXmlLayer *) c->layers->pdata[0])->acc);
  ((BsXmlLayer *) c->layers->pdata[0])->acc = g_strdup ("fp64");   /* no such accumulator */
  g_ptr_array_add (set, c);
  g_assert_true (g_file_set_contents (path, "old", -1, NULL));
  g_assert_false (bs_xml_write (path, set, &error));
  g_assert_error (error, BS_XML_ERROR, BS_XML_ERROR_INVALID);
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, "old");
  g_unlink (path);
}

static const struct {
  const char *name;
  const char *text;
  int line;             /* where the problem is */
  BsXmlError code;
} bad_docs[] = {
  { "not-xml", "this is not xml\n", 1, BS_XML_ERROR_PARSE },
  { "truncated",
    "<?xml version=\"1.0\"?>\n<configurations xmlns=\"urn:bitscape:configuration:1\" version=\"1\">\n"
    "  <configuration>\n", 4, BS_XML_ERROR_PARSE },   /* found at the end of the file */
  { "wrong-root", "<?xml version=\"1.0\"?>\n<songs/>\n", 2, BS_XML_ERROR_INVALID },
  { "no-namespace",
    "<?xml version=\"1.0\"?>\n<configurations version=\"1\"/>\n", 2, BS_XML_ERROR_INVALID },
  { "future-version",
    "<?xml version=\"1.0\"?>\n<configurations xmlns=\"urn:bitscape:configuration:1\" version=\"2\">\n"
    "</configurations>\n", 2, BS_XML_ERROR_INVALID },
  { "bad-accumulator",
    "<?xml version=\"1.0\"?>\n<configurations xmlns=\"urn:bitscape:configuration:1\" version=\"1\">\n"
    " <configuration>\n  <model name=\"m\" sha256=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"/>\n"
    "  <layers>\n   <layer index=\"0\" weight-format=\"fp8_e4m3\" input-format=\"fp8_e4m3\" accumulator=\"abacus\" scaling=\"none\"/>\n"
    "  </layers>\n </configuration>\n</configurations>\n", 6, BS_XML_ERROR_INVALID },
  { "duplicate-layer",
    "<?xml version=\"1.0\"?>\n<configurations xmlns=\"urn:bitscape:configuration:1\" version=\"1\">\n"
    " <configuration>\n  <model name=\"m\" sha256=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"/>\n"
    "  <layers>\n   <layer index=\"0\" weight-format=\"int8\" input-format=\"int8\" accumulator=\"int32\" scaling=\"none\"/>\n"
    "   <layer index=\"0\" weight-format=\"int8\" input-format=\"int8\" accumulator=\"int32\" scaling=\"none\"/>\n"
    "  </layers>\n </configuration>\n</configurations>\n", 7, BS_XML_ERROR_INVALID },
  { "layer-gap",
    "<?xml version=\"1.0\"?>\n<configurations xmlns=\"urn:bitscape:configuration:1\" version=\"1\">\n"
    " <configuration>\n  <model name=\"m\" sha256=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"/>\n"
    "  <layers>\n   <layer index=\"1\" weight-format=\"int8\" input-format=\"int8\" accumulator=\"int32\" scaling=\"none\"/>\n"
    "  </layers>\n </configuration>\n</configurations>\n", 6, BS_XML_ERROR_INVALID },
  { "bad-number",
    "<?xml version=\"1.0\"?>\n<configurations xmlns=\"urn:bitscape:configuration:1\" version=\"1\">\n"
    " <configuration>\n  <model name=\"m\" sha256=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"/>\n"
    "  <layers>\n   <layer index=\"0\" weight-format=\"int8\" input-format=\"int8\" accumulator=\"int32\" scaling=\"none\" weight-scale=\"half\"/>\n"
    "  </layers>\n </configuration>\n</configurations>\n", 6, BS_XML_ERROR_INVALID },
  { "bad-hash",
    "<?xml version=\"1.0\"?>\n<configurations xmlns=\"urn:bitscape:configuration:1\" version=\"1\">\n"
    " <configuration>\n  <model name=\"m\" sha256=\"xyz\"/>\n"
    "  <layers>\n   <layer index=\"0\" weight-format=\"int8\" input-format=\"int8\" accumulator=\"int32\" scaling=\"none\"/>\n"
    "  </layers>\n </configuration>\n</configurations>\n", 4, BS_XML_ERROR_INVALID },
};

static void
test_bad_document (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tmp_path ("bs-test-bad.xml");
  g_autofree char *where = g_strdup_printf ("%s:%d:", path, bad_docs[i].line);
  g_autoptr (GPtrArray) got = NULL;

  g_assert_true (g_file_set_contents (path, bad_docs[i].text, -1, NULL));
  got = bs_xml_read (path, &error);
  g_assert_null (got);
  g_assert_error (error, BS_XML_ERROR, (gint) bad_docs[i].code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, where));
  g_assert_null (strchr (error->message, '\n'));
  g_unlink (path);
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (bs_xml_read ("/nonexistent/dir/config.xml", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/config.xml"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/xml/roundtrip", test_roundtrip);
  g_test_add_func ("/app/xml/write-refuses-invalid", test_write_refuses_invalid);
  g_test_add_func ("/app/xml/missing-file", test_missing_file);
  for (guint i = 0; i < G_N_ELEMENTS (bad_docs); i++)
    {
      g_autofree char *p = g_strdup_printf ("/app/xml/reject/%s", bad_docs[i].name);
      g_test_add_data_func (p, GUINT_TO_POINTER (i), test_bad_document);
    }
  return g_test_run ();
}
