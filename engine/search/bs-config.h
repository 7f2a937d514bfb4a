/* bs-config.h — a quantization configuration: per layer, the formats of the
 * weights and of the inputs (activations), the accumulator and the scaling.
 *
 * Plain C11, no GLib.  A configuration is a value: strategies build them, the
 * evaluator reads them, the store keys results by their canonical text.  A
 * configuration whose layers are all BS_LAYER_CONFIG_FP32 is the float
 * baseline.
 *
 * Canonical text, version 1 (the only form the parser accepts, so that
 * parse(text) succeeds exactly when to_string(parse(text)) == text):
 *
 *   v1;L0:w=fixed8,a=fixed8,acc=exact,s=layer-pow2;L1:w=fp32,a=fp32,acc=fp32,s=none
 *
 *   config  = "v1" 1*(";" layer)
 *   layer   = "L" <i> ":w=" <name> ",a=" <name> ",acc=" <acc> ",s=" <scaling>
 *             where <i> counts 0, 1, 2, … in order (decimal, no leading zero)
 *   <name>  = a format name bs_format_parse accepts, spelled as given
 *   <acc>   = exact | kulisch | quire | elma | int32 | fp32 | fp16  (bs_acc_name)
 *   <scaling> = none | pow2 | layer-pow2 | channel | block | block<N>
 *             | maxabs | pct<P> | auto
 *   <P>     = decimal with at most six decimals and no trailing zero, 0 < P ≤ 100
 *             ("pct99.99", "pct100", "pct0.5")
 *
 * Two configurations are equal exactly when their canonical texts are equal.
 * Format names are compared as spelled: "fp16" and "float_e5m10" denote the
 * same format but make different configurations (ladders below use the
 * listed names, see bs_format_ladder).
 */
#pragma once

#include "bs-format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BS_CONFIG_VERSION 1
/* Room for a format name and its terminating NUL (= sizeof bs_format.name). */
#define BS_NAME_MAX 40
/* Largest layer count a configuration may have. */
#define BS_CONFIG_MAX_LAYERS 65536

/* How a layer's tensors are scaled before quantization (q(x / s) · s).  The
 * evaluator computes the scales; this only names the choice.  Per-channel and
 * per-block describe the weights; an evaluator applies the per-layer
 * analogue to inputs where the finer grain has no meaning for them. */
typedef enum {
  BS_SCALING_NONE,        /* "none": s = 1 */
  BS_SCALING_POW2,        /* "pow2": one power of two for the whole network
                           * (the seed's uniform rescaling) */
  BS_SCALING_LAYER_POW2,  /* "layer-pow2": a power of two per layer and tensor
                           * (dynamic fixed point) */
  BS_SCALING_CHANNEL,     /* "channel": per output channel, from calibration */
  BS_SCALING_BLOCK,       /* "block" / "block<N>": per block of N elements
                           * (block = 0: the format's default block) */
  BS_SCALING_MAXABS,      /* "maxabs": calibrated max |x| mapped onto the
                           * format's max (not rounded to a power of two) */
  BS_SCALING_PERCENTILE,  /* "pct<P>": the P-th percentile of |x| mapped onto
                           * the format's max */
  BS_SCALING_AUTO,        /* "auto": the format family's natural choice —
                           * layer-pow2 for fixed point, integers and IEEE-style
                           * floats (the seed's dynamic fixed point); none for
                           * posits and log formats (tapered: most precise
                           * near 1, a drop-in as in Johnson 2018) and for
                           * formats that carry their own scales (nf4, MX,
                           * NVFP4, kmeans) */
  BS_N_SCALINGS
} bs_scaling;

typedef struct {
  char weight[BS_NAME_MAX]; /* format of the layer's weights */
  char input[BS_NAME_MAX];  /* format of the layer's inputs (activations) */
  bs_acc acc;               /* accumulator of its dot products */
  bs_scaling scaling;
  double percentile;        /* BS_SCALING_PERCENTILE only: 0 < P ≤ 100, kept
                             * to six decimals; 0 otherwise */
  int block;                /* BS_SCALING_BLOCK only: elements per block,
                             * 0 = the format's default; 0 otherwise */
} bs_layer_config;

/* The float baseline of one layer. */
#define BS_LAYER_CONFIG_FP32 \
  ((bs_layer_config) { .weight = "fp32", .input = "fp32", .acc = BS_ACC_FP32, \
                       .scaling = BS_SCALING_NONE, .percentile = 0, .block = 0 })

typedef struct bs_config bs_config;

/* A configuration of n_layers layers (1 ≤ n_layers ≤ BS_CONFIG_MAX_LAYERS),
 * every layer BS_LAYER_CONFIG_FP32.  NULL if n_layers is out of range or
 * memory runs out. */
bs_config *bs_config_new (int n_layers);
bs_config *bs_config_copy (const bs_config *cfg);
void bs_config_free (bs_config *cfg);

int bs_config_n_layers (const bs_config *cfg);
/* Layer i (0 ≤ i < n_layers); the pointer lives as long as cfg. */
const bs_layer_config *bs_config_layer (const bs_config *cfg, int i);

/* Validate lc and store it as layer i.  Checks: both names are accepted by
 * bs_format_parse, acc and scaling are in range, 0 < percentile ≤ 100 for
 * BS_SCALING_PERCENTILE, 0 ≤ block ≤ 2^20 for BS_SCALING_BLOCK.  Normalises:
 * the percentile is rounded to six decimals, and the parameter the scaling
 * does not use is set to 0.  Returns 0, or -1 with a one-line reason in err
 * (cfg unchanged). */
int bs_config_set_layer (bs_config *cfg, int i, const bs_layer_config *lc,
                         char *err, size_t errlen);

/* The canonical text (see above), newly allocated (free()); NULL if memory
 * runs out. */
char *bs_config_to_string (const bs_config *cfg);

/* Parse canonical text.  Anything else (other version, fields out of order,
 * spaces, unknown names, layer numbers out of sequence, non-canonical
 * numbers) is rejected: NULL with a one-line reason in err. */
bs_config *bs_config_parse (const char *text, char *err, size_t errlen);

/* 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of the
 * canonical text's bytes, without the terminating NUL.  Stable across runs,
 * machines and versions of Bitscape as long as the text is (version 1).
 * Returns 0 only if memory runs out (or, with odds 2^-64, by chance). */
uint64_t bs_config_hash (const bs_config *cfg);

bool bs_config_equal (const bs_config *a, const bs_config *b);
bool bs_layer_config_equal (const bs_layer_config *a, const bs_layer_config *b);

/* The first layer at which a and b differ (any field), n_layers if they are
 * equal, 0 if their layer counts differ.  An evaluator that caches the
 * activations of the configuration it evaluated last can keep every layer
 * before this one. */
int bs_config_first_difference (const bs_config *a, const bs_config *b);

/* Mean bits per element of the weights and of the inputs, each layer
 * weighted by the element counts the caller provides (weight_counts[i],
 * input_counts[i]; NULL = every layer counts 1).  A format's bits are its
 * element code bits (bs_format.bits: 32 for fp32, 4 for mxfp4, log2 K for
 * kmeans<K>); shared block scales and codebooks are not included.  Either
 * output may be NULL.  Returns 0, or -1 with a reason in err (a name the
 * format library rejects, or all counts 0). */
int bs_config_mean_bits (const bs_config *cfg, const uint64_t *weight_counts,
                         const uint64_t *input_counts, double *mean_weight_bits,
                         double *mean_input_bits, char *err, size_t errlen);

const char *bs_scaling_name (bs_scaling s);
/* The scaling of a layer as the canonical text spells it ("pct99.9",
 * "block32", "layer-pow2", …). */
void bs_layer_config_scaling_text (const bs_layer_config *l, char *buf, size_t len);   /* "layer-pow2", …; "?" if out of range */

/* Bit-width ladders ------------------------------------------------------ */

/* The ladder below a format: name itself first, then the same family with
 * one bit less at each step, as far as the family goes:
 *
 *   fixed<Q>        fixed<Q>, fixed<Q-1>, …, fixed1
 *   int<N>          int<N>, …, int2
 *   posit<N>_<ES>   posit<N>_<ES>, posit<N-1>_<ES>, …, posit3_<ES>
 *   float (fp32, fp16, bf16, fp8_*, fp6_*, fp4_e2m1, float_e<E>m<M>)
 *                   one mantissa bit less at a time down to M = 0, then one
 *                   exponent bit less down to E = 2: fp16, float_e5m9, …,
 *                   float_e5m0, float_e4m0, float_e3m0, float_e2m0.  Lower
 *                   rungs are IEEE-style layouts (inf and NaN in the top
 *                   binade) even below an OCP layout such as fp8_e4m3.
 *   log16           log16, then the log8 ladder
 *   log8, log<N>_<ES>  the same ES with N one less at a time (log8 is
 *                   log8_1), down to the library's smallest N (4)
 *   kmeans<K>       the next lower power of two each time, down to kmeans2
 *   binary, ternary, nf4, mx*, nvfp4: no ladder (name alone)
 *
 * A rung the format library rejects ends the ladder there (so the bounds
 * above are the library's: fixed<Q> and int<N> go up to 16 today).  Rungs after the
 * first use the listed name (bs_format_listed_names) of a format when one
 * denotes exactly the same format (float_e5m10 → fp16, float_e5m2 →
 * fp8_e5m2).
 *
 * Writes at most cap names into out and returns the full length of the ladder
 * (like snprintf: a return value > cap means out was too small), or -1 with a
 * reason in err if name is not a format. */
int bs_format_ladder (const char *name, char (*out)[BS_NAME_MAX], int cap,
                      char *err, size_t errlen);

/* Ladders stop after this many rungs (the longest real one, fp32's, has 30). */
#define BS_LADDER_MAX 64

#ifdef __cplusplus
}
#endif
