/* target.c — loading, validating, finding and listing target files. */
#include "config.h"

#include "bs-energy-private.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

/* bs-target-xsd.c, generated from targets/bitscape-target.xsd */
extern const char _bs_target_xsd[];
extern const size_t _bs_target_xsd_len;

/* Errors --------------------------------------------------------------------- */

void *
_bs_target_fail (char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  size_t n;

  if (!err || !errlen)
    return NULL;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  n = strlen (msg);
  while (n > 0 && msg[n - 1] == ' ')
    msg[--n] = '\0';
  snprintf (err, errlen, "%s:%d: %s", path, line, msg);
  return NULL;
}

/* The schema, compiled once ---------------------------------------------------- */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;      /* written once under schema_once, then read-only */

static void
ignore_error (void *data, xmlErrorPtr e)
{
}

static void
schema_init (void)
{
  xmlSchemaParserCtxtPtr pc;

  xmlInitParser ();
  pc = xmlSchemaNewMemParserCtxt (_bs_target_xsd, (int) _bs_target_xsd_len);
  if (!pc)
    return;
  xmlSchemaSetParserStructuredErrors (pc, ignore_error, NULL);
  schema = xmlSchemaParse (pc);
  xmlSchemaFreeParserCtxt (pc);
}

const char *
bs_target_schema (void)
{
  return _bs_target_xsd;
}

typedef struct {
  bool set;
  int line;
  char msg[400];
} first_error;

static void
keep_first_error (void *data, xmlErrorPtr e)
{
  first_error *fe = data;

  if (fe->set || !e)
    return;
  fe->set = true;
  fe->line = e->line;
  snprintf (fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "invalid");
}

/* Reading attributes --------------------------------------------------------- */

typedef struct {
  bs_target *t;
  const char *path;
  locale_t c_locale;
  char *err;
  size_t errlen;
  bool failed;
} loader;

static char *
keep_string (loader *ld, const char *s)
{
  char *copy = strdup (s ? s : "");
  char **grown;

  if (!copy)
    return NULL;
  grown = realloc (ld->t->strings, (ld->t->n_strings + 1) * sizeof *grown);
  if (!grown)
    {
      free (copy);
      return NULL;
    }
  ld->t->strings = grown;
  grown[ld->t->n_strings++] = copy;
  return copy;
}

/* Record the first semantic error, at a line of the file. */
static void
bad_at (loader *ld, int line, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
bad_at (loader *ld, int line, const char *fmt, ...)
{
  char msg[400];
  va_list ap;

  if (ld->failed)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  ld->failed = true;
  _bs_target_fail (ld->err, ld->errlen, ld->path, line, "%s", msg);
}

#define bad(ld, node, ...) bad_at ((ld), (node) ? (int) xmlGetLineNo (node) : 0, __VA_ARGS__)

static bool
has_attr (xmlNodePtr node, const char *name)
{
  return xmlHasProp (node, (const xmlChar *) name) != NULL;
}

/* Attribute as a kept string (NULL if absent). */
static const char *
attr_str (loader *ld, xmlNodePtr node, const char *name)
{
  xmlChar *v = xmlGetProp (node, (const xmlChar *) name);
  const char *kept;

  if (!v)
    return NULL;
  kept = keep_string (ld, (const char *) v);
  xmlFree (v);
  if (!kept)
    bad (ld, node, "out of memory");
  return kept;
}

/* Attribute as a double, parsed in the C locale whatever the process locale (the
 * schema already restricted it to a decimal).  dflt when absent. */
static double
attr_num (loader *ld, xmlNodePtr node, const char *name, double dflt)
{
  xmlChar *v = xmlGetProp (node, (const xmlChar *) name);
  char *end = NULL;
  double d;

  if (!v)
    return dflt;
  errno = 0;
  d = strtod_l ((const char *) v, &end, ld->c_locale);
  while (end && (*end == ' ' || *end == '\t' || *end == '\n'))
    end++;
  if (!end || end == (char *) v || *end || errno == ERANGE)
    bad (ld, node, "attribute '%s': '%s' is not a number", name, (const char *) v);
  xmlFree (v);
  return d;
}

static bool
attr_is (xmlNodePtr node, const char *name, const char *value)
{
  xmlChar *v = xmlGetProp (node, (const xmlChar *) name);
  bool eq = v && strcmp ((const char *) v, value) == 0;

  xmlFree (v);
  return eq;
}

static _bs_src
source_of (loader *ld, xmlNodePtr node)
{
  _bs_src s = { attr_str (ld, node, "source"), (int) xmlGetLineNo (node) };

  if (!s.source)
    s.source = "";
  return s;
}

static bool
named (xmlNodePtr node, const char *name)
{
  return node->type == XML_ELEMENT_NODE && strcmp ((const char *) node->name, name) == 0;
}

static int
family_of (xmlNodePtr node, const char *attr)
{
  static const char *const names[BS_N_CFAMS] = { "int", "float", "posit", "log" };
  xmlChar *v = xmlGetProp (node, (const xmlChar *) attr);
  int fam = -1;

  for (int i = 0; v && i < BS_N_CFAMS; i++)
    if (strcmp ((const char *) v, names[i]) == 0)
      fam = i;
  xmlFree (v);
  return fam;
}

static void *
grow (void *p, size_t *n, size_t size)
{
  void *q = realloc (p, (*n + 1) * size);

  if (q)
    {
      memset ((char *) q + *n * size, 0, size);
      (*n)++;
    }
  return q;
}

#define APPEND(ld, arr, n, node)                                                  \
  do                                                                              \
    {                                                                             \
      void *grown_ = grow ((arr), &(n), sizeof *(arr));                           \
      if (!grown_)                                                                \
        {                                                                         \
          bad ((ld), (node), "out of memory");                                    \
          return;                                                                 \
        }                                                                         \
      (arr) = grown_;                                                             \
    }                                                                             \
  while (0)

/* Sections -------------------------------------------------------------------- */

static void
read_point (loader *ld, xmlNodePtr node, int op)
{
  bs_target *t = ld->t;
  _bs_point *p;
  bool has_e = has_attr (node, "exponent"), has_m = has_attr (node, "mantissa");

  APPEND (ld, t->points, t->n_points, node);
  p = &t->points[t->n_points - 1];
  p->op = op;
  p->family = family_of (node, "family");
  p->bits = (int) attr_num (ld, node, "bits", 0);
  p->e = (int) attr_num (ld, node, "exponent", 0);
  p->m = (int) attr_num (ld, node, "mantissa", 0);
  p->energy = attr_num (ld, node, "energy-pj", 0);
  p->area = attr_num (ld, node, "area-um2", -1);
  p->src = source_of (ld, node);
  if (p->family == BS_CFAM_FLOAT)
    {
      if (!has_e || !has_m)
        bad (ld, node, "a float %s needs 'exponent' and 'mantissa'", (const char *) node->name);
      else if (1 + p->e + p->m != p->bits)
        bad (ld, node, "1 + exponent + mantissa (%d) differs from bits (%d)",
             1 + p->e + p->m, p->bits);
    }
  else if (has_e || has_m)
    bad (ld, node, "'exponent' and 'mantissa' apply to the float family only");
  for (size_t i = 0; i + 1 < t->n_points; i++)
    {
      const _bs_point *q = &t->points[i];
      if (q->op == p->op && q->family == p->family && q->bits == p->bits && q->e == p->e
          && q->m == p->m)
        bad (ld, node, "duplicate %s entry (also at line %d)", (const char *) node->name,
             q->src.line);
    }
}

static void
read_fit (loader *ld, xmlNodePtr node)
{
  bs_target *t = ld->t;
  _bs_fit *f;
  static const char *const coef[3] = { "c0", "c1", "c2" };
  int n_area = 0;

  APPEND (ld, t->fits, t->n_fits, node);
  f = &t->fits[t->n_fits - 1];
  f->op = attr_is (node, "op", "adder") ? BS_OP_ADD : BS_OP_MUL;
  f->family = family_of (node, "family");
  f->var = attr_is (node, "variable", "significand") ? BS_VAR_SIGNIFICAND : BS_VAR_BITS;
  for (int i = 0; i < 3; i++)
    {
      char name[16];
      snprintf (name, sizeof name, "energy-%s", coef[i]);
      f->ec[i] = attr_num (ld, node, name, 0);
      snprintf (name, sizeof name, "area-%s", coef[i]);
      if (has_attr (node, name))
        n_area++;
      f->ac[i] = attr_num (ld, node, name, 0);
    }
  f->has_area = n_area == 3;
  f->src = source_of (ld, node);
  if (n_area != 0 && n_area != 3)
    bad (ld, node, "give all of area-c2, area-c1, area-c0 or none");
  if (f->var == BS_VAR_SIGNIFICAND && f->family != BS_CFAM_FLOAT)
    bad (ld, node, "variable 'significand' applies to the float family only");
  for (size_t i = 0; i + 1 < t->n_fits; i++)
    if (t->fits[i].op == f->op && t->fits[i].family == f->family)
      bad (ld, node, "duplicate fit (also at line %d)", t->fits[i].src.line);
}

static void
read_mac (loader *ld, xmlNodePtr node)
{
  bs_target *t = ld->t;
  _bs_mac *m;
  const char *acc;
  bs_acc a;

  APPEND (ld, t->macs, t->n_macs, node);
  m = &t->macs[t->n_macs - 1];
  m->id = (char *) attr_str (ld, node, "id");
  m->wfam = family_of (node, "weight-family");
  m->ifam = family_of (node, "input-family");
  m->wbits = (int) attr_num (ld, node, "weight-bits", 0);
  m->ibits = (int) attr_num (ld, node, "input-bits", 0);
  m->we = (int) attr_num (ld, node, "weight-exponent", 0);
  m->ie = (int) attr_num (ld, node, "input-exponent", 0);
  acc = attr_str (ld, node, "accumulator");
  m->acc = acc && bs_acc_parse (acc, &a) == 0 ? (int) a : -1;
  m->acc_bits = (int) attr_num (ld, node, "accumulator-bits", 0);
  m->energy = attr_num (ld, node, "energy-pj", -1);
  m->area = attr_num (ld, node, "area-um2", -1);
  m->eratio = attr_num (ld, node, "energy-ratio", -1);
  m->aratio = attr_num (ld, node, "area-ratio", -1);
  m->rel_id = attr_str (ld, node, "relative-to");
  m->rel = m->rel_id ? -2 : -1; /* resolved once every mac is read */
  m->fpga = has_attr (node, "luts") || has_attr (node, "ffs") || has_attr (node, "dsps");
  m->luts = attr_num (ld, node, "luts", 0);
  m->ffs = attr_num (ld, node, "ffs", 0);
  m->dsps = attr_num (ld, node, "dsps", 0);
  m->src = source_of (ld, node);

  if ((m->wfam == BS_CFAM_FLOAT) != (m->we > 0) || (m->ifam == BS_CFAM_FLOAT) != (m->ie > 0))
    bad (ld, node, "float operands of a mac need weight-exponent/input-exponent (and only they)");
  else if (m->rel == -2)
    {
      if (m->energy >= 0 || m->area >= 0)
        bad (ld, node, "a mac gives either energy-pj/area-um2 or relative-to with ratios");
      else if (m->eratio < 0)
        bad (ld, node, "a relative mac needs 'energy-ratio'");
    }
  else if (m->eratio >= 0 || m->aratio >= 0)
    bad (ld, node, "'energy-ratio' and 'area-ratio' need 'relative-to'");
  else if (t->kind == BS_TARGET_ASIC && m->energy < 0)
    bad (ld, node, "an ASIC mac needs 'energy-pj' (or relative-to with ratios)");
  else if (t->kind == BS_TARGET_FPGA && !m->fpga)
    bad (ld, node, "an FPGA mac needs 'luts', 'ffs' or 'dsps'");
}

static void
read_derive (loader *ld, xmlNodePtr node)
{
  bs_target *t = ld->t;
  _bs_derive *d;

  APPEND (ld, t->derives, t->n_derives, node);
  d = &t->derives[t->n_derives - 1];
  d->family = family_of (node, "family");
  d->from = family_of (node, "from");
  d->efactor = attr_num (ld, node, "energy-factor", 1);
  d->afactor = attr_num (ld, node, "area-factor", 1);
  d->src = source_of (ld, node);
  if (d->family == d->from)
    bad (ld, node, "a family cannot be derived from itself");
  for (size_t i = 0; i + 1 < t->n_derives; i++)
    if (t->derives[i].family == d->family)
      bad (ld, node, "duplicate derive (also at line %d)", t->derives[i].src.line);
}

static int
mac_by_id (const bs_target *t, const char *id)
{
  for (size_t i = 0; id && i < t->n_macs; i++)
    if (t->macs[i].id && strcmp (t->macs[i].id, id) == 0)
      return (int) i;
  return -1;
}

static void
read_compute (loader *ld, xmlNodePtr compute)
{
  bs_target *t = ld->t;
  xmlNodePtr dp_node = NULL, node;

  for (node = compute->children; node && !ld->failed; node = node->next)
    if (named (node, "multiplier"))
      read_point (ld, node, BS_OP_MUL);
    else if (named (node, "adder"))
      read_point (ld, node, BS_OP_ADD);
    else if (named (node, "fit"))
      read_fit (ld, node);
    else if (named (node, "mac"))
      read_mac (ld, node);
    else if (named (node, "derive"))
      read_derive (ld, node);
    else if (named (node, "datapath"))
      {
        if (dp_node)
          bad (ld, node, "only one datapath (the first is at line %ld)", xmlGetLineNo (dp_node));
        dp_node = node;
      }
  if (ld->failed)
    return;

  /* resolve relative MACs: one level, onto an absolute entry */
  for (size_t i = 0; i < t->n_macs && !ld->failed; i++)
    {
      _bs_mac *m = &t->macs[i];
      int base;

      if (m->rel != -2)
        continue;
      base = mac_by_id (t, m->rel_id);
      if (base < 0)
        bad_at (ld, m->src.line, "relative-to names no mac");
      else if (t->macs[base].rel != -1)
        bad_at (ld, m->src.line, "relative-to must name an absolute mac, not a relative one");
      else if (t->macs[base].energy < 0)
        bad_at (ld, m->src.line, "relative-to names a mac without energy-pj");
      else
        {
          m->rel = base;
          m->energy = m->eratio * t->macs[base].energy;
          m->area = m->aratio >= 0 && t->macs[base].area >= 0
                      ? m->aratio * t->macs[base].area : -1;
        }
    }

  if (dp_node && !ld->failed)
    {
      _bs_datapath *dp = &t->datapath;
      const _bs_mac *a;

      dp->present = true;
      dp->native_bits = (int) attr_num (ld, dp_node, "native-bits", 16);
      dp->acc_bits = (int) attr_num (ld, dp_node, "accumulator-bits", 32);
      dp->exponent = attr_num (ld, dp_node, "scaling-exponent", 1);
      dp->src = source_of (ld, dp_node);
      dp->anchor = mac_by_id (t, attr_str (ld, dp_node, "anchor"));
      a = dp->anchor >= 0 ? &t->macs[dp->anchor] : NULL;
      if (!a || a->rel != -1 || a->energy < 0)
        bad (ld, dp_node, "the datapath anchor must be an absolute mac");
      else if (a->wfam != BS_CFAM_INT || a->ifam != BS_CFAM_INT
               || a->wbits != dp->native_bits || a->ibits != dp->native_bits)
        bad (ld, dp_node, "the datapath anchor must be an int%d x int%d mac", dp->native_bits,
             dp->native_bits);
    }
}

static bool
has_op (const bs_target *t, int op, int family)
{
  for (size_t i = 0; i < t->n_points; i++)
    if (t->points[i].op == op && t->points[i].family == family)
      return true;
  for (size_t i = 0; i < t->n_fits; i++)
    if (t->fits[i].op == op && t->fits[i].family == family)
      return true;
  return false;
}

static void
read_gating (loader *ld, xmlNodePtr node)
{
  bs_target *t = ld->t;
  xmlChar *ops = xmlGetProp (node, (const xmlChar *) "operands");

  t->gate_operands = 0;
  if (ops && strstr ((const char *) ops, "inputs"))
    t->gate_operands |= BS_GATE_INPUTS;
  if (ops && strstr ((const char *) ops, "weights"))
    t->gate_operands |= BS_GATE_WEIGHTS;
  xmlFree (ops);
  t->gate_fraction = attr_num (ld, node, "energy-fraction", 1);
  t->gate_src = source_of (ld, node);
}

static int
cmp_sram (const void *a, const void *b)
{
  const _bs_sram *x = a, *y = b;
  return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

static void
read_memory (loader *ld, xmlNodePtr memory)
{
  bs_target *t = ld->t;

  for (xmlNodePtr node = memory->children; node && !ld->failed; node = node->next)
    if (named (node, "register-file"))
      {
        t->has_rf = true;
        t->rf_e = attr_num (ld, node, "energy-pj-per-bit", 0);
        t->rf_src = source_of (ld, node);
      }
    else if (named (node, "sram"))
      {
        _bs_sram *s;
        APPEND (ld, t->srams, t->n_srams, node);
        s = &t->srams[t->n_srams - 1];
        s->bytes = (size_t) attr_num (ld, node, "size-bytes", 1);
        s->e = attr_num (ld, node, "energy-pj-per-bit", 0);
        s->src = source_of (ld, node);
        for (size_t i = 0; i + 1 < t->n_srams; i++)
          if (t->srams[i].bytes == s->bytes)
            bad (ld, node, "duplicate sram size (also at line %d)", t->srams[i].src.line);
      }
    else if (named (node, "dram"))
      {
        t->dram_e = attr_num (ld, node, "energy-pj-per-bit", 0);
        t->dram_src = source_of (ld, node);
      }
    else if (named (node, "buffers"))
      {
        t->wbuf_bytes = (size_t) attr_num (ld, node, "weights-bytes", 1);
        t->abuf_bytes = (size_t) attr_num (ld, node, "activations-bytes", 1);
        t->buf_src = source_of (ld, node);
      }
    else if (named (node, "reuse"))
      {
        t->weights_streamed = attr_is (node, "weights", "streamed");
        t->input_reads = attr_num (ld, node, "input-reads", 1);
        t->output_writes = attr_num (ld, node, "output-writes", 1);
        t->rf_operands = attr_is (node, "register-file-operands", "true")
                         || attr_is (node, "register-file-operands", "1");
        t->reuse_src = source_of (ld, node);
        if (t->rf_operands && !t->has_rf)
          bad (ld, node, "register-file-operands needs a register-file entry");
      }
  if (!ld->failed)
    qsort (t->srams, t->n_srams, sizeof *t->srams, cmp_sram);
}

static void
read_fpga (loader *ld, xmlNodePtr fpga)
{
  bs_target *t = ld->t;

  for (xmlNodePtr node = fpga->children; node && !ld->failed; node = node->next)
    if (named (node, "resource-energy"))
      {
        t->lut_e = attr_num (ld, node, "lut-pj", 0);
        t->ff_e = attr_num (ld, node, "ff-pj", 0);
        t->dsp_e = attr_num (ld, node, "dsp-pj", 0);
        t->res_src = source_of (ld, node);
      }
    else if (named (node, "soft-mac"))
      {
        t->soft_max_sum = (int) attr_num (ld, node, "max-operand-bits-sum", 0);
        t->soft_overhead = attr_num (ld, node, "overhead", 1);
        t->soft_src = source_of (ld, node);
      }
    else if (named (node, "dsp-tiling"))
      {
        t->tile_a = (int) attr_num (ld, node, "a-bits", 27);
        t->tile_b = (int) attr_num (ld, node, "b-bits", 18);
        t->tile_acc = (int) attr_num (ld, node, "accumulator-bits", 48);
        t->tile_src = source_of (ld, node);
      }
    else if (named (node, "bram"))
      {
        t->bram_bits = attr_num (ld, node, "bits", 36864);
        t->bram_src = source_of (ld, node);
      }
    else if (named (node, "device"))
      {
        _bs_device *d;
        APPEND (ld, t->devices, t->n_devices, node);
        d = &t->devices[t->n_devices - 1];
        d->name = (char *) attr_str (ld, node, "name");
        d->board = (char *) attr_str (ld, node, "board");
        d->luts = attr_num (ld, node, "luts", 0);
        d->ffs = attr_num (ld, node, "ffs", 0);
        d->dsps = attr_num (ld, node, "dsps", 0);
        d->bram = attr_num (ld, node, "bram", 0);
        d->src = source_of (ld, node);
        for (size_t i = 0; i + 1 < t->n_devices; i++)
          if (d->name && t->devices[i].name && strcmp (t->devices[i].name, d->name) == 0)
            bad (ld, node, "duplicate device '%s' (also at line %d)", d->name,
                 t->devices[i].src.line);
      }
}

static char *
element_text (loader *ld, xmlNodePtr node)
{
  xmlChar *s = xmlNodeGetContent (node);
  char *kept = keep_string (ld, s ? (const char *) s : "");

  xmlFree (s);
  return kept;
}

/* Read a schema-valid document into ld->t, checking what the schema cannot. */
static void
read_target (loader *ld, xmlNodePtr root)
{
  bs_target *t = ld->t;
  xmlNodePtr compute = NULL, fpga = NULL;

  t->root_line = (int) xmlGetLineNo (root);
  t->name = (char *) attr_str (ld, root, "name");
  t->node = (char *) attr_str (ld, root, "node");
  t->kind = attr_is (root, "kind", "fpga") ? BS_TARGET_FPGA : BS_TARGET_ASIC;
  t->clock_mhz = 0;
  for (xmlNodePtr node = root->children; node && !ld->failed; node = node->next)
    if (named (node, "description"))
      t->description = element_text (ld, node);
    else if (named (node, "clock"))
      {
        t->clock_mhz = attr_num (ld, node, "mhz", 0);
        t->clock_src = source_of (ld, node);
      }
    else if (named (node, "throughput"))
      {
        t->rate = attr_num (ld, node, "inferences-per-second", 0);
        t->rate_src = source_of (ld, node);
      }
    else if (named (node, "compute"))
      compute = node;
    else if (named (node, "gating"))
      read_gating (ld, node);
    else if (named (node, "memory"))
      read_memory (ld, node);
    else if (named (node, "fpga"))
      fpga = node;
  if (ld->failed)
    return;
  if (t->kind == BS_TARGET_FPGA && !fpga)
    return bad (ld, root, "an FPGA target needs an <fpga> section");
  if (t->kind == BS_TARGET_ASIC && fpga)
    return bad (ld, fpga, "an ASIC target has no <fpga> section");
  if (fpga)
    read_fpga (ld, fpga);
  if (compute && !ld->failed)
    read_compute (ld, compute);
  if (ld->failed)
    return;
  if (t->kind == BS_TARGET_ASIC)
    {
      if (!has_op (t, BS_OP_ADD, BS_CFAM_INT))
        bad (ld, compute, "an ASIC target needs int adder entries (accumulators and the "
             "fallback rule use them)");
      else if (!t->datapath.present && !has_op (t, BS_OP_MUL, BS_CFAM_INT))
        bad (ld, compute, "an ASIC target needs int multiplier entries or a datapath (the "
             "fallback rule uses them)");
    }
}

/* Loading ---------------------------------------------------------------------- */

void
bs_target_free (bs_target *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->n_strings; i++)
    free (t->strings[i]);
  free (t->strings);
  free (t->path);
  free (t->points);
  free (t->fits);
  free (t->macs);
  free (t->derives);
  free (t->srams);
  free (t->devices);
  free (t);
}

bs_target *
bs_target_load_file (const char *path, char *err, size_t errlen)
{
  xmlParserCtxtPtr pctx;
  xmlSchemaValidCtxtPtr vctx;
  xmlDocPtr doc;
  first_error fe = { 0 };
  loader ld = { .path = path, .err = err, .errlen = errlen };
  FILE *probe;

  if (err && errlen)
    err[0] = '\0';
  if (!path)
    return _bs_target_fail (err, errlen, "(null)", 0, "no file name");
  probe = fopen (path, "rb");
  if (!probe)
    return _bs_target_fail (err, errlen, path, 0, "cannot open: %s", strerror (errno));
  fclose (probe);

  pthread_once (&schema_once, schema_init);
  if (!schema)
    return _bs_target_fail (err, errlen, path, 0, "the embedded target schema does not compile");

  pctx = xmlNewParserCtxt ();
  if (!pctx)
    return _bs_target_fail (err, errlen, path, 0, "out of memory");
  doc = xmlCtxtReadFile (pctx, path, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc)
    {
      xmlErrorPtr e = xmlCtxtGetLastError (pctx);
      _bs_target_fail (err, errlen, path, e ? e->line : 0, "not well-formed XML: %s",
            e && e->message ? e->message : "parse error");
      xmlFreeParserCtxt (pctx);
      return NULL;
    }
  xmlFreeParserCtxt (pctx);

  vctx = xmlSchemaNewValidCtxt (schema);
  if (!vctx)
    {
      xmlFreeDoc (doc);
      return _bs_target_fail (err, errlen, path, 0, "out of memory");
    }
  xmlSchemaSetValidStructuredErrors (vctx, keep_first_error, &fe);
  if (xmlSchemaValidateDoc (vctx, doc) != 0)
    {
      xmlSchemaFreeValidCtxt (vctx);
      xmlFreeDoc (doc);
      return _bs_target_fail (err, errlen, path, fe.set ? fe.line : 0, "%s",
                   fe.set ? fe.msg : "does not validate against bitscape-target.xsd");
    }
  xmlSchemaFreeValidCtxt (vctx);

  ld.t = calloc (1, sizeof *ld.t);
  ld.c_locale = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
  if (!ld.t || !ld.c_locale)
    {
      free (ld.t);
      if (ld.c_locale)
        freelocale (ld.c_locale);
      xmlFreeDoc (doc);
      return _bs_target_fail (err, errlen, path, 0, "out of memory");
    }
  ld.t->path = strdup (path);
  read_target (&ld, xmlDocGetRootElement (doc));
  freelocale (ld.c_locale);
  xmlFreeDoc (doc);
  if (ld.failed || !ld.t->path)
    {
      if (!ld.failed)
        _bs_target_fail (err, errlen, path, 0, "out of memory");
      bs_target_free (ld.t);
      return NULL;
    }
  return ld.t;
}

/* Accessors ---------------------------------------------------------------------- */

const char *
bs_target_name (const bs_target *t)
{
  return t->name;
}

bs_target_kind
bs_target_get_kind (const bs_target *t)
{
  return t->kind;
}

const char *
bs_target_kind_name (bs_target_kind kind)
{
  return kind == BS_TARGET_FPGA ? "fpga" : "asic";
}

const char *
bs_target_node (const bs_target *t)
{
  return t->node;
}

const char *
bs_target_description (const bs_target *t)
{
  return t->description ? t->description : "";
}

const char *
bs_target_path (const bs_target *t)
{
  return t->path;
}

double
bs_target_clock_mhz (const bs_target *t)
{
  return t->clock_mhz;
}

size_t
bs_target_n_devices (const bs_target *t)
{
  return t->n_devices;
}

const char *
bs_target_device_name (const bs_target *t, size_t i)
{
  return i < t->n_devices ? t->devices[i].name : NULL;
}
