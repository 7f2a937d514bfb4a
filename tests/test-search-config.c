/* Configurations: canonical text written out by hand, round trips, strict
 * rejection of malformed text, the FNV-1a hash recomputed here, mean bits,
 * and the bit-width ladders of every family. */
#include "bs-test-ref.h"
#include "bs-config.h"

#include <stdio.h>

/* FNV-1a 64, written here from the published definition. */
static uint64_t
fnv1a64 (const char *s)
{
  uint64_t h = 14695981039346656037ULL;   /* offset basis */

  for (; *s; s++)
    {
      h ^= (unsigned char) *s;
      h *= 1099511628211ULL;              /* 2^40 + 2^8 + 0xb3 */
    }
  return h;
}

static bs_config *
parse_ok (const char *text)
{
  char err[256] = "";
  bs_config *cfg = bs_config_parse (text, err, sizeof err);

  if (!cfg)
    g_error ("parse '%s': %s", text, err);
  return cfg;
}

static void
set_ok (bs_config *cfg, int i, const char *w, const char *a, bs_acc acc, bs_scaling s,
        double pct, int block)
{
  char err[256] = "";
  bs_layer_config lc = { .acc = acc, .scaling = s, .percentile = pct, .block = block };

  g_strlcpy (lc.weight, w, sizeof lc.weight);
  g_strlcpy (lc.input, a, sizeof lc.input);
  if (bs_config_set_layer (cfg, i, &lc, err, sizeof err) < 0)
    g_error ("set layer %d: %s", i, err);
}

static void
test_baseline_text (void)
{
  bs_config *cfg = bs_config_new (3);
  char *text = bs_config_to_string (cfg);

  g_assert_cmpstr (text, ==,
                   "v1;L0:w=fp32,a=fp32,acc=fp32,s=none;L1:w=fp32,a=fp32,acc=fp32,s=none"
                   ";L2:w=fp32,a=fp32,acc=fp32,s=none");
  g_assert_cmpint (bs_config_n_layers (cfg), ==, 3);
  g_assert_null (bs_config_layer (cfg, 3));
  g_assert_null (bs_config_layer (cfg, -1));
  g_assert_null (bs_config_new (0));
  g_assert_null (bs_config_new (BS_CONFIG_MAX_LAYERS + 1));
  free (text);
  bs_config_free (cfg);
}

static void
test_text_by_hand (void)
{
  bs_config *cfg = bs_config_new (4);
  char *text;

  set_ok (cfg, 0, "fp8_e4m3", "fp16", BS_ACC_KULISCH, BS_SCALING_LAYER_POW2, 0, 0);
  set_ok (cfg, 1, "bf16", "fp8_e5m2", BS_ACC_FP16, BS_SCALING_PERCENTILE, 99.99, 0);
  set_ok (cfg, 2, "float_e3m4", "fp4_e2m1", BS_ACC_EXACT, BS_SCALING_BLOCK, 0, 32);
  set_ok (cfg, 3, "fp6_e2m3", "fp6_e3m2", BS_ACC_INT32, BS_SCALING_BLOCK, 0, 0);
  text = bs_config_to_string (cfg);
  g_assert_cmpstr (text, ==,
                   "v1;L0:w=fp8_e4m3,a=fp16,acc=kulisch,s=layer-pow2"
                   ";L1:w=bf16,a=fp8_e5m2,acc=fp16,s=pct99.99"
                   ";L2:w=float_e3m4,a=fp4_e2m1,acc=exact,s=block32"
                   ";L3:w=fp6_e2m3,a=fp6_e3m2,acc=int32,s=block");
  free (text);
  bs_config_free (cfg);

  /* and every scaling and accumulator name */
  static const char *const scal[] = { "none", "pow2", "layer-pow2", "channel", "block",
                                      "block7", "maxabs", "pct50", "pct0.000001", "pct100" };
  static const char *const accs[] = { "exact", "kulisch", "quire", "elma", "int32", "fp32",
                                      "fp16" };
  for (size_t i = 0; i < G_N_ELEMENTS (scal); i++)
    for (size_t j = 0; j < G_N_ELEMENTS (accs); j++)
      {
        g_autofree char *t = g_strdup_printf ("v1;L0:w=fp16,a=bf16,acc=%s,s=%s", accs[j],
                                              scal[i]);
        bs_config *c = parse_ok (t);
        char *back = bs_config_to_string (c);
        g_assert_cmpstr (back, ==, t);
        free (back);
        bs_config_free (c);
      }
}

static void
test_fields_parsed (void)
{
  bs_config *cfg = parse_ok ("v1;L0:w=fp16,a=fp8_e4m3,acc=quire,s=pct99.5"
                             ";L1:w=fp32,a=fp32,acc=elma,s=block64");
  const bs_layer_config *l0 = bs_config_layer (cfg, 0), *l1 = bs_config_layer (cfg, 1);

  g_assert_cmpstr (l0->weight, ==, "fp16");
  g_assert_cmpstr (l0->input, ==, "fp8_e4m3");
  g_assert_cmpint (l0->acc, ==, BS_ACC_QUIRE);
  g_assert_cmpint (l0->scaling, ==, BS_SCALING_PERCENTILE);
  g_assert_cmpfloat (l0->percentile, ==, 99.5);
  g_assert_cmpint (l0->block, ==, 0);
  g_assert_cmpint (l1->acc, ==, BS_ACC_ELMA);
  g_assert_cmpint (l1->scaling, ==, BS_SCALING_BLOCK);
  g_assert_cmpint (l1->block, ==, 64);
  g_assert_cmpfloat (l1->percentile, ==, 0);
  bs_config_free (cfg);
}

/* Names the format library accepts, for random configurations. */
static GPtrArray *
valid_names (void)
{
  GPtrArray *names = g_ptr_array_new ();
  static const char *const extra[] = { "float_e3m4", "float_e5m7", "float_e8m0", "float_e2m0" };

  for (const char *const *l = bs_format_listed_names (); *l; l++)
    {
      bs_format f;
      if (bs_format_parse (*l, &f, NULL, 0) == 0)
        g_ptr_array_add (names, (gpointer) *l);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (extra); i++)
    g_ptr_array_add (names, (gpointer) extra[i]);
  return names;
}

/* The canonical spelling of a percentile of `units` millionths, written here
 * independently of the engine. */
static char *
pct_text (long long units)
{
  GString *s = g_string_new (NULL);
  long long frac = units % 1000000;
  char digits[8];

  g_string_append_printf (s, "pct%lld", units / 1000000);
  if (frac)
    {
      snprintf (digits, sizeof digits, "%06lld", frac);
      for (int i = 5; digits[i] == '0'; i--)
        digits[i] = '\0';
      g_string_append_printf (s, ".%s", digits);
    }
  return g_string_free (s, FALSE);
}

static void
test_round_trip (void)
{
  g_autoptr (GPtrArray) names = valid_names ();
  bs_test_rng rng = { 7 };

  g_assert_cmpuint (names->len, >=, 8);
  for (int it = 0; it < 3000; it++)
    {
      int n = 1 + (int) (bs_test_rng_next (&rng) % 12);
      bs_config *cfg = bs_config_new (n), *back;
      char *text, *text2, err[256];
      GString *expect = g_string_new ("v1");

      for (int l = 0; l < n; l++)
        {
          const char *w = names->pdata[bs_test_rng_next (&rng) % names->len];
          const char *a = names->pdata[bs_test_rng_next (&rng) % names->len];
          bs_acc acc = (bs_acc) (bs_test_rng_next (&rng) % BS_N_ACCS);
          bs_scaling s = (bs_scaling) (bs_test_rng_next (&rng) % BS_N_SCALINGS);
          long long units = 1 + (long long) (bs_test_rng_next (&rng) % 100000000);
          int block = (int) (bs_test_rng_next (&rng) % 3) * 16;
          g_autofree char *stext = NULL;

          if (bs_test_rng_next (&rng) % 2)
            units = (units / 10000) * 10000 + 10000;   /* short decimals too */
          if (units > 100000000)
            units = 100000000;
          set_ok (cfg, l, w, a, acc, s, (double) units / 1e6, block);
          if (s == BS_SCALING_PERCENTILE)
            stext = pct_text (units);
          else if (s == BS_SCALING_BLOCK)
            stext = block ? g_strdup_printf ("block%d", block) : g_strdup ("block");
          else
            stext = g_strdup (bs_scaling_name (s));
          g_string_append_printf (expect, ";L%d:w=%s,a=%s,acc=%s,s=%s", l, w, a,
                                  bs_acc_name (acc), stext);
        }
      text = bs_config_to_string (cfg);
      g_assert_cmpstr (text, ==, expect->str);
      back = bs_config_parse (text, err, sizeof err);
      if (!back)
        g_error ("round trip of '%s': %s", text, err);
      g_assert_true (bs_config_equal (cfg, back));
      text2 = bs_config_to_string (back);
      g_assert_cmpstr (text, ==, text2);
      g_assert_cmphex (bs_config_hash (cfg), ==, bs_config_hash (back));
      free (text);
      free (text2);
      bs_config_free (cfg);
      bs_config_free (back);
      g_string_free (expect, TRUE);
    }
}

static void
test_malformed (void)
{
  static const char *const bad[] = {
    "",
    "v",
    "v1",
    "v1;",
    "v2;L0:w=fp32,a=fp32,acc=fp32,s=none",
    "v10;L0:w=fp32,a=fp32,acc=fp32,s=none",
    "V1;L0:w=fp32,a=fp32,acc=fp32,s=none",
    " v1;L0:w=fp32,a=fp32,acc=fp32,s=none",
    "v1;L1:w=fp32,a=fp32,acc=fp32,s=none",
    "v1;L00:w=fp32,a=fp32,acc=fp32,s=none",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none;L0:w=fp32,a=fp32,acc=fp32,s=none",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none;L2:w=fp32,a=fp32,acc=fp32,s=none",
    "v1;L0:a=fp32,w=fp32,acc=fp32,s=none",
    "v1;L0:w=fp32,a=fp32,s=none,acc=fp32",
    "v1;L0:w=fp33,a=fp32,acc=fp32,s=none",
    "v1;L0:w=FP32,a=fp32,acc=fp32,s=none",
    "v1;L0:w=,a=fp32,acc=fp32,s=none",
    "v1;L0:w=fp32 ,a=fp32,acc=fp32,s=none",
    "v1;L0:w=fp32,a=fp32,acc=fp64,s=none",
    "v1;L0:w=fp32,a=fp32,acc=,s=none",
    "v1;L0:w=fp32,a=fp32,acc=fp32",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=nonex",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none;",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none x",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none,x=1",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none\n",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct0",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct101",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct100.5",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct99.90",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct99.",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct.5",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct099",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct99.1234567",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=pct-5",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=block0",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=block01",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=block2000000",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=blocks",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=nonepow2",
    "v1;L0:w=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,a=fp32,acc=fp32,s=none",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      char err[256] = "";
      bs_config *cfg = bs_config_parse (bad[i], err, sizeof err);

      if (cfg)
        g_error ("accepted malformed '%s'", bad[i]);
      g_assert_cmpuint (strlen (err), >, 0);
      g_assert_null (strchr (err, '\n'));
    }
  g_assert_null (bs_config_parse (NULL, NULL, 0));
}

static void
test_hash (void)
{
  static const char *const texts[] = {
    "v1;L0:w=fp8_e4m3,a=fp16,acc=kulisch,s=pct99.99;L1:w=fp32,a=fp32,acc=fp32,s=none",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none",
    "v1;L0:w=fp32,a=fp32,acc=fp32,s=none;L1:w=fp32,a=fp32,acc=fp32,s=none",
  };

  /* the reference implementation against published FNV-1a 64 vectors */
  g_assert_cmphex (fnv1a64 (""), ==, 0xcbf29ce484222325ULL);
  g_assert_cmphex (fnv1a64 ("a"), ==, 0xaf63dc4c8601ec8cULL);
  g_assert_cmphex (fnv1a64 ("foobar"), ==, 0x85944171f73967e8ULL);

  for (size_t i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      bs_config *cfg = parse_ok (texts[i]);
      g_assert_cmphex (bs_config_hash (cfg), ==, fnv1a64 (texts[i]));
      bs_config_free (cfg);
    }
}

/* Any single field changed changes text, hash, equality, first difference. */
static void
test_equality (void)
{
  bs_config *a = bs_config_new (3), *b;

  set_ok (a, 1, "fp16", "fp16", BS_ACC_FP32, BS_SCALING_PERCENTILE, 99.9, 0);
  for (int field = 0; field < 6; field++)
    {
      b = bs_config_copy (a);
      g_assert_true (bs_config_equal (a, b));
      g_assert_cmpint (bs_config_first_difference (a, b), ==, 3);
      switch (field)
        {
        case 0: set_ok (b, 1, "bf16", "fp16", BS_ACC_FP32, BS_SCALING_PERCENTILE, 99.9, 0); break;
        case 1: set_ok (b, 1, "fp16", "bf16", BS_ACC_FP32, BS_SCALING_PERCENTILE, 99.9, 0); break;
        case 2: set_ok (b, 1, "fp16", "fp16", BS_ACC_FP16, BS_SCALING_PERCENTILE, 99.9, 0); break;
        case 3: set_ok (b, 1, "fp16", "fp16", BS_ACC_FP32, BS_SCALING_MAXABS, 99.9, 0); break;
        case 4: set_ok (b, 1, "fp16", "fp16", BS_ACC_FP32, BS_SCALING_PERCENTILE, 99.8, 0); break;
        case 5: set_ok (b, 2, "fp32", "fp32", BS_ACC_EXACT, BS_SCALING_NONE, 0, 0); break;
        }
      g_assert_false (bs_config_equal (a, b));
      g_assert_cmpint (bs_config_first_difference (a, b), ==, field == 5 ? 2 : 1);
      g_assert_cmphex (bs_config_hash (a), !=, bs_config_hash (b));
      bs_config_free (b);
    }
  b = bs_config_new (2);
  g_assert_false (bs_config_equal (a, b));
  g_assert_cmpint (bs_config_first_difference (a, b), ==, 0);
  bs_config_free (b);
  bs_config_free (a);
}

static void
test_set_layer_checks (void)
{
  bs_config *cfg = bs_config_new (2);
  char *before = bs_config_to_string (cfg), *after;
  char err[256];
  bs_layer_config lc = BS_LAYER_CONFIG_FP32;

  struct { const char *w; int acc, scal; double pct; int block; } bad[] = {
    { "fp33", BS_ACC_FP32, BS_SCALING_NONE, 0, 0 },
    { "", BS_ACC_FP32, BS_SCALING_NONE, 0, 0 },
    { "fp32", BS_N_ACCS, BS_SCALING_NONE, 0, 0 },
    { "fp32", -1, BS_SCALING_NONE, 0, 0 },
    { "fp32", BS_ACC_FP32, BS_N_SCALINGS, 0, 0 },
    { "fp32", BS_ACC_FP32, BS_SCALING_PERCENTILE, 0, 0 },
    { "fp32", BS_ACC_FP32, BS_SCALING_PERCENTILE, -1, 0 },
    { "fp32", BS_ACC_FP32, BS_SCALING_PERCENTILE, 100.001, 0 },
    { "fp32", BS_ACC_FP32, BS_SCALING_PERCENTILE, NAN, 0 },
    { "fp32", BS_ACC_FP32, BS_SCALING_PERCENTILE, 4e-7, 0 },
    { "fp32", BS_ACC_FP32, BS_SCALING_BLOCK, 0, -1 },
    { "fp32", BS_ACC_FP32, BS_SCALING_BLOCK, 0, (1 << 20) + 1 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_strlcpy (lc.weight, bad[i].w, sizeof lc.weight);
      lc.acc = (bs_acc) bad[i].acc;
      lc.scaling = (bs_scaling) bad[i].scal;
      lc.percentile = bad[i].pct;
      lc.block = bad[i].block;
      err[0] = '\0';
      g_assert_cmpint (bs_config_set_layer (cfg, 1, &lc, err, sizeof err), ==, -1);
      g_assert_cmpuint (strlen (err), >, 0);
    }
  lc = BS_LAYER_CONFIG_FP32;
  g_assert_cmpint (bs_config_set_layer (cfg, 2, &lc, err, sizeof err), ==, -1);
  g_assert_cmpint (bs_config_set_layer (cfg, -1, &lc, err, sizeof err), ==, -1);
  after = bs_config_to_string (cfg);
  g_assert_cmpstr (before, ==, after);   /* unchanged by the failures */
  free (before);
  free (after);
  bs_config_free (cfg);
}

static void
test_normalised (void)
{
  bs_config *cfg = bs_config_new (3);
  char *text;

  /* parameters the scaling does not use are dropped; percentiles keep six
   * decimals */
  set_ok (cfg, 0, "fp16", "fp16", BS_ACC_FP32, BS_SCALING_NONE, 42, 64);
  set_ok (cfg, 1, "fp16", "fp16", BS_ACC_FP32, BS_SCALING_PERCENTILE, 99.9999994, 64);
  set_ok (cfg, 2, "fp16", "fp16", BS_ACC_FP32, BS_SCALING_BLOCK, 42, 16);
  g_assert_cmpfloat (bs_config_layer (cfg, 0)->percentile, ==, 0);
  g_assert_cmpint (bs_config_layer (cfg, 0)->block, ==, 0);
  g_assert_cmpfloat (bs_config_layer (cfg, 1)->percentile, ==, 99.999999);
  g_assert_cmpint (bs_config_layer (cfg, 1)->block, ==, 0);
  g_assert_cmpfloat (bs_config_layer (cfg, 2)->percentile, ==, 0);
  text = bs_config_to_string (cfg);
  g_assert_cmpstr (text, ==,
                   "v1;L0:w=fp16,a=fp16,acc=fp32,s=none;L1:w=fp16,a=fp16,acc=fp32,s=pct99.999999"
                   ";L2:w=fp16,a=fp16,acc=fp32,s=block16");
  free (text);
  bs_config_free (cfg);
}

static void
test_mean_bits (void)
{
  bs_config *cfg = bs_config_new (3);
  const uint64_t wc[] = { 100, 300, 600 }, ic[] = { 10, 10, 20 }, zero[] = { 0, 0, 0 };
  double w = 0, a = 0;
  char err[256];

  set_ok (cfg, 0, "fp8_e4m3", "fp16", BS_ACC_FP32, BS_SCALING_NONE, 0, 0);
  set_ok (cfg, 1, "fp32", "bf16", BS_ACC_FP32, BS_SCALING_NONE, 0, 0);
  set_ok (cfg, 2, "fp4_e2m1", "fp6_e3m2", BS_ACC_FP32, BS_SCALING_NONE, 0, 0);
  g_assert_cmpint (bs_config_mean_bits (cfg, wc, ic, &w, &a, err, sizeof err), ==, 0);
  /* (100·8 + 300·32 + 600·4) / 1000, (10·16 + 10·16 + 20·6) / 40 */
  g_assert_cmpfloat_with_epsilon (w, 12.8, 1e-12);
  g_assert_cmpfloat_with_epsilon (a, 11.0, 1e-12);
  g_assert_cmpint (bs_config_mean_bits (cfg, NULL, NULL, &w, &a, err, sizeof err), ==, 0);
  g_assert_cmpfloat_with_epsilon (w, 44.0 / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (a, 38.0 / 3, 1e-12);
  g_assert_cmpint (bs_config_mean_bits (cfg, zero, ic, &w, &a, err, sizeof err), ==, -1);
  bs_config_free (cfg);
}

/* Ladders ---------------------------------------------------------------- */

static void
check_ladder (const char *name, const char *const *expect)
{
  char out[BS_LADDER_MAX][BS_NAME_MAX], err[256] = "";
  int n = bs_format_ladder (name, out, BS_LADDER_MAX, err, sizeof err), k = 0;

  if (n < 0)
    g_error ("ladder of %s: %s", name, err);
  while (expect[k])
    k++;
  for (int i = 0; i < n && i < k; i++)
    if (strcmp (out[i], expect[i]) != 0)
      g_error ("ladder of %s: rung %d is %s, want %s", name, i, out[i], expect[i]);
  g_assert_cmpint (n, ==, k);
}

/* "<prefix><i><suffix>" for i from hi down to lo. */
static char **
series (const char *first, const char *prefix, int hi, int lo, const char *suffix)
{
  GPtrArray *a = g_ptr_array_new ();

  if (first)
    g_ptr_array_add (a, g_strdup (first));
  for (int i = hi; i >= lo; i--)
    g_ptr_array_add (a, g_strdup_printf ("%s%d%s", prefix, i, suffix));
  g_ptr_array_add (a, NULL);
  return (char **) g_ptr_array_free (a, FALSE);
}

static void
test_ladder_float (void)
{
  /* fp16 = e5m10: mantissa 9 … 0 (e5m2 is fp8_e5m2), then exponent 4 … 2 */
  static const char *const fp16[] = {
    "fp16", "float_e5m9", "float_e5m8", "float_e5m7", "float_e5m6", "float_e5m5",
    "float_e5m4", "float_e5m3", "fp8_e5m2", "float_e5m1", "float_e5m0", "float_e4m0",
    "float_e3m0", "float_e2m0", NULL,
  };
  static const char *const e4m3[] = {
    "fp8_e4m3", "float_e4m2", "float_e4m1", "float_e4m0", "float_e3m0", "float_e2m0", NULL,
  };
  static const char *const e2m1[] = { "fp4_e2m1", "float_e2m0", NULL };
  char out[BS_LADDER_MAX][BS_NAME_MAX];
  int n;

  check_ladder ("fp16", fp16);
  check_ladder ("fp8_e4m3", e4m3);
  check_ladder ("fp4_e2m1", e2m1);

  /* fp32: 30 rungs, bf16 (e8m7) named on the way */
  n = bs_format_ladder ("fp32", out, BS_LADDER_MAX, NULL, 0);
  g_assert_cmpint (n, ==, 1 + 23 + 6);
  g_assert_cmpstr (out[0], ==, "fp32");
  g_assert_cmpstr (out[1], ==, "float_e8m22");
  g_assert_cmpstr (out[16], ==, "bf16");
  g_assert_cmpstr (out[23], ==, "float_e8m0");
  g_assert_cmpstr (out[24], ==, "float_e7m0");
  g_assert_cmpstr (out[29], ==, "float_e2m0");
}

static void
test_ladder_fixed (void)
{
  g_auto (GStrv) fixed = series (NULL, "fixed", 8, 1, "");
  g_auto (GStrv) fixed16 = series (NULL, "fixed", 16, 1, "");
  g_auto (GStrv) integer = series (NULL, "int", 8, 2, "");

  check_ladder ("fixed8", (const char *const *) fixed);
  check_ladder ("fixed16", (const char *const *) fixed16);
  check_ladder ("int8", (const char *const *) integer);
}

static void
test_ladder_posit (void)
{
  g_auto (GStrv) p16 = series (NULL, "posit", 16, 3, "_1");
  g_auto (GStrv) p8 = series (NULL, "posit", 8, 3, "_2");

  check_ladder ("posit16_1", (const char *const *) p16);
  check_ladder ("posit8_2", (const char *const *) p8);
}

static void
test_ladder_log (void)
{
  /* the library takes tapered logs down to N = 4 */
  g_auto (GStrv) l16 = series ("log16", "log", 8, 4, "_1");
  g_auto (GStrv) l8 = series (NULL, "log", 8, 4, "_1");
  g_auto (GStrv) l81 = series (NULL, "log", 8, 4, "_1");
  g_auto (GStrv) l6 = series (NULL, "log", 6, 4, "_2");

  /* log8 is the deepfloat (8,1) code: log8_1's listed name */
  g_free (l16[1]);
  l16[1] = g_strdup ("log8");
  g_free (l8[0]);
  l8[0] = g_strdup ("log8");
  check_ladder ("log16", (const char *const *) l16);
  check_ladder ("log8", (const char *const *) l8);
  check_ladder ("log8_1", (const char *const *) l81);
  check_ladder ("log6_2", (const char *const *) l6);
}

static void
test_ladder_kmeans (void)
{
  static const char *const k256[] = { "kmeans256", "kmeans128", "kmeans64", "kmeans32",
                                      "kmeans16", "kmeans8", "kmeans4", "kmeans2", NULL };
  static const char *const k100[] = { "kmeans100", "kmeans64", "kmeans32", "kmeans16",
                                      "kmeans8", "kmeans4", "kmeans2", NULL };
  check_ladder ("kmeans256", k256);
  check_ladder ("kmeans100", k100);
}

static void
test_ladder_none (void)
{
  static const char *const names[] = { "binary", "ternary", "nf4", "mxfp4", "mxint8", "nvfp4" };

  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *expect[] = { names[i], NULL };
      check_ladder (names[i], expect);
    }
}

static void
test_ladder_errors (void)
{
  char out[3][BS_NAME_MAX], err[256] = "";

  g_assert_cmpint (bs_format_ladder ("fp33", out, 3, err, sizeof err), ==, -1);
  g_assert_cmpuint (strlen (err), >, 0);
  /* too small: the full length, and the first rungs written */
  g_assert_cmpint (bs_format_ladder ("fp8_e4m3", out, 3, err, sizeof err), ==, 6);
  g_assert_cmpstr (out[0], ==, "fp8_e4m3");
  g_assert_cmpstr (out[2], ==, "float_e4m1");
  g_assert_cmpint (bs_format_ladder ("fp8_e4m3", NULL, 0, err, sizeof err), ==, 6);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/search/config/baseline-text", test_baseline_text);
  g_test_add_func ("/engine/search/config/text-by-hand", test_text_by_hand);
  g_test_add_func ("/engine/search/config/fields-parsed", test_fields_parsed);
  g_test_add_func ("/engine/search/config/round-trip", test_round_trip);
  g_test_add_func ("/engine/search/config/malformed", test_malformed);
  g_test_add_func ("/engine/search/config/hash-fnv1a", test_hash);
  g_test_add_func ("/engine/search/config/equality", test_equality);
  g_test_add_func ("/engine/search/config/set-layer-checks", test_set_layer_checks);
  g_test_add_func ("/engine/search/config/normalised", test_normalised);
  g_test_add_func ("/engine/search/config/mean-bits", test_mean_bits);
  g_test_add_func ("/engine/search/ladder/float", test_ladder_float);
  g_test_add_func ("/engine/search/ladder/fixed-int", test_ladder_fixed);
  g_test_add_func ("/engine/search/ladder/posit", test_ladder_posit);
  g_test_add_func ("/engine/search/ladder/log", test_ladder_log);
  g_test_add_func ("/engine/search/ladder/kmeans", test_ladder_kmeans);
  g_test_add_func ("/engine/search/ladder/none", test_ladder_none);
  g_test_add_func ("/engine/search/ladder/errors", test_ladder_errors);
  return g_test_run ();
}
