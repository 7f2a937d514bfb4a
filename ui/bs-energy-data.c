/* bs-energy-data.c — an energy result copied for drawing, and the words
 * that explain one bar (its tooltip). */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "bs-energy-data.h"
#include "bs-units.h"

static void
term_free (gpointer data)
{
  BsEnergyTerm *t = data;

  g_free (t->what);
  g_free (t->detail);
  g_free (t->unit);
  g_free (t->source);
  g_free (t);
}

static void
bar_free (gpointer data)
{
  BsEnergyBar *b = data;

  g_free (b->name);
  g_free (b->op);
  g_free (b->acc);
  g_free (b->fallback_rules);
  g_ptr_array_unref (b->terms);
  g_free (b);
}

void
bs_energy_data_free (BsEnergyData *data)
{
  if (!data)
    return;
  g_free (data->target);
  g_free (data->file);
  g_ptr_array_unref (data->bars);
  g_free (data);
}

/* Which bar a term explains, from its kind (bs_energy_term.what) and, for the
 * model's own rules, its detail: memory terms are the buffers, SRAM, DRAM,
 * reuse and operand register-file reads; sizing terms (throughput, clock, MAC
 * units, BRAMs) explain area, not energy; the rest is the MAC. */
BsEnergyPart
bs_energy_term_part (const char *what, const char *detail)
{
  static const char *const memory[] = { "sram", "dram", "buffers", "reuse" };
  static const char *const other[] = { "throughput", "clock" };

  for (guint i = 0; i < G_N_ELEMENTS (memory); i++)
    if (g_strcmp0 (what, memory[i]) == 0)
      return BS_ENERGY_PART_MEMORY;
  for (guint i = 0; i < G_N_ELEMENTS (other); i++)
    if (g_strcmp0 (what, other[i]) == 0)
      return BS_ENERGY_PART_OTHER;
  if (g_strcmp0 (what, "register-file") == 0)
    return detail && g_str_has_prefix (detail, "codebook") ? BS_ENERGY_PART_COMPUTE
                                                            : BS_ENERGY_PART_MEMORY;
  if (g_strcmp0 (what, "rule") == 0 && detail)
    {
      if (strstr (detail, "buffer") || strstr (detail, "SRAM"))
        return BS_ENERGY_PART_MEMORY;
      if (strstr (detail, "MAC units"))
        return BS_ENERGY_PART_OTHER;
    }
  if (g_strcmp0 (what, "fpga") == 0 && detail && strstr (detail, "BRAM"))
    return BS_ENERGY_PART_OTHER;
  return BS_ENERGY_PART_COMPUTE;
}

BsEnergyData *
bs_energy_data_new (const bs_energy_result *r)
{
  BsEnergyData *d = g_new0 (BsEnergyData, 1);

  d->target = g_strdup (bs_target_name (r->target));
  d->file = g_path_get_basename (bs_target_path (r->target));
  d->compute_pj = r->compute_pj;
  d->memory_pj = r->memory_pj;
  d->bars = g_ptr_array_new_with_free_func (bar_free);
  for (size_t i = 0; i < r->n_layers; i++)
    {
      const bs_energy_layer_result *L = &r->layers[i];
      BsEnergyBar *b = g_new0 (BsEnergyBar, 1);

      b->name = g_strdup (L->name);
      b->op = g_strdup (L->op);
      b->macs = L->macs;
      b->gated_macs = L->gated_macs;
      b->mac_pj = L->mac_pj;
      b->lookup_pj = L->lookup_pj;
      b->compute_pj = L->compute_pj;
      b->memory_pj = L->memory_pj;
      b->weights_pj = L->weights_pj;
      b->inputs_pj = L->inputs_pj;
      b->outputs_pj = L->outputs_pj;
      b->register_file_pj = L->register_file_pj;
      b->dram_pj = L->dram_pj;
      b->weight_bits = L->weight_bits;
      b->input_bits = L->input_bits;
      b->acc = g_strdup (bs_acc_name (L->acc));
      b->acc_bits = L->acc_bits;
      b->passes = L->passes;
      b->fallback = L->fallback;
      b->fallback_rules = g_strdup (L->fallback_rules);
      b->terms = g_ptr_array_new_with_free_func (term_free);
      for (size_t k = 0; k < L->n_terms; k++)
        {
          const bs_energy_term *src = &L->terms[k];
          BsEnergyTerm *t = g_new0 (BsEnergyTerm, 1);

          t->what = g_strdup (src->what);
          t->detail = g_strdup (src->detail);
          t->unit = g_strdup (src->unit);
          t->source = g_strdup (src->source);
          t->value = src->value;
          t->line = src->line;
          t->part = bs_energy_term_part (src->what, src->detail);
          g_ptr_array_add (b->terms, t);
        }
      g_ptr_array_add (d->bars, b);
    }
  return d;
}

static void
append_terms (GString *s, const BsEnergyData *d, const BsEnergyBar *b, BsEnergyPart part)
{
  for (guint k = 0; k < b->terms->len; k++)
    {
      const BsEnergyTerm *t = g_ptr_array_index (b->terms, k);
      g_autofree char *where = NULL, *line = NULL;

      if (t->part != part)
        continue;
      where = t->line > 0 ? g_strdup_printf ("%s:%d", d->file, t->line) : g_strdup (_("model rule"));
      /* TRANSLATORS: one number an energy figure uses: kind, detail, value, unit;
       * then where it comes from (a citation) and the file and line it is in */
      line = g_markup_printf_escaped (_("• %s, %s: <b>%g %s</b>\n   <small>%s (%s)</small>\n"),
                                      t->what, t->detail, t->value, t->unit ? t->unit : "",
                                      t->source ? t->source : "", where);
      g_string_append (s, line);
    }
}

/* Pango markup for a bar's part: the figure, how it is made up, and every
 * term it used with its source and file:line. */
char *
bs_energy_data_describe (const BsEnergyData *d, guint bar, BsEnergyPart part)
{
  const BsEnergyBar *b;
  GString *s = g_string_new (NULL);
  g_autofree char *head = NULL;

  g_return_val_if_fail (bar < d->bars->len, NULL);
  b = g_ptr_array_index (d->bars, bar);
  if (part == BS_ENERGY_PART_COMPUTE)
    {
      g_autofree char *e = bs_units_format_energy (b->compute_pj);
      g_autofree char *mac = bs_units_format_energy (b->mac_pj);
      g_autofree char *macs = g_strdup_printf ("%" G_GUINT64_FORMAT, b->macs);
      double share = b->macs ? b->gated_macs / (double) b->macs : 0;

      /* TRANSLATORS: layer, compute energy; MACs per image, energy of one MAC,
       * accumulator and its width, share of MACs skipped on zero operands */
      head = g_markup_printf_escaped (_("<b>%s</b> · compute %s\n%s MACs × %s (%d-bit %s "
                                        "accumulator), %.1f %% gated\n"),
                                      b->name, e, macs, mac, b->acc_bits, b->acc, 100 * share);
    }
  else
    {
      g_autofree char *e = bs_units_format_energy (b->memory_pj);
      g_autofree char *w = bs_units_format_energy (b->weights_pj);
      g_autofree char *in = bs_units_format_energy (b->inputs_pj);
      g_autofree char *out = bs_units_format_energy (b->outputs_pj);
      g_autofree char *rf = bs_units_format_energy (b->register_file_pj);
      g_autofree char *dram = bs_units_format_energy (b->dram_pj);

      /* TRANSLATORS: layer, memory energy, then its parts */
      head = g_markup_printf_escaped (_("<b>%s</b> · memory %s\nweights %s · inputs %s · "
                                        "outputs %s · register file %s (DRAM %s)\n"),
                                      b->name, e, w, in, out, rf, dram);
    }
  g_string_append (s, head);
  if (b->fallback && part == BS_ENERGY_PART_COMPUTE)
    {
      /* TRANSLATORS: %s names the rules used where the target lacks figures */
      g_autofree char *fb = g_markup_printf_escaped (_("<i>Fallback: %s</i>\n"), b->fallback_rules);

      g_string_append (s, fb);
    }
  append_terms (s, d, b, part);
  if (s->len > 0 && s->str[s->len - 1] == '\n')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}
