/* bs-energy.h — energy, area and FPGA resources of a quantized network on a target chip.
 *
 * Plain C11 over the engine's format API and libxml2; no GLib.
 *
 * A target is an XML file (energy-models/targets/NAME.xml, schema bitscape-target.xsd) in
 * which every number carries a `source` citation.  The model below turns a list of
 * plain layer descriptions (MACs, element counts, formats, sparsity) into per-layer and
 * total energy split into compute and memory, ASIC area or FPGA resources, and keeps,
 * for every layer, the target entries it used (with their sources and file lines), so
 * that "how is this energy computed" can always be answered.
 *
 * THE MODEL (the contract; numbers in brackets are what the shipped targets hold)
 *
 * Operands.  Every format is costed as one of four cost families at a width:
 *   - int:   int<N> (N), fixed<Q> (Q), binary (1), ternary (2), mxint8 elements (8);
 *   - float: fp*, bf16, float_e<E>m<M>, MX float elements, nvfp4 elements (E2M1): width,
 *            exponent E and stored mantissa M (significand s = M + 1);
 *   - posit: posit<N>_<ES> (N);  log: log8, log16, log<N>_<ES> (N).
 *   - nf4 and kmeans<K> weights (or any weights flagged `codebook`) are indices into a
 *     table of centroids held in the INPUT format: the multiply is input x input, and
 *     every ungated MAC pays one register-file read of a centroid (input bits).
 * Storage bits per element: the format's bits; block formats add their scale amortised
 * over the block: mxfp8/mxfp6/mxfp4/mxint8 + 8/32, nvfp4 + 8/16 (the fp32 tensor scale is
 * negligible), nf4 + 32/64; kmeans<K> log2 K (the codebook, K centroids at input bits, is
 * read once per layer from the weight buffer).
 *
 * One MAC on an ASIC target, first rule that applies:
 *   1. a <mac> entry matching both operands (family and width) and, if it names one, the
 *      accumulator: its energy and area, or energy-ratio/area-ratio times the entry it is
 *      relative-to (Johnson 2018: log8/elma = 0.96 x energy, 1.12 x area of int8/int32).
 *   2. a <datapath> (precision-scalable target): int operands only.  Q = min(weight bits,
 *      native) (at least 1); passes = ceil(input bits / Q) * ceil(weight bits / native);
 *      E = passes * E_anchor * (Q / native)^exponent [Moons: 16, 1.25]; area = the anchor's
 *      (the same unit serves every Q).  An accumulator wider than the datapath's adds
 *      passes * (adder(width) - adder(datapath width)).
 *   3. otherwise multiplier(weights, inputs) + adder(accumulator).
 * Multipliers and adders of one family: an exact table point (width; floats: exponent and
 * mantissa too), else the family's <fit> c2 x^2 + c1 x + c0 (x = bits, or significand for
 * floats), else piecewise-linear interpolation in bits between the listed points (outside:
 * the nearest segment extended; a single point is scaled in proportion to width and
 * flagged).  Mixed widths a, b of one family: the multiplier is costed at the geometric
 * mean x = sqrt(a b) (QKeras QTools FixedPointMultiplier.gate_bits; with the quadratic fit
 * this is exactly c2 a b + c1 sqrt(a b)); floats use sqrt(s_a s_b).  Mixed families: the
 * operand of the richer family (float > posit > log > int) sets the multiplier, the other
 * is converted to it (flagged).  Posits without posit entries: a float of significand
 * N - ES - 2 times the target's <derive> factors [Forget et al. 2021: 1.3].
 *
 * FALLBACK (flagged, never zero): a family the target neither lists nor derives is costed
 * as the target's integer operation of the same total width (on a datapath target: the
 * datapath at that width); the layer's `fallback` is set and `fallback_rules` names the
 * rule.  A result is never silently zero.
 *
 * Accumulators (the adder of the MAC, costed at its width on the int adder table, or the
 * float adder for fp16/fp32):  int32 32 bits; fp32/fp16 the float adder of that format;
 * kulisch: W = (hi_w + hi_i) - (lo_w + lo_i) + ceil(log2 K) + 1 where values of an operand
 * lie in [2^lo, 2^hi) (int<N>: 0, N; fixed<Q>: -(Q-1), 1; binary/ternary: 0, 1; floats,
 * posits, logs, block elements: ilogb(min_pos), ilogb(max) + 1) and K = MACs / outputs
 * terms per dot product (the engine's bs_kulisch_new_for_format sizing); elma: 38 bits for
 * log8, 49 for log16 (Johnson 2018), the Kulisch rule otherwise; quire: 16 N (posit 2022).
 * "exact" means the weight format's own exact accumulator (bs_format_exact_acc).  An
 * accumulator that does not apply to the formats (quire on ints, elma on floats) is an
 * error.
 *
 * Gating.  The target gates zero inputs, zero weights, both, or none.  With sparsities
 * s_i, s_w (fraction of zeros; unknown = -1 counts as 0) the gated share is s_i, s_w or
 * 1 - (1 - s_i)(1 - s_w) (independent zeros).  Gated MACs cost energy-fraction x the MAC
 * [Accelergy Eyeriss: 0.044/1.207] and skip the codebook look-up and register-file reads.
 *
 * Per layer:
 *   compute = MACs (1 - g) (E_MAC + E_lookup) + MACs g f E_MAC
 *   memory  = weights: stationary -> weight bits once, streamed -> MACs x weight bits,
 *                      from the SRAM of the weight-buffer size; weights that do not fit
 *                      the remaining weight buffer (first fit in layer order) also cost
 *                      one DRAM read per bit per inference;
 *             inputs:  inputs x input bits x input-reads, outputs: outputs x output bits
 *                      x output-writes, at the SRAM of the activation-buffer size; when a
 *                      layer's inputs + outputs exceed that buffer they also cost one DRAM
 *                      read (inputs) and one DRAM write (outputs) per bit;
 *             register file (if register-file-operands): ungated MACs x (weight + input
 *                      bits).  Writes cost what reads cost.
 *   SRAM energy per bit at a size between two listed sizes follows the power law through
 *   them (Horowitz's 8 KB/32 KB/1 MB points grow as ~sqrt(size)); outside, the nearest
 *   pair's law; a single listed size applies at every size.
 *   Area and FPGA resources: each layer gets units = ceil(MACs x passes x rate / clock)
 *   MAC units (its own engine, layer-pipelined), area = units x MAC area (memory area not
 *   modelled); FPGA: units x (LUT, FF, DSP) of its MAC type plus ceil(weight bits / BRAM
 *   bits) BRAMs; totals are sums (DSPs rounded up at the end).
 *
 * FPGA MACs: a matching <mac> entry (resources per unit); else int operands with
 * W + A <= soft-mac max: LUT-only, overhead x ((2 ceil((W+A)/6) - 1)(W+A) + 2(W+A)) LUTs
 * (FINN-R), else DSP tiling ceil(W/a) ceil(A/b) DSPs (UG579 27x18; operands ordered so the
 * wider goes to a).  Accumulator bits beyond what the MAC type holds (entry
 * accumulator-bits, DSP tiling 48, soft MAC 0) cost one LUT and one FF each.  Non-int
 * families use the same rules on their significand (floats) or width (flagged: exponent
 * logic not counted).  E_MAC = LUTs x lut-pj + FFs x ff-pj + DSPs x dsp-pj.
 *
 * Thread safety: targets are immutable after loading and may be shared; loading,
 * estimating and listing keep no global mutable state (libxml2 is initialised once).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bs-format.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bs_target bs_target;

typedef enum {
  BS_TARGET_ASIC,
  BS_TARGET_FPGA,
} bs_target_kind;

/* Targets ------------------------------------------------------------------- */

/* Load and validate one file (XSD, then the checks the schema cannot express).
 * Returns NULL with ONE line "FILE:LINE: problem" in err on any failure. */
bs_target *bs_target_load_file (const char *path, char *err, size_t errlen);

/* A name (looked up as NAME.xml in bs_target_search_dirs, first hit wins) or a path
 * (anything containing '/' or ending in ".xml"). */
bs_target *bs_target_load (const char *name_or_path, char *err, size_t errlen);

void bs_target_free (bs_target *t);

const char *bs_target_name (const bs_target *t);
bs_target_kind bs_target_get_kind (const bs_target *t);
const char *bs_target_kind_name (bs_target_kind kind); /* "asic", "fpga" */
const char *bs_target_node (const bs_target *t);
const char *bs_target_description (const bs_target *t);
const char *bs_target_path (const bs_target *t);
double bs_target_clock_mhz (const bs_target *t);
/* FPGA devices the target names (0 for ASICs). */
size_t bs_target_n_devices (const bs_target *t);
const char *bs_target_device_name (const bs_target *t, size_t i);

/* The embedded XSD every target is validated against (NUL-terminated). */
const char *bs_target_schema (void);

/* Directories searched for targets, in order: each entry of $BITSCAPE_TARGET_PATH
 * (':'-separated), $XDG_DATA_HOME/bitscape/targets (or ~/.local/share/...), the source
 * tree's energy-models/targets (uninstalled runs), DATADIR/bitscape/targets.  Fills at
 * most max entries of dirs (each a malloc'ed string the caller frees) and returns how
 * many there are in total. */
size_t bs_target_search_dirs (char **dirs, size_t max);

/* Call fn once for every *.xml in the search directories, sorted by file name within a
 * directory; a name already seen in an earlier directory is skipped.  t is the loaded
 * target (NULL when the file is malformed: error is then the one-line message); t is
 * freed after fn returns.  Returns the number of malformed files. */
typedef void (*bs_target_list_fn) (const bs_target *t, const char *path, const char *error,
                                   void *data);
size_t bs_target_list (bs_target_list_fn fn, void *data);

/* Traces --------------------------------------------------------------------- */

/* One number the model used: a target entry (source = its `source` attribute, line =
 * its line in the file) or a rule of this model (source = "bitscape model: ...",
 * line = 0).  Strings point into the target or are static: valid while the target
 * lives. */
typedef struct {
  const char *what;   /* "multiplier", "adder", "mac", "fit", "datapath", "gating",
                       * "register-file", "sram", "dram", "buffers", "reuse", "derive",
                       * "fpga", "rule", "fallback" */
  char detail[160];   /* e.g. "int 8 bits", "float e5m10", "int 27 bits (interpolated)" */
  double value;
  const char *unit;   /* "pJ", "pJ/bit", "um2", "", ... */
  const char *source;
  int line;
} bs_energy_term;

/* Layers --------------------------------------------------------------------- */

/* What the model needs of one layer: plain data, independent of engine/nn. */
typedef struct {
  const char *name;
  const char *op;              /* informational: "Conv", "Gemm", ... (may be NULL) */
  uint64_t macs;
  uint64_t weights;            /* weight elements */
  uint64_t inputs;             /* input elements read by the layer */
  uint64_t outputs;            /* output elements written */
  double weight_sparsity;      /* fraction of zero weights in [0,1]; -1 = unknown */
  double input_sparsity;       /* fraction of zero inputs; -1 = unknown */
  const char *weight_format;   /* canonical names (bs_format_parse) */
  const char *input_format;
  const char *output_format;   /* NULL: outputs are stored in the input format */
  const char *accumulator;     /* bs_acc_name: "exact", "kulisch", "quire", "elma",
                                * "int32", "fp32", "fp16"; NULL = "exact" */
  bool codebook;               /* weights are k-means indices (implied by kmeans/nf4) */
} bs_energy_layer;

#define BS_ENERGY_LAYER_INIT { .weight_sparsity = -1, .input_sparsity = -1 }

/* One MAC of a given pair of formats on a target. */
typedef struct {
  double energy_pj;     /* one full (ungated) MAC, every pass included */
  double area_um2;      /* one MAC unit (ASIC); NAN when the target gives no area or is an FPGA */
  double luts, ffs, dsps; /* one MAC unit (FPGA) */
  int passes;           /* ceil(M/Q) passes on a datapath target, else 1 */
  bs_acc acc;           /* accumulator used (exact resolved) */
  int acc_bits;
  bool fallback;
  char fallback_rules[384];
  bs_energy_term *terms;
  size_t n_terms;
} bs_energy_mac;

/* Cost one MAC; terms_per_output is K of the Kulisch rule (dot-product length, >= 1).
 * Returns 0, or -1 with a reason in err (unknown format, accumulator that does not
 * apply).  Free with bs_energy_mac_clear. */
int bs_energy_mac_cost (const bs_target *t, const char *weight_format, const char *input_format,
                        const char *accumulator, uint64_t terms_per_output, bool codebook,
                        bs_energy_mac *mac, char *err, size_t errlen);
void bs_energy_mac_clear (bs_energy_mac *mac);

typedef struct {
  char name[128];
  char op[32];
  uint64_t macs;
  double gated_macs;        /* MACs with a zero operand the target gates (expected) */
  int passes;
  double mac_pj;            /* one ungated MAC */
  double lookup_pj;         /* codebook look-up per ungated MAC (0 if none) */
  double compute_pj, memory_pj, energy_pj;
  double weights_pj, inputs_pj, outputs_pj, register_file_pj, dram_pj; /* memory split
                                                                        * (dram_pj is included
                                                                        * in the first three) */
  double weight_bits, input_bits, output_bits; /* storage bits per element */
  bool weights_on_chip;
  bs_acc acc;
  int acc_bits;
  double units;             /* MAC units sized for the target's throughput */
  double area_um2;          /* ASIC: units x MAC area (NAN if unknown) */
  double luts, ffs, dsps, bram; /* FPGA */
  bool fallback;
  char fallback_rules[384];
  bs_energy_term *terms;
  size_t n_terms;
} bs_energy_layer_result;

typedef struct {
  const bs_target *target;
  bs_energy_layer_result *layers;
  size_t n_layers;
  double compute_pj, memory_pj, energy_pj;
  double area_um2;
  double luts, ffs, dsps, bram;
  bool fallback;
} bs_energy_result;

/* Estimate a network (layers in execution order: the weight buffer is filled first fit
 * in that order).  Returns a result to free with bs_energy_result_free, or NULL with a
 * one-line reason naming the layer in err.  The result refers to t: keep t alive. */
bs_energy_result *bs_energy_estimate (const bs_target *t, const bs_energy_layer *layers,
                                      size_t n_layers, char *err, size_t errlen);
void bs_energy_result_free (bs_energy_result *r);

/* FPGA fit against a device of the target (NULL: the first one listed). */
typedef struct {
  char device[64];
  double luts, ffs, dsps, bram;       /* used (DSPs and BRAMs rounded up) */
  double max_luts, max_ffs, max_dsps, max_bram;
  bool fits;
  char why[256];                      /* "" when it fits, else the resources over */
  const char *source;                 /* the device entry's source */
} bs_energy_fit;

int bs_energy_fits (const bs_energy_result *r, const char *device, bs_energy_fit *fit,
                    char *err, size_t errlen);

/* Output ---------------------------------------------------------------------- */

/* JSON: {"target", "kind", "node", "file", "total": {"compute_pj", "memory_pj",
 * "energy_pj", "area_um2" | "luts", "ffs", "dsps", "bram", "fallback"},
 * "fits": {...} (FPGA, first device), "layers": [{"name", "op", "macs", "gated_macs",
 * "passes", "mac_pj", "compute_pj", "memory_pj", "energy_pj", "memory": {...},
 * "weight_bits", "input_bits", "output_bits", "accumulator", "accumulator_bits",
 * "units", "area_um2" | FPGA resources, "fallback", "fallback_rules", "terms": [...]}]}.
 * Returns 0, or -1 on a write error. */
int bs_energy_result_write_json (const bs_energy_result *r, FILE *out);
/* A human table: one line per layer and a total line. */
int bs_energy_result_write_text (const bs_energy_result *r, FILE *out);
/* s as a JSON string literal (quotes, escapes). */
void bs_energy_json_string (FILE *out, const char *s);

#ifdef __cplusplus
}
#endif
