/* bs-demo-project.c — three made-up sweeps over a four-layer network.
 *
 * Accuracy and energy follow a toy formula (fewer bits: less energy, more
 * accuracy lost, faster for narrow-range formats) with seeded noise; they
 * are plausible-looking, not measured.  Configurations are canonical text of
 * version 1, so the UI reads them as it will read real ones. */
#include "config.h"

#include <math.h>

#include "bs-demo-project.h"
#include "bs-format.h"

#define N_LAYERS 4

static const double layer_macs[N_LAYERS] = { 0.35e6, 2.1e6, 1.6e6, 0.12e6 };
static const double layer_weights[N_LAYERS] = { 800, 51200, 409600, 10240 };
static const double layer_sensitivity[N_LAYERS] = { 1.6, 0.8, 0.7, 1.3 };

typedef struct {
  const char *name;
  double quality;      /* effective bits of precision for this toy model */
} DemoFormat;

static const DemoFormat formats[] = {
  { "fixed4", 2.2 }, { "fixed6", 3.6 }, { "fixed8", 5.4 }, { "fixed12", 8.5 }, { "fixed16", 11 },
  { "int4", 2.8 }, { "int6", 4.4 }, { "int8", 6.2 },
  { "fp4_e2m1", 3.0 }, { "fp6_e2m3", 4.6 }, { "fp6_e3m2", 4.4 }, { "fp8_e4m3", 6.4 },
  { "fp8_e5m2", 5.8 }, { "posit6_1", 4.8 }, { "posit8_1", 6.8 }, { "posit16_1", 13 },
  { "log8", 6.5 }, { "bf16", 9 }, { "fp16", 12 }, { "fp32", 24 },
};

static int
format_bits (const char *name)
{
  bs_format f;

  return bs_format_parse (name, &f, NULL, 0) == 0 ? f.bits : 32;
}

static gboolean
add (BsStore *store, gint64 sweep, const int *w, const int *a, GRand *rand, GError **error)
{
  GString *canon = g_string_new ("v1");
  BsStoreLayer layers[N_LAYERS];
  BsStoreMetrics m = { 0 };
  double drop = 0, compute = 0, memory = 0, wbits = 0, abits = 0, wsum = 0, msum = 0;
  gint64 id;

  for (int l = 0; l < N_LAYERS; l++)
    {
      const DemoFormat *fw = &formats[w[l]], *fa = &formats[a[l]];
      int bw = format_bits (fw->name), ba = format_bits (fa->name);

      g_string_append_printf (canon, ";L%d:w=%s,a=%s,acc=exact,s=layer-pow2", l, fw->name, fa->name);
      layers[l] = (BsStoreLayer) { fw->name, fa->name, "exact", "layer-pow2" };
      drop += layer_sensitivity[l] * (38 * exp (-0.85 * (fw->quality - 1)) + 30 * exp (-0.9 * (fa->quality - 1)));
      compute += layer_macs[l] * (0.0021 * bw * ba + 0.012 * (bw + ba));
      memory += layer_weights[l] * bw * 0.09 + layer_macs[l] * 0.004 * ba;
      wbits += bw * layer_weights[l];
      wsum += layer_weights[l];
      abits += ba * layer_macs[l];
      msum += layer_macs[l];
    }
  m.top1 = MAX (10.0, 91.2 - drop + g_rand_double_range (rand, -0.35, 0.35) * (1 + drop / 8));
  m.top5 = MIN (100.0, m.top1 + (100 - m.top1) * 0.8);
  m.compute_pj = compute;
  m.memory_pj = memory;
  m.energy_pj = compute + memory;
  m.area_um2 = m.luts = m.ffs = m.dsps = m.brams = NAN;
  m.mean_weight_bits = wbits / wsum;
  m.mean_input_bits = abits / msum;
  m.weight_sparsity = g_rand_double_range (rand, 0.02, 0.2);
  m.input_sparsity = g_rand_double_range (rand, 0.3, 0.6);
  m.images = 10000;
  m.path = "fake-quant";

  id = bs_store_add_result (store, sweep, canon->str, g_str_hash (canon->str), layers, N_LAYERS, &m, error);
  g_string_free (canon, TRUE);
  return id >= 0;
}

static gint64
begin (BsStore *store, const char *strategy, const char *spec, GError **error)
{
  gint64 model = bs_store_ensure_model (store, "fmnist-cnn", "demo-model", NULL, error);
  gint64 data = model < 0 ? -1 : bs_store_ensure_dataset (store, "fashion-mnist", "demo-data", NULL, error);
  gint64 target = data < 0 ? -1 : bs_store_ensure_target (store, "asic-45nm", "demo-target", NULL, error);

  if (target < 0)
    return -1;
  return bs_store_begin_sweep (store, model, data, target, strategy, spec, NULL, error);
}

static gboolean
finish (BsStore *store, gint64 sweep, GError **error)
{
  return bs_store_set_sweep_status (store, sweep, "done", error);
}

/* Three sweeps: every format uniformly, a greedy-looking descent, and
 * n_random random per-layer mixes.  Deterministic (fixed seed). */
gboolean
bs_demo_project_fill (BsStore *store, guint n_random, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);
  const int nf = G_N_ELEMENTS (formats);
  int w[N_LAYERS], a[N_LAYERS];
  gint64 sweep;

  sweep = begin (store, "uniform", "all listed formats", error);
  if (sweep < 0)
    return FALSE;
  for (int f = 0; f < nf; f++)
    {
      for (int l = 0; l < N_LAYERS; l++)
        w[l] = a[l] = f;
      if (!add (store, sweep, w, a, rand, error))
        return FALSE;
    }
  if (!finish (store, sweep, error))
    return FALSE;

  sweep = begin (store, "greedy", "max_drop=1", error);
  if (sweep < 0)
    return FALSE;
  for (int start = 0; start < 8; start++)
    {
      for (int l = 0; l < N_LAYERS; l++)
        w[l] = a[l] = nf - 1 - start % 3;
      for (int step = 0; step < 24; step++)
        {
          int l = g_rand_int_range (rand, 0, N_LAYERS);

          if (g_rand_boolean (rand))
            w[l] = MAX (0, w[l] - g_rand_int_range (rand, 1, 4));
          else
            a[l] = MAX (0, a[l] - g_rand_int_range (rand, 1, 4));
          if (!add (store, sweep, w, a, rand, error))
            return FALSE;
        }
    }
  if (!finish (store, sweep, error))
    return FALSE;

  sweep = begin (store, "nsga2", "population=64", error);
  if (sweep < 0)
    return FALSE;
  for (guint i = 0; i < n_random; i++)
    {
      for (int l = 0; l < N_LAYERS; l++)
        {
          w[l] = g_rand_int_range (rand, 0, nf);
          a[l] = g_rand_int_range (rand, 0, nf);
        }
      if (!add (store, sweep, w, a, rand, error))
        return FALSE;
    }
  return finish (store, sweep, error);
}
