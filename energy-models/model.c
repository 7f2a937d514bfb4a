/* model.c — per-layer and total energy of a network on a target; FPGA fit; output. */
#include "bs-energy-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const RULE_GATING =
  "bitscape model: gated share = s_i, s_w or 1 - (1 - s_i)(1 - s_w) for the operands the "
  "target gates (unknown sparsity counts as 0); gated MACs cost energy-fraction x E_MAC";
static const char *const RULE_UNITS =
  "bitscape model: MAC units = ceil(MACs x passes x rate / clock), one engine per layer";
static const char *const RULE_LOOKUP =
  "bitscape model: every ungated MAC of codebook weights reads one centroid (input bits)";

/* Round a resource count up (tolerating float noise), never to -0. */
static double
round_up (double x)
{
  double c = ceil (x - 1e-9);
  return c > 0 ? c : 0;
}

static double
clamp01 (double s)
{
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* The codebook of a weight format: number of centroids (0 if not a codebook). */
static double
codebook_size (const bs_format *wf, bool flagged)
{
  switch (bs_format_family (wf))
    {
    case BS_FAMILY_KMEANS:
      return wf->p.kmeans.k;
    case BS_FAMILY_NF4:
      return 16;
    default:
      return flagged ? ldexp (1.0, wf->bits) : 0;
    }
}

static int
parse_format (const char *layer, const char *what, const char *name, bs_format *f, char *err,
              size_t errlen)
{
  char why[200];

  if (!name)
    {
      snprintf (err, errlen, "layer '%s': no %s format", layer, what);
      return -1;
    }
  if (bs_format_parse (name, f, why, sizeof why) < 0)
    {
      snprintf (err, errlen, "layer '%s': %s format: %s", layer, what, why);
      return -1;
    }
  return 0;
}

/* One layer; wbuf_left is the weight buffer still free (bits), updated first-fit. */
static int
estimate_layer (const bs_target *t, const bs_energy_layer *L, double *wbuf_left,
                bs_energy_layer_result *lr, char *err, size_t errlen)
{
  const char *name = L->name ? L->name : "(unnamed)";
  bs_format wf, inf, of;
  bs_acc acc = BS_ACC_EXACT;
  bs_energy_mac mac;
  _bs_trace tr = { 0 };
  uint64_t k;
  bool codebook;
  double g = 0, s_i, s_w, macs = (double) L->macs, lookup = 0, e_wbuf, e_abuf;
  double w_total, cb_bits = 0, in_total, out_total;

  snprintf (lr->name, sizeof lr->name, "%s", name);
  snprintf (lr->op, sizeof lr->op, "%s", L->op ? L->op : "");
  lr->macs = L->macs;
  if (parse_format (name, "weight", L->weight_format, &wf, err, errlen) < 0
      || parse_format (name, "input", L->input_format, &inf, err, errlen) < 0
      || parse_format (name, "output", L->output_format ? L->output_format : L->input_format,
                       &of, err, errlen) < 0)
    return -1;
  if (L->accumulator && bs_acc_parse (L->accumulator, &acc) < 0)
    {
      snprintf (err, errlen, "layer '%s': unknown accumulator '%s'", name, L->accumulator);
      return -1;
    }
  if (L->weight_sparsity > 1 || L->input_sparsity > 1 || isnan (L->weight_sparsity)
      || isnan (L->input_sparsity))
    {
      snprintf (err, errlen, "layer '%s': sparsity must be a fraction in [0, 1] or -1", name);
      return -1;
    }

  /* one MAC */
  k = L->outputs ? (L->macs + L->outputs / 2) / L->outputs : 1;
  if (k < 1)
    k = 1;
  codebook = L->codebook || codebook_size (&wf, false) > 0;
  {
    char why[300];
    if (_bs_mac_cost (t, &wf, &inf, acc, k, codebook, &mac, &tr, why, sizeof why) < 0)
      {
        snprintf (err, errlen, "layer '%s': %s", name, why);
        _bs_trace_free (&tr);
        return -1;
      }
  }
  lr->mac_pj = mac.energy_pj;
  lr->passes = mac.passes;
  lr->acc = mac.acc;
  lr->acc_bits = mac.acc_bits;

  lr->weight_bits = _bs_storage_bits (&wf);
  lr->input_bits = _bs_storage_bits (&inf);
  lr->output_bits = _bs_storage_bits (&of);

  /* codebook look-ups */
  if (codebook)
    {
      double bits = lr->input_bits;
      if (t->has_rf)
        {
          lookup = bits * t->rf_e;
          _bs_trace_add (&tr, "register-file", t->rf_e, "pJ/bit", &t->rf_src,
                         "codebook look-up of a %g-bit centroid", bits);
        }
      else
        {
          _bs_trace_fallback (&tr, "no register file: codebook look-ups costed at the smallest "
                              "SRAM");
          lookup = bits * _bs_sram_energy (t, t->srams[0].bytes, &tr, "codebook look-up");
        }
      _bs_trace_rule (&tr, "rule", lookup, "pJ", RULE_LOOKUP, "look-up per MAC");
      cb_bits = codebook_size (&wf, true) * bits;
    }
  lr->lookup_pj = lookup;

  /* gating */
  s_i = L->input_sparsity < 0 ? 0 : clamp01 (L->input_sparsity);
  s_w = L->weight_sparsity < 0 ? 0 : clamp01 (L->weight_sparsity);
  switch (t->gate_operands)
    {
    case BS_GATE_INPUTS:
      g = s_i;
      break;
    case BS_GATE_WEIGHTS:
      g = s_w;
      break;
    case BS_GATE_INPUTS | BS_GATE_WEIGHTS:
      g = 1 - (1 - s_i) * (1 - s_w);
      break;
    default:
      g = 0;
      break;
    }
  _bs_trace_add (&tr, "gating", t->gate_fraction, "x E_MAC", &t->gate_src, "%s",
                 t->gate_operands ? "gated MAC cost" : "no gating");
  if (t->gate_operands)
    _bs_trace_rule (&tr, "rule", g, "", RULE_GATING, "gated share (s_i = %g, s_w = %g)",
                    L->input_sparsity, L->weight_sparsity);
  lr->gated_macs = macs * g;
  lr->compute_pj = macs * (1 - g) * (mac.energy_pj + lookup)
                   + macs * g * t->gate_fraction * mac.energy_pj;

  /* memory */
  _bs_trace_add (&tr, "reuse", t->input_reads, "reads/input", &t->reuse_src, "weights %s, "
                 "%g read(s) per input, %g write(s) per output%s",
                 t->weights_streamed ? "streamed (once per MAC)" : "stationary (once per inference)",
                 t->input_reads, t->output_writes,
                 t->rf_operands ? ", operands from the register file" : "");
  _bs_trace_add (&tr, "buffers", (double) t->wbuf_bytes, "bytes", &t->buf_src,
                 "weight buffer %zu bytes, activation buffer %zu bytes", t->wbuf_bytes,
                 t->abuf_bytes);
  e_wbuf = _bs_sram_energy (t, t->wbuf_bytes, &tr, "weight buffer");
  e_abuf = _bs_sram_energy (t, t->abuf_bytes, &tr, "activation buffer");

  w_total = (double) L->weights * lr->weight_bits + cb_bits;
  lr->weights_on_chip = w_total <= *wbuf_left;
  if (lr->weights_on_chip)
    *wbuf_left -= w_total;
  lr->weights_pj = (t->weights_streamed ? macs * lr->weight_bits + cb_bits : w_total) * e_wbuf;
  if (!lr->weights_on_chip)
    {
      double d = w_total * t->dram_e;
      lr->weights_pj += d;
      lr->dram_pj += d;
      _bs_trace_add (&tr, "dram", t->dram_e, "pJ/bit", &t->dram_src,
                     "%g weight bits do not fit the weight buffer left (%g bits): read from DRAM",
                     w_total, *wbuf_left);
    }
  in_total = (double) L->inputs * lr->input_bits;
  out_total = (double) L->outputs * lr->output_bits;
  lr->inputs_pj = in_total * t->input_reads * e_abuf;
  lr->outputs_pj = out_total * t->output_writes * e_abuf;
  if (in_total + out_total > 8.0 * (double) t->abuf_bytes)
    {
      lr->inputs_pj += in_total * t->dram_e;
      lr->outputs_pj += out_total * t->dram_e;
      lr->dram_pj += (in_total + out_total) * t->dram_e;
      _bs_trace_add (&tr, "dram", t->dram_e, "pJ/bit", &t->dram_src,
                     "inputs + outputs (%g bits) exceed the activation buffer: one DRAM read "
                     "and write per bit", in_total + out_total);
    }
  if (t->rf_operands)
    {
      lr->register_file_pj = macs * (1 - g) * (lr->weight_bits + lr->input_bits) * t->rf_e;
      _bs_trace_add (&tr, "register-file", t->rf_e, "pJ/bit", &t->rf_src,
                     "operands of every ungated MAC (%g + %g bits)", lr->weight_bits,
                     lr->input_bits);
    }
  lr->memory_pj = lr->weights_pj + lr->inputs_pj + lr->outputs_pj + lr->register_file_pj;
  lr->energy_pj = lr->compute_pj + lr->memory_pj;

  /* area or FPGA resources */
  lr->units = L->macs ? ceil (macs * mac.passes * t->rate / (t->clock_mhz * 1e6)) : 0;
  _bs_trace_add (&tr, "throughput", t->rate, "inferences/s", &t->rate_src, "sizing rate");
  _bs_trace_add (&tr, "clock", t->clock_mhz, "MHz", &t->clock_src, "clock");
  _bs_trace_rule (&tr, "rule", lr->units, "units", RULE_UNITS, "MAC units of this layer");
  if (t->kind == BS_TARGET_FPGA)
    {
      lr->area_um2 = NAN;
      lr->luts = lr->units * mac.luts;
      lr->ffs = lr->units * mac.ffs;
      lr->dsps = lr->units * mac.dsps;
      lr->bram = w_total > 0 ? ceil (w_total / t->bram_bits) : 0;
      _bs_trace_add (&tr, "fpga", t->bram_bits, "bits/BRAM", &t->bram_src,
                     "weights in ceil(%g / %g) = %g BRAM", w_total, t->bram_bits, lr->bram);
    }
  else
    lr->area_um2 = lr->units * mac.area_um2;

  if (tr.oom)
    {
      _bs_trace_free (&tr);
      snprintf (err, errlen, "out of memory");
      return -1;
    }
  lr->terms = tr.v; /* the layer owns the trace now */
  lr->n_terms = tr.n;
  lr->fallback = tr.fallback;
  snprintf (lr->fallback_rules, sizeof lr->fallback_rules, "%s", tr.rules);
  return 0;
}

bs_energy_result *
bs_energy_estimate (const bs_target *t, const bs_energy_layer *layers, size_t n_layers,
                    char *err, size_t errlen)
{
  bs_energy_result *r = calloc (1, sizeof *r);
  double wbuf_left = 8.0 * (double) t->wbuf_bytes;
  char dummy[8];

  if (!err)
    {
      err = dummy;
      errlen = sizeof dummy;
    }
  if (!r || !(r->layers = calloc (n_layers ? n_layers : 1, sizeof *r->layers)))
    {
      free (r);
      snprintf (err, errlen, "out of memory");
      return NULL;
    }
  r->target = t;
  for (size_t i = 0; i < n_layers; i++)
    {
      bs_energy_layer_result *lr = &r->layers[i];
      if (estimate_layer (t, &layers[i], &wbuf_left, lr, err, errlen) < 0)
        {
          r->n_layers = i;
          bs_energy_result_free (r);
          return NULL;
        }
      r->n_layers = i + 1;
      r->compute_pj += lr->compute_pj;
      r->memory_pj += lr->memory_pj;
      r->area_um2 += lr->area_um2;
      r->luts += lr->luts;
      r->ffs += lr->ffs;
      r->dsps += lr->dsps;
      r->bram += lr->bram;
      r->fallback = r->fallback || lr->fallback;
    }
  r->energy_pj = r->compute_pj + r->memory_pj;
  r->dsps = round_up (r->dsps);
  if (t->kind == BS_TARGET_FPGA)
    r->area_um2 = NAN;
  return r;
}

void
bs_energy_result_free (bs_energy_result *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->n_layers; i++)
    free (r->layers[i].terms);
  free (r->layers);
  free (r);
}

int
bs_energy_fits (const bs_energy_result *r, const char *device, bs_energy_fit *fit, char *err,
                size_t errlen)
{
  const bs_target *t = r->target;
  const _bs_device *d = NULL;
  size_t used;

  memset (fit, 0, sizeof *fit);
  for (size_t i = 0; i < t->n_devices; i++)
    if (!device || strcmp (t->devices[i].name, device) == 0)
      {
        d = &t->devices[i];
        break;
      }
  if (!d)
    {
      if (err && errlen)
        {
          if (t->kind != BS_TARGET_FPGA)
            snprintf (err, errlen, "%s is an ASIC target: it names no devices", t->name);
          else
            snprintf (err, errlen, "target %s names no device '%s'", t->name,
                      device ? device : "");
        }
      return -1;
    }
  snprintf (fit->device, sizeof fit->device, "%s", d->name);
  fit->luts = round_up (r->luts);
  fit->ffs = round_up (r->ffs);
  fit->dsps = round_up (r->dsps);
  fit->bram = r->bram;
  fit->max_luts = d->luts;
  fit->max_ffs = d->ffs;
  fit->max_dsps = d->dsps;
  fit->max_bram = d->bram;
  fit->source = d->src.source;
  used = 0;
#define OVER(label, u, m)                                                                   \
  if ((u) > (m) && used < sizeof fit->why)                                                  \
    used += (size_t) snprintf (fit->why + used, sizeof fit->why - used, "%s%s %.0f > %.0f", \
                               used ? ", " : "", label, (u), (m));
  OVER ("LUTs", fit->luts, fit->max_luts);
  OVER ("FFs", fit->ffs, fit->max_ffs);
  OVER ("DSPs", fit->dsps, fit->max_dsps);
  OVER ("BRAMs", fit->bram, fit->max_bram);
#undef OVER
  fit->fits = used == 0;
  return 0;
}

/* Output ------------------------------------------------------------------------------ */

void
bs_energy_json_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++)
    switch (*p)
      {
      case '"':
        fputs ("\\\"", out);
        break;
      case '\\':
        fputs ("\\\\", out);
        break;
      case '\n':
        fputs ("\\n", out);
        break;
      case '\r':
        fputs ("\\r", out);
        break;
      case '\t':
        fputs ("\\t", out);
        break;
      default:
        if (*p < 0x20)
          fprintf (out, "\\u%04x", *p);
        else
          fputc (*p, out);
      }
  fputc ('"', out);
}

static void
json_num (FILE *out, const char *key, double v, bool comma)
{
  fprintf (out, "\"%s\": ", key);
  if (isfinite (v))
    fprintf (out, "%.12g", v);
  else
    fputs ("null", out);
  if (comma)
    fputs (", ", out);
}

static void
json_str (FILE *out, const char *key, const char *v, bool comma)
{
  fprintf (out, "\"%s\": ", key);
  bs_energy_json_string (out, v);
  if (comma)
    fputs (", ", out);
}

int
bs_energy_result_write_json (const bs_energy_result *r, FILE *out)
{
  const bs_target *t = r->target;
  bool fpga = t->kind == BS_TARGET_FPGA;
  bs_energy_fit fit;

  fputs ("{", out);
  json_str (out, "target", t->name, true);
  json_str (out, "kind", bs_target_kind_name (t->kind), true);
  json_str (out, "node", t->node, true);
  json_str (out, "file", t->path, true);
  fputs ("\"total\": {", out);
  json_num (out, "compute_pj", r->compute_pj, true);
  json_num (out, "memory_pj", r->memory_pj, true);
  json_num (out, "energy_pj", r->energy_pj, true);
  if (fpga)
    {
      json_num (out, "luts", round_up (r->luts), true);
      json_num (out, "ffs", round_up (r->ffs), true);
      json_num (out, "dsps", r->dsps, true);
      json_num (out, "bram", r->bram, true);
    }
  else
    json_num (out, "area_um2", r->area_um2, true);
  fprintf (out, "\"fallback\": %s}, ", r->fallback ? "true" : "false");
  if (fpga && bs_energy_fits (r, NULL, &fit, NULL, 0) == 0)
    {
      fputs ("\"fits\": {", out);
      json_str (out, "device", fit.device, true);
      fprintf (out, "\"fits\": %s, ", fit.fits ? "true" : "false");
      json_str (out, "why", fit.why, true);
      json_str (out, "source", fit.source, false);
      fputs ("}, ", out);
    }
  fputs ("\"layers\": [", out);
  for (size_t i = 0; i < r->n_layers; i++)
    {
      const bs_energy_layer_result *l = &r->layers[i];
      fputs (i ? ", {" : "{", out);
      json_str (out, "name", l->name, true);
      json_str (out, "op", l->op, true);
      json_num (out, "macs", (double) l->macs, true);
      json_num (out, "gated_macs", l->gated_macs, true);
      json_num (out, "passes", l->passes, true);
      json_num (out, "mac_pj", l->mac_pj, true);
      json_num (out, "lookup_pj", l->lookup_pj, true);
      json_num (out, "compute_pj", l->compute_pj, true);
      json_num (out, "memory_pj", l->memory_pj, true);
      json_num (out, "energy_pj", l->energy_pj, true);
      fputs ("\"memory\": {", out);
      json_num (out, "weights_pj", l->weights_pj, true);
      json_num (out, "inputs_pj", l->inputs_pj, true);
      json_num (out, "outputs_pj", l->outputs_pj, true);
      json_num (out, "register_file_pj", l->register_file_pj, true);
      json_num (out, "dram_pj", l->dram_pj, true);
      fprintf (out, "\"weights_on_chip\": %s}, ", l->weights_on_chip ? "true" : "false");
      json_num (out, "weight_bits", l->weight_bits, true);
      json_num (out, "input_bits", l->input_bits, true);
      json_num (out, "output_bits", l->output_bits, true);
      json_str (out, "accumulator", bs_acc_name (l->acc), true);
      json_num (out, "accumulator_bits", l->acc_bits, true);
      json_num (out, "units", l->units, true);
      if (fpga)
        {
          json_num (out, "luts", l->luts, true);
          json_num (out, "ffs", l->ffs, true);
          json_num (out, "dsps", l->dsps, true);
          json_num (out, "bram", l->bram, true);
        }
      else
        json_num (out, "area_um2", l->area_um2, true);
      fprintf (out, "\"fallback\": %s, ", l->fallback ? "true" : "false");
      json_str (out, "fallback_rules", l->fallback_rules, true);
      fputs ("\"terms\": [", out);
      for (size_t k = 0; k < l->n_terms; k++)
        {
          const bs_energy_term *term = &l->terms[k];
          fputs (k ? ", {" : "{", out);
          json_str (out, "what", term->what, true);
          json_str (out, "detail", term->detail, true);
          json_num (out, "value", term->value, true);
          json_str (out, "unit", term->unit, true);
          json_str (out, "source", term->source, true);
          json_num (out, "line", term->line, false);
          fputs ("}", out);
        }
      fputs ("]}", out);
    }
  fputs ("]}\n", out);
  return ferror (out) ? -1 : 0;
}

int
bs_energy_result_write_text (const bs_energy_result *r, FILE *out)
{
  const bs_target *t = r->target;
  bool fpga = t->kind == BS_TARGET_FPGA;

  fprintf (out, "target %s (%s, %s): %s\n", t->name, bs_target_kind_name (t->kind), t->node,
           t->path);
  fprintf (out, "%-20s %14s %14s %6s %14s %14s %14s  %s\n", "layer", "MACs", "gated MACs",
           "passes", "compute pJ", "memory pJ", "energy pJ",
           fpga ? "LUT/FF/DSP/BRAM" : "area um2");
  for (size_t i = 0; i < r->n_layers; i++)
    {
      const bs_energy_layer_result *l = &r->layers[i];
      fprintf (out, "%-20s %14llu %14.0f %6d %14.6g %14.6g %14.6g  ", l->name,
               (unsigned long long) l->macs, l->gated_macs, l->passes, l->compute_pj,
               l->memory_pj, l->energy_pj);
      if (fpga)
        fprintf (out, "%.0f/%.0f/%g/%.0f", round_up (l->luts), round_up (l->ffs), l->dsps,
                 l->bram);
      else
        fprintf (out, "%.6g", l->area_um2);
      fprintf (out, "%s\n", l->fallback ? "  *" : "");
    }
  fprintf (out, "%-20s %14s %14s %6s %14.6g %14.6g %14.6g  ", "total", "", "", "", r->compute_pj,
           r->memory_pj, r->energy_pj);
  if (fpga)
    {
      bs_energy_fit fit;
      fprintf (out, "%.0f/%.0f/%g/%.0f", round_up (r->luts), round_up (r->ffs), r->dsps,
               r->bram);
      if (bs_energy_fits (r, NULL, &fit, NULL, 0) == 0)
        fprintf (out, "  %s %s%s%s", fit.fits ? "fits" : "does not fit", fit.device,
                 fit.fits ? "" : ": ", fit.why);
    }
  else
    fprintf (out, "%.6g", r->area_um2);
  fputc ('\n', out);
  for (size_t i = 0; i < r->n_layers; i++)
    if (r->layers[i].fallback)
      fprintf (out, "* %s: %s\n", r->layers[i].name, r->layers[i].fallback_rules);
  return ferror (out) ? -1 : 0;
}
