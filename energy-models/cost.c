/* cost.c — the cost of one MAC (and of memory per bit) on a target, with its trace.
 * The rules are the contract in bs-energy.h. */
#include "bs-energy-private.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const family_names[BS_N_CFAMS] = { "int", "float", "posit", "log" };

/* Traces -------------------------------------------------------------------------- */

static bs_energy_term *
trace_push (_bs_trace *tr)
{
  if (tr->n == tr->cap)
    {
      size_t cap = tr->cap ? 2 * tr->cap : 16;
      bs_energy_term *v = realloc (tr->v, cap * sizeof *v);
      if (!v)
        {
          tr->oom = true;
          return NULL;
        }
      tr->v = v;
      tr->cap = cap;
    }
  memset (&tr->v[tr->n], 0, sizeof tr->v[0]);
  return &tr->v[tr->n++];
}

void
_bs_trace_add (_bs_trace *tr, const char *what, double value, const char *unit,
               const _bs_src *src, const char *fmt, ...)
{
  bs_energy_term *term = trace_push (tr);
  va_list ap;

  if (!term)
    return;
  term->what = what;
  term->value = value;
  term->unit = unit;
  term->source = src->source;
  term->line = src->line;
  va_start (ap, fmt);
  vsnprintf (term->detail, sizeof term->detail, fmt, ap);
  va_end (ap);
}

void
_bs_trace_rule (_bs_trace *tr, const char *what, double value, const char *unit,
                const char *rule, const char *fmt, ...)
{
  bs_energy_term *term = trace_push (tr);
  va_list ap;

  if (!term)
    return;
  term->what = what;
  term->value = value;
  term->unit = unit;
  term->source = rule;
  term->line = 0;
  va_start (ap, fmt);
  vsnprintf (term->detail, sizeof term->detail, fmt, ap);
  va_end (ap);
}

void
_bs_trace_fallback (_bs_trace *tr, const char *rule)
{
  size_t used = strlen (tr->rules);

  if (!strstr (tr->rules, rule))
    snprintf (tr->rules + used, sizeof tr->rules - used, "%s%s", used ? "; " : "", rule);
  tr->fallback = true;
  _bs_trace_rule (tr, "fallback", 0, "", "bitscape model: fallback rule (see bs-energy.h)",
                  "%s", rule);
}

void
_bs_trace_free (_bs_trace *tr)
{
  free (tr->v);
  memset (tr, 0, sizeof *tr);
}

/* Operands -------------------------------------------------------------------------- */

typedef struct {
  int fam;             /* BS_CFAM_* */
  int bits;            /* total width */
  int e, m;            /* floats */
  int es;              /* posits, logs */
  int lo, hi;          /* values lie in [2^lo, 2^hi) */
  char label[48];
} operand;

/* The cost operand of an element format (block formats: their elements). */
static void
operand_of (const bs_format *f, operand *o)
{
  memset (o, 0, sizeof *o);
  o->bits = f->bits;
  o->lo = f->min_pos > 0 ? ilogb (f->min_pos) : 0;
  o->hi = f->max > 0 ? ilogb (f->max) + 1 : 1;
  switch (bs_format_family (f))
    {
    case BS_FAMILY_FLOAT:
      o->fam = BS_CFAM_FLOAT;
      o->e = f->p.fl.e;
      o->m = f->p.fl.m;
      break;
    case BS_FAMILY_MX:
    case BS_FAMILY_NVFP4:
      o->fam = f->p.mx.int_elem ? BS_CFAM_INT : BS_CFAM_FLOAT;
      o->e = f->p.mx.elem.e;
      o->m = f->p.mx.elem.m;
      break;
    case BS_FAMILY_FIXED:
      o->fam = BS_CFAM_INT;
      o->bits = f->p.fixed.q;
      o->lo = -(f->p.fixed.q - 1);
      o->hi = 1;
      break;
    case BS_FAMILY_INT:
      o->fam = BS_CFAM_INT;
      o->bits = f->p.integer.n;
      o->lo = 0;
      o->hi = f->p.integer.n;
      break;
    case BS_FAMILY_BINARY:
    case BS_FAMILY_TERNARY:
      o->fam = BS_CFAM_INT;
      o->bits = bs_format_family (f) == BS_FAMILY_BINARY ? 1 : 2;
      o->lo = 0;
      o->hi = 1;
      break;
    case BS_FAMILY_POSIT:
      o->fam = BS_CFAM_POSIT;
      o->bits = f->p.posit.n;
      o->es = f->p.posit.es;
      break;
    case BS_FAMILY_LOG:
      o->fam = BS_CFAM_LOG;
      o->bits = f->p.log.n;
      o->es = f->p.log.es;
      break;
    default: /* nf4, kmeans: replaced by the input format before costing */
      o->fam = BS_CFAM_INT;
      break;
    }
  if (o->bits < 1)
    o->bits = 1;
  if (o->fam == BS_CFAM_FLOAT)
    snprintf (o->label, sizeof o->label, "float e%dm%d", o->e, o->m);
  else if (o->fam == BS_CFAM_INT)
    snprintf (o->label, sizeof o->label, "int %d", o->bits);
  else
    snprintf (o->label, sizeof o->label, "%s %d es %d", family_names[o->fam], o->bits, o->es);
}

static bool
is_codebook (const bs_format *f)
{
  bs_family fam = bs_format_family (f);
  return fam == BS_FAMILY_KMEANS || fam == BS_FAMILY_NF4;
}

double
_bs_storage_bits (const bs_format *f)
{
  switch (bs_format_family (f))
    {
    case BS_FAMILY_MX:
      return f->bits + 8.0 / (f->block > 0 ? f->block : 32);    /* E8M0 scale per block */
    case BS_FAMILY_NVFP4:
      return f->bits + 8.0 / (f->block > 0 ? f->block : 16);    /* E4M3 scale per block */
    case BS_FAMILY_NF4:
      return f->bits + 32.0 / (f->block > 0 ? f->block : 64);   /* fp32 absmax per block */
    default:
      return f->bits;
    }
}

/* Table look-ups --------------------------------------------------------------------- */

typedef struct {
  double e, a;   /* energy (pJ), area (um2; < 0: unknown) */
} cost;

static double
poly (const double c[3], double x)
{
  return (c[2] * x + c[1]) * x + c[0];
}

static int
cmp_point_bits (const void *a, const void *b)
{
  const _bs_point *x = *(const _bs_point *const *) a, *y = *(const _bs_point *const *) b;
  return (x->bits > y->bits) - (x->bits < y->bits);
}

/* Linear interpolation in x through the points of (op, fam) (one point per width: the
 * first listed); outside, the nearest segment extended; a single width: proportional
 * to x (flagged).  Returns false if the family has no point for op. */
static bool
interpolate (const bs_target *t, int op, int fam, double x, cost *out, _bs_trace *tr,
             const char *what)
{
  const _bs_point *pts[64], *lo, *hi;
  size_t n = 0, j;

  for (size_t i = 0; i < t->n_points && n < 64; i++)
    if (t->points[i].op == op && t->points[i].family == fam)
      {
        bool seen = false;
        for (size_t k = 0; k < n; k++)
          seen = seen || pts[k]->bits == t->points[i].bits;
        if (!seen)
          pts[n++] = &t->points[i];
      }
  if (n == 0)
    return false;
  if (n == 1)
    {
      const _bs_point *p = pts[0];
      out->e = p->energy * x / p->bits;
      out->a = p->area >= 0 ? p->area * x / p->bits : -1;
      _bs_trace_add (tr, what, p->energy, "pJ", &p->src, "%s %d bits (the only width listed)",
                     family_names[fam], p->bits);
      _bs_trace_fallback (tr, "a single listed width scaled in proportion to bits");
      return true;
    }
  qsort (pts, n, sizeof pts[0], cmp_point_bits);
  for (j = 0; j < n && pts[j]->bits < x; j++)
    ;
  if (j == 0)
    j = 1;
  else if (j == n)
    j = n - 1;
  lo = pts[j - 1];
  hi = pts[j];
  {
    double f = (x - lo->bits) / (double) (hi->bits - lo->bits);
    out->e = lo->energy + f * (hi->energy - lo->energy);
    out->a = lo->area >= 0 && hi->area >= 0 ? lo->area + f * (hi->area - lo->area) : -1;
  }
  _bs_trace_add (tr, what, lo->energy, "pJ", &lo->src, "%s %d bits (interpolation point)",
                 family_names[fam], lo->bits);
  _bs_trace_add (tr, what, hi->energy, "pJ", &hi->src, "%s %d bits (interpolation point)",
                 family_names[fam], hi->bits);
  _bs_trace_rule (tr, "rule", out->e, "pJ",
                  "bitscape model: linear in bits between listed widths, nearest segment "
                  "extended outside",
                  "%s %s at %.4g bits", family_names[fam], what, x);
  if (out->e < 0)
    {
      out->e = 0;
      _bs_trace_fallback (tr, "negative extrapolation clamped to 0");
    }
  if (out->a < 0 && lo->area >= 0 && hi->area >= 0)
    out->a = 0;
  return true;
}

/* Cost of op in family fam: exact point (width; floats also e, m) when exact is set,
 * else the family's fit at (x_bits or x_sig), else interpolation in x_bits.  Returns
 * false if the target lists nothing for (op, fam). */
static bool
table_cost (const bs_target *t, int op, int fam, bool exact, int bits, int e, int m,
            double x_bits, double x_sig, cost *out, _bs_trace *tr)
{
  const char *what = op == BS_OP_MUL ? "multiplier" : "adder";

  if (exact)
    for (size_t i = 0; i < t->n_points; i++)
      {
        const _bs_point *p = &t->points[i];
        if (p->op == op && p->family == fam && p->bits == bits
            && (fam != BS_CFAM_FLOAT || (p->e == e && p->m == m)))
          {
            out->e = p->energy;
            out->a = p->area;
            if (fam == BS_CFAM_FLOAT)
              _bs_trace_add (tr, what, p->energy, "pJ", &p->src, "float e%dm%d", e, m);
            else
              _bs_trace_add (tr, what, p->energy, "pJ", &p->src, "%s %d bits",
                             family_names[fam], bits);
            return true;
          }
      }
  for (size_t i = 0; i < t->n_fits; i++)
    {
      const _bs_fit *f = &t->fits[i];
      double x;
      if (f->op != op || f->family != fam)
        continue;
      x = f->var == BS_VAR_SIGNIFICAND ? x_sig : x_bits;
      out->e = poly (f->ec, x);
      out->a = f->has_area ? poly (f->ac, x) : -1;
      _bs_trace_add (tr, "fit", out->e, "pJ", &f->src, "%s %s: %.10g x^2 + %.10g x + %.10g at "
                     "%s = %.6g", family_names[fam], what, f->ec[2], f->ec[1], f->ec[0],
                     f->var == BS_VAR_SIGNIFICAND ? "significand" : "bits", x);
      if (out->e < 0)
        {
          out->e = 0;
          _bs_trace_fallback (tr, "negative fit value clamped to 0");
        }
      if (f->has_area && out->a < 0)
        out->a = 0;
      return true;
    }
  return interpolate (t, op, fam, x_bits, out, tr, what);
}

static bool
family_listed (const bs_target *t, int op, int fam)
{
  for (size_t i = 0; i < t->n_points; i++)
    if (t->points[i].op == op && t->points[i].family == fam)
      return true;
  for (size_t i = 0; i < t->n_fits; i++)
    if (t->fits[i].op == op && t->fits[i].family == fam)
      return true;
  return false;
}

static const _bs_derive *
derive_of (const bs_target *t, int fam)
{
  for (size_t i = 0; i < t->n_derives; i++)
    if (t->derives[i].family == fam)
      return &t->derives[i];
  return NULL;
}

/* The operand a posit or log of width n, es is costed as in family `to`. */
static void
convert_operand (const operand *o, int to, operand *out)
{
  *out = *o;
  out->fam = to;
  if (to == BS_CFAM_FLOAT)
    {
      /* most fraction bits a posit/log of this width carries, plus the hidden bit */
      int s = o->bits - o->es - 2;
      out->m = s > 1 ? s - 1 : 0;
      out->e = o->es + 2;
    }
  snprintf (out->label, sizeof out->label, "%s %d", family_names[to], o->bits);
}

/* Multiplier of two operands of the same cost family (after conversion). */
static void
multiplier_cost (const bs_target *t, const operand *a, const operand *b, cost *out,
                 _bs_trace *tr)
{
  int fam = a->fam;
  double xb = sqrt ((double) a->bits * b->bits);
  double xs = sqrt ((double) (a->m + 1) * (b->m + 1));
  bool same = a->bits == b->bits && (fam != BS_CFAM_FLOAT || (a->e == b->e && a->m == b->m));

  if (fam != BS_CFAM_INT && !family_listed (t, BS_OP_MUL, fam))
    {
      const _bs_derive *d = derive_of (t, fam);
      if (d && family_listed (t, BS_OP_MUL, d->from))
        {
          operand ca, cb;
          convert_operand (a, d->from, &ca);
          convert_operand (b, d->from, &cb);
          _bs_trace_add (tr, "derive", d->efactor, "x", &d->src, "%s costed as %s, energy x %g, "
                         "area x %g", family_names[fam], family_names[d->from], d->efactor,
                         d->afactor);
          _bs_trace_rule (tr, "rule", ca.m + 1, "bits",
                          "bitscape model: a posit/log of width N, es ES is a float of "
                          "significand N - ES - 2",
                          "%s -> %s", a->label, ca.label);
          multiplier_cost (t, &ca, &cb, out, tr);
          out->e *= d->efactor;
          if (out->a >= 0)
            out->a *= d->afactor;
          return;
        }
      /* fallback: the integer multiplier of the same total width */
      {
        char rule[160];
        operand ia = *a, ib = *b;
        ia.fam = ib.fam = BS_CFAM_INT;
        snprintf (rule, sizeof rule, "%s multiplier not listed: costed as the int multiplier "
                  "of the same width", family_names[fam]);
        _bs_trace_fallback (tr, rule);
        multiplier_cost (t, &ia, &ib, out, tr);
        return;
      }
    }
  if (same)
    {
      if (table_cost (t, BS_OP_MUL, fam, true, a->bits, a->e, a->m, xb, xs, out, tr))
        return;
    }
  else
    {
      _bs_trace_rule (tr, "rule", fam == BS_CFAM_FLOAT ? xs : xb,
                      fam == BS_CFAM_FLOAT ? "significand bits" : "bits",
                      "bitscape model: mixed widths a, b costed at sqrt(a b) (QKeras QTools "
                      "FixedPointMultiplier gate_bits)",
                      "%s x %s", a->label, b->label);
      if (table_cost (t, BS_OP_MUL, fam, false, 0, 0, 0, xb, xs, out, tr))
        return;
    }
  /* only reachable for int on a target without int multipliers (datapath targets
   * never come here; the loader requires int multipliers otherwise) */
  out->e = 0;
  out->a = -1;
  _bs_trace_fallback (tr, "no multiplier entries at all");
}

/* Accumulators ------------------------------------------------------------------------- */

static int
ceil_log2 (uint64_t k)
{
  int c = 0;
  while (c < 63 && ((uint64_t) 1 << c) < k)
    c++;
  return c;
}

/* Width of the accumulator acc for products of w and i (formats f_w, f_i as given,
 * the operands as costed); -1 with err if acc does not apply. */
static int
acc_width (bs_acc acc, const bs_format *fw, const bs_format *fi, const operand *w,
           const operand *in, uint64_t k, _bs_trace *tr, char *err, size_t errlen)
{
  int carry = ceil_log2 (k ? k : 1), width;
  bs_family famw = bs_format_family (fw), fami = bs_format_family (fi);

  switch (acc)
    {
    case BS_ACC_INT32:
      if (w->fam != BS_CFAM_INT || in->fam != BS_CFAM_INT)
        {
          snprintf (err, errlen, "int32 accumulation needs integer formats, not %s x %s",
                    fw->name, fi->name);
          return -1;
        }
      return 32;
    case BS_ACC_FP32:
      return 32;
    case BS_ACC_FP16:
      return 16;
    case BS_ACC_QUIRE:
      if (famw != BS_FAMILY_POSIT || fami != BS_FAMILY_POSIT)
        {
          snprintf (err, errlen, "the quire accumulates posits, not %s x %s", fw->name, fi->name);
          return -1;
        }
      width = 16 * (w->bits > in->bits ? w->bits : in->bits);
      _bs_trace_rule (tr, "rule", width, "bits",
                      "bitscape model: posit quire of 16 n bits (posit standard 2022)",
                      "quire of posit%d", w->bits > in->bits ? w->bits : in->bits);
      return width;
    case BS_ACC_ELMA:
      if (famw != BS_FAMILY_LOG || fami != BS_FAMILY_LOG)
        {
          snprintf (err, errlen, "ELMA accumulates log formats, not %s x %s", fw->name, fi->name);
          return -1;
        }
      if (fw->p.log.n == fi->p.log.n && fw->p.log.n == 8 && fw->p.log.tapered)
        {
          _bs_trace_rule (tr, "rule", 38, "bits",
                          "Johnson 2018: log8 ELMA uses a 38-bit Kulisch accumulator "
                          "(1 sign + 13 integer + 24 fraction)", "ELMA of log8");
          return 38;
        }
      if (fw->p.log.n == fi->p.log.n && fw->p.log.n == 16 && !fw->p.log.tapered)
        {
          _bs_trace_rule (tr, "rule", 49, "bits",
                          "Johnson 2018: the 16-bit ELMA uses a 49-bit Kulisch accumulator",
                          "ELMA of log16");
          return 49;
        }
      /* other log formats: the Kulisch rule below */
      /* fall through */
    case BS_ACC_KULISCH:
    default:
      width = (w->hi + in->hi) - (w->lo + in->lo) + carry + 1;
      _bs_trace_rule (tr, "rule", width, "bits",
                      "bitscape model: Kulisch width (hi_w + hi_i) - (lo_w + lo_i) + "
                      "ceil(log2 K) + 1",
                      "%s x %s: values in [2^%d, 2^%d) x [2^%d, 2^%d), K = %llu", w->label,
                      in->label, w->lo, w->hi, in->lo, in->hi, (unsigned long long) k);
      return width;
    }
}

/* The adder an accumulator of class acc and width costs. */
static void
adder_cost (const bs_target *t, bs_acc acc, int width, cost *out, _bs_trace *tr)
{
  if (acc == BS_ACC_FP32 || acc == BS_ACC_FP16)
    {
      int e = acc == BS_ACC_FP32 ? 8 : 5, m = acc == BS_ACC_FP32 ? 23 : 10;
      if (table_cost (t, BS_OP_ADD, BS_CFAM_FLOAT, true, width, e, m, width, m + 1, out, tr))
        return;
      _bs_trace_fallback (tr, "float adder not listed: the accumulator is costed as an int adder "
                          "of the same width");
    }
  if (!table_cost (t, BS_OP_ADD, BS_CFAM_INT, true, width, 0, 0, width, width, out, tr))
    {
      out->e = 0;
      out->a = -1;
    }
}

/* MACs ----------------------------------------------------------------------------- */

static const _bs_mac *
find_mac (const bs_target *t, const operand *w, const operand *in, bs_acc acc)
{
  for (size_t i = 0; i < t->n_macs; i++)
    {
      const _bs_mac *m = &t->macs[i];
      if (m->wfam == w->fam && m->wbits == w->bits && m->ifam == in->fam && m->ibits == in->bits
          && (m->wfam != BS_CFAM_FLOAT || m->we == w->e)
          && (m->ifam != BS_CFAM_FLOAT || m->ie == in->e)
          && (m->acc < 0 || m->acc == (int) acc))
        return m;
    }
  return NULL;
}

static void
trace_mac (const bs_target *t, const _bs_mac *m, _bs_trace *tr)
{
  if (m->rel >= 0)
    {
      const _bs_mac *b = &t->macs[m->rel];
      _bs_trace_add (tr, "mac", b->energy, "pJ", &b->src, "%s %d x %s %d (base of a ratio)",
                     family_names[b->wfam], b->wbits, family_names[b->ifam], b->ibits);
      _bs_trace_add (tr, "mac", m->eratio, "x", &m->src, "energy ratio to the base; area ratio %g",
                     m->aratio);
    }
  else
    _bs_trace_add (tr, "mac", m->energy, "pJ", &m->src, "%s %d x %s %d",
                   family_names[m->wfam], m->wbits, family_names[m->ifam], m->ibits);
}

static int
rank (int fam)
{
  return fam == BS_CFAM_FLOAT ? 3 : fam == BS_CFAM_POSIT ? 2 : fam == BS_CFAM_LOG ? 1 : 0;
}

/* Precision-scalable datapath (Moons). */
static void
datapath_cost (const bs_target *t, operand w, operand in, bs_acc acc, int width,
               bs_energy_mac *mac, _bs_trace *tr)
{
  const _bs_datapath *dp = &t->datapath;
  const _bs_mac *anchor = &t->macs[dp->anchor];
  int q, passes;
  double scale;

  if (w.fam != BS_CFAM_INT || in.fam != BS_CFAM_INT)
    _bs_trace_fallback (tr, "non-integer operands on an integer datapath: costed as integers "
                        "of the same width");
  q = w.bits < dp->native_bits ? w.bits : dp->native_bits;
  if (q < 1)
    q = 1;
  passes = ((in.bits + q - 1) / q) * ((w.bits + dp->native_bits - 1) / dp->native_bits);
  scale = pow ((double) q / dp->native_bits, dp->exponent);
  mac->passes = passes;
  mac->energy_pj = passes * anchor->energy * scale;
  mac->area_um2 = anchor->area >= 0 ? anchor->area : NAN;
  _bs_trace_add (tr, "mac", anchor->energy, "pJ", &anchor->src, "E_MAC(%d), the datapath anchor",
                 dp->native_bits);
  _bs_trace_add (tr, "datapath", dp->exponent, "", &dp->src,
                 "E_MAC(Q) = E_MAC(%d) (Q/%d)^%g at Q = %d: x %.6g; %d-bit inputs take "
                 "ceil(%d/%d) = %d pass(es)", dp->native_bits, dp->native_bits, dp->exponent, q,
                 scale, in.bits, in.bits, q, passes);
  if (acc == BS_ACC_FP32 || acc == BS_ACC_FP16)
    _bs_trace_fallback (tr, "float accumulator on an integer datapath: costed as an integer "
                        "accumulator of the same width");
  if (width > dp->acc_bits)
    {
      cost wide, native;
      adder_cost (t, BS_ACC_KULISCH, width, &wide, tr);
      adder_cost (t, BS_ACC_KULISCH, dp->acc_bits, &native, tr);
      mac->energy_pj += passes * (wide.e - native.e);
      if (isfinite (mac->area_um2) && wide.a >= 0 && native.a >= 0)
        mac->area_um2 += wide.a - native.a;
      _bs_trace_rule (tr, "rule", passes * (wide.e - native.e), "pJ",
                      "bitscape model: an accumulator wider than the datapath's adds the "
                      "difference of the two adders per pass",
                      "%d-bit accumulator over the %d-bit datapath accumulator", width,
                      dp->acc_bits);
    }
}

/* FPGA resources of one MAC unit. */
static void
fpga_cost (const bs_target *t, operand w, operand in, int width, bs_energy_mac *mac,
           _bs_trace *tr)
{
  const _bs_mac *entry = find_mac (t, &w, &in, mac->acc);
  int held;
  int wb = w.bits, ib = in.bits;

  if (entry)
    {
      trace_mac (t, entry, tr);
      mac->luts = entry->luts;
      mac->ffs = entry->ffs;
      mac->dsps = entry->dsps;
      held = entry->acc_bits;
    }
  else
    {
      if (w.fam != BS_CFAM_INT || in.fam != BS_CFAM_INT)
        {
          _bs_trace_fallback (tr, "non-integer MAC on an FPGA: costed as an integer MAC of the "
                              "significand (floats) or width; exponent logic not counted");
          if (w.fam == BS_CFAM_FLOAT)
            wb = w.m + 1;
          if (in.fam == BS_CFAM_FLOAT)
            ib = in.m + 1;
        }
      if (t->soft_max_sum > 0 && wb + ib <= t->soft_max_sum)
        {
          int s = wb + ib;
          mac->luts = t->soft_overhead * ((2 * ((s + 5) / 6) - 1) * s + 2 * s);
          held = 0;
          _bs_trace_add (tr, "fpga", mac->luts, "LUT", &t->soft_src,
                         "LUT-only MAC, W + A = %d: %g x ((2 ceil(%d/6) - 1) %d + 2 x %d)", s,
                         t->soft_overhead, s, s, s);
        }
      else
        {
          int wide = wb > ib ? wb : ib, narrow = wb > ib ? ib : wb;
          mac->dsps = (double) ((wide + t->tile_a - 1) / t->tile_a)
                      * ((narrow + t->tile_b - 1) / t->tile_b);
          held = t->tile_acc;
          _bs_trace_add (tr, "fpga", mac->dsps, "DSP", &t->tile_src,
                         "%d x %d product on %dx%d DSPs: ceil(%d/%d) ceil(%d/%d)", wide, narrow,
                         t->tile_a, t->tile_b, wide, t->tile_a, narrow, t->tile_b);
        }
    }
  if (width > held)
    {
      mac->luts += width - held;
      mac->ffs += width - held;
      _bs_trace_rule (tr, "rule", width - held, "LUT+FF",
                      "bitscape model: accumulator bits beyond what the MAC type holds cost one "
                      "LUT and one FF each (FINN acc_luts = accumulator bits)",
                      "%d-bit accumulator, %d held", width, held);
    }
  mac->energy_pj = mac->luts * t->lut_e + mac->ffs * t->ff_e + mac->dsps * t->dsp_e;
  _bs_trace_add (tr, "fpga", mac->energy_pj, "pJ", &t->res_src,
                 "%g LUT x %g + %g FF x %g + %g DSP x %g pJ", mac->luts, t->lut_e, mac->ffs,
                 t->ff_e, mac->dsps, t->dsp_e);
  mac->area_um2 = NAN;
}

int
_bs_mac_cost (const bs_target *t, const bs_format *wf, const bs_format *inf, bs_acc acc_req,
              uint64_t k, bool codebook, bs_energy_mac *mac, _bs_trace *tr, char *err,
              size_t errlen)
{
  operand w, in;
  const bs_format *wf_acc = wf;
  bs_acc acc = acc_req == BS_ACC_EXACT ? bs_format_exact_acc (wf) : acc_req;
  int width;

  memset (mac, 0, sizeof *mac);
  mac->passes = 1;
  mac->area_um2 = NAN;
  operand_of (inf, &in);
  if (codebook || is_codebook (wf))
    {
      /* centroids are held in the input format */
      w = in;
      wf_acc = inf;
      if (acc_req == BS_ACC_EXACT)
        acc = bs_format_exact_acc (inf);
      _bs_trace_rule (tr, "rule", in.bits, "bits",
                      "bitscape model: codebook weights (k-means, nf4) are centroids held in "
                      "the input format",
                      "%s weights multiply as %s", wf->name, inf->name);
    }
  else
    operand_of (wf, &w);
  mac->acc = acc;

  width = acc_width (acc, wf_acc, inf, &w, &in, k, tr, err, errlen);
  if (width < 0)
    return -1;
  mac->acc_bits = width;

  if (t->kind == BS_TARGET_FPGA)
    {
      fpga_cost (t, w, in, width, mac, tr);
      return 0;
    }

  /* 1. a whole-MAC entry */
  {
    const _bs_mac *m = find_mac (t, &w, &in, acc);
    if (m && !(t->datapath.present && m == &t->macs[t->datapath.anchor]))
      {
        trace_mac (t, m, tr);
        mac->energy_pj = m->energy;
        mac->area_um2 = m->area >= 0 ? m->area : NAN;
        return 0;
      }
  }
  /* 2. a precision-scalable datapath */
  if (t->datapath.present)
    {
      datapath_cost (t, w, in, acc, width, mac, tr);
      return 0;
    }
  /* 3. multiplier + accumulator adder */
  {
    cost mul, add;
    if (w.fam != in.fam)
      {
        char rule[256];
        operand *rich = rank (w.fam) > rank (in.fam) ? &w : &in;
        operand *poor = rich == &w ? &in : &w;
        snprintf (rule, sizeof rule, "mixed families %s x %s: costed as %s x %s", w.label,
                  in.label, rich->label, rich->label);
        _bs_trace_fallback (tr, rule);
        *poor = *rich;
      }
    multiplier_cost (t, &w, &in, &mul, tr);
    adder_cost (t, acc, width, &add, tr);
    mac->energy_pj = mul.e + add.e;
    mac->area_um2 = mul.a >= 0 && add.a >= 0 ? mul.a + add.a : NAN;
  }
  return 0;
}

static int
parse (const char *name, const char *what, bs_format *f, char *err, size_t errlen)
{
  char why[200];

  if (!name || bs_format_parse (name, f, why, sizeof why) < 0)
    {
      snprintf (err, errlen, "%s format: %s", what, name ? why : "missing");
      return -1;
    }
  return 0;
}

int
bs_energy_mac_cost (const bs_target *t, const char *weight_format, const char *input_format,
                    const char *accumulator, uint64_t terms_per_output, bool codebook,
                    bs_energy_mac *mac, char *err, size_t errlen)
{
  bs_format wf, inf;
  bs_acc acc = BS_ACC_EXACT;
  _bs_trace tr = { 0 };
  char dummy[8];

  if (!err)
    {
      err = dummy;
      errlen = sizeof dummy;
    }
  memset (mac, 0, sizeof *mac);
  if (parse (weight_format, "weight", &wf, err, errlen) < 0
      || parse (input_format, "input", &inf, err, errlen) < 0)
    return -1;
  if (accumulator && bs_acc_parse (accumulator, &acc) < 0)
    {
      snprintf (err, errlen, "unknown accumulator '%s'", accumulator);
      return -1;
    }
  if (_bs_mac_cost (t, &wf, &inf, acc, terms_per_output, codebook, mac, &tr, err, errlen) < 0
      || tr.oom)
    {
      if (tr.oom)
        snprintf (err, errlen, "out of memory");
      _bs_trace_free (&tr);
      return -1;
    }
  mac->fallback = tr.fallback;
  snprintf (mac->fallback_rules, sizeof mac->fallback_rules, "%s", tr.rules);
  mac->terms = tr.v;
  mac->n_terms = tr.n;
  return 0;
}

void
bs_energy_mac_clear (bs_energy_mac *mac)
{
  free (mac->terms);
  memset (mac, 0, sizeof *mac);
}

/* Memory ------------------------------------------------------------------------------ */

double
_bs_sram_energy (const bs_target *t, size_t bytes, _bs_trace *tr, const char *what)
{
  const _bs_sram *lo, *hi;
  double e;

  if (t->n_srams == 1)
    {
      _bs_trace_add (tr, "sram", t->srams[0].e, "pJ/bit", &t->srams[0].src,
                     "%s: %zu-byte SRAM (the one size listed applies at every size)", what,
                     t->srams[0].bytes);
      return t->srams[0].e;
    }
  for (size_t i = 0; i < t->n_srams; i++)
    if (t->srams[i].bytes == bytes)
      {
        _bs_trace_add (tr, "sram", t->srams[i].e, "pJ/bit", &t->srams[i].src, "%s: %zu-byte SRAM",
                       what, bytes);
        return t->srams[i].e;
      }
  /* the pair bracketing the size, or the nearest pair */
  {
    size_t j = 1;
    while (j + 1 < t->n_srams && t->srams[j].bytes < bytes)
      j++;
    lo = &t->srams[j - 1];
    hi = &t->srams[j];
  }
  {
    double p = log (hi->e / lo->e) / log ((double) hi->bytes / lo->bytes);
    e = lo->e * pow ((double) bytes / lo->bytes, p);
    _bs_trace_add (tr, "sram", lo->e, "pJ/bit", &lo->src, "%zu-byte SRAM (interpolation point)",
                   lo->bytes);
    _bs_trace_add (tr, "sram", hi->e, "pJ/bit", &hi->src, "%zu-byte SRAM (interpolation point)",
                   hi->bytes);
    _bs_trace_rule (tr, "rule", e, "pJ/bit",
                    "bitscape model: SRAM energy per bit follows the power law through the two "
                    "nearest listed sizes",
                    "%s: %zu-byte SRAM, exponent %.4f", what, bytes, p);
  }
  return e;
}
