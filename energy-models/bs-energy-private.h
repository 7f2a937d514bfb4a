/* bs-energy-private.h — the loaded form of a target, shared by target.c, cost.c, model.c. */
#pragma once

#include "bs-energy.h"

enum { BS_CFAM_INT, BS_CFAM_FLOAT, BS_CFAM_POSIT, BS_CFAM_LOG, BS_N_CFAMS };
enum { BS_OP_MUL, BS_OP_ADD };
enum { BS_VAR_BITS, BS_VAR_SIGNIFICAND };
enum { BS_GATE_INPUTS = 1, BS_GATE_WEIGHTS = 2 };

typedef struct {
  const char *source; /* owned by the target */
  int line;
} _bs_src;

typedef struct {
  int op, family, bits, e, m; /* e, m: floats only, else 0 */
  double energy, area;        /* area < 0: not given */
  _bs_src src;
} _bs_point;

typedef struct {
  int op, family, var;
  double ec[3], ac[3]; /* c0, c1, c2 */
  bool has_area;
  _bs_src src;
} _bs_fit;

typedef struct {
  char *id;
  int wfam, wbits, ifam, ibits;
  int we, ie;       /* float operands: exponent widths */
  int acc;          /* bs_acc, or -1 for any */
  int acc_bits;     /* FPGA: accumulator bits the unit holds (0 if not given) */
  double energy, area; /* resolved (ratios applied); area < 0: not given */
  int rel;          /* index of the base entry, -1 if absolute */
  const char *rel_id; /* relative-to, before resolution */
  double eratio, aratio;
  bool fpga;        /* luts/ffs/dsps given */
  double luts, ffs, dsps;
  _bs_src src;
} _bs_mac;

typedef struct {
  int family, from;
  double efactor, afactor;
  _bs_src src;
} _bs_derive;

typedef struct {
  bool present;
  int native_bits, acc_bits, anchor; /* anchor: index into macs */
  double exponent;
  _bs_src src;
} _bs_datapath;

typedef struct {
  size_t bytes;
  double e;
  _bs_src src;
} _bs_sram;

typedef struct {
  char *name, *board;
  double luts, ffs, dsps, bram;
  _bs_src src;
} _bs_device;

struct bs_target {
  char *name, *node, *description, *path;
  int root_line;
  bs_target_kind kind;
  double clock_mhz, rate;
  _bs_src clock_src, rate_src;

  _bs_point *points;
  size_t n_points;
  _bs_fit *fits;
  size_t n_fits;
  _bs_mac *macs;
  size_t n_macs;
  _bs_derive *derives;
  size_t n_derives;
  _bs_datapath datapath;

  int gate_operands; /* BS_GATE_* mask */
  double gate_fraction;
  _bs_src gate_src;

  bool has_rf;
  double rf_e;
  _bs_src rf_src;
  _bs_sram *srams; /* sorted by size */
  size_t n_srams;
  double dram_e;
  _bs_src dram_src;
  size_t wbuf_bytes, abuf_bytes;
  _bs_src buf_src;
  bool weights_streamed, rf_operands;
  double input_reads, output_writes;
  _bs_src reuse_src;

  /* FPGA */
  double lut_e, ff_e, dsp_e;
  _bs_src res_src;
  int soft_max_sum;
  double soft_overhead;
  _bs_src soft_src;
  int tile_a, tile_b, tile_acc;
  _bs_src tile_src;
  double bram_bits;
  _bs_src bram_src;
  _bs_device *devices;
  size_t n_devices;

  /* every string the target owns (sources, ids), freed together */
  char **strings;
  size_t n_strings;
};

/* Write "path:line: message" into err as ONE line (newlines and trailing spaces of
 * libxml2 messages folded).  Returns NULL for the caller's convenience (target.c). */
void *_bs_target_fail (char *err, size_t errlen, const char *path, int line, const char *fmt,
                       ...) __attribute__ ((format (printf, 5, 6)));

/* A growable list of terms. */
typedef struct {
  bs_energy_term *v;
  size_t n, cap;
  bool fallback;
  char rules[384];
  bool oom;
} _bs_trace;

void _bs_trace_add (_bs_trace *tr, const char *what, double value, const char *unit,
                    const _bs_src *src, const char *fmt, ...)
  __attribute__ ((format (printf, 6, 7)));
void _bs_trace_rule (_bs_trace *tr, const char *what, double value, const char *unit,
                     const char *rule, const char *fmt, ...)
  __attribute__ ((format (printf, 6, 7)));
/* Record a fallback: sets the flag, appends rule to the rules text and adds a term. */
void _bs_trace_fallback (_bs_trace *tr, const char *rule);
void _bs_trace_free (_bs_trace *tr);

/* SRAM energy per bit at a size (cost.c). */
double _bs_sram_energy (const bs_target *t, size_t bytes, _bs_trace *tr, const char *what);

/* Element storage bits of a format (block scale amortised; kmeans index bits). */
double _bs_storage_bits (const bs_format *f);

/* The internal MAC costing behind bs_energy_mac_cost; fills mac and appends to tr. */
int _bs_mac_cost (const bs_target *t, const bs_format *wf, const bs_format *inf, bs_acc acc_req,
                  uint64_t k, bool codebook, bs_energy_mac *mac, _bs_trace *tr, char *err,
                  size_t errlen);
