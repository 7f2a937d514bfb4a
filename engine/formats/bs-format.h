/* bs-format.h — number formats: names, codes, values and quantization.
 *
 * Plain C11, no GLib: the engine is the lowest layer.  A bs_format is a small
 * value type obtained from a canonical name (bs_format_parse); it points at the
 * traits row of its family, which holds the family's functions.
 *
 * Numeric contract (DESIGN.md): quantize rounds to nearest with ties to the
 * even code, saturates to ±max finite, keeps NaN as NaN, and applies a scale as
 * q(x / scale) · scale.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BS_FAMILY_FLOAT,   /* fp32 fp16 bf16 fp8_* fp6_* fp4_e2m1 float_e<E>m<M> */
  BS_FAMILY_FIXED,   /* fixed<Q>: the seed's clip(round(2^(Q-1)x)/2^(Q-1), -1, 1-2^-(Q-1)) */
  BS_FAMILY_INT,     /* int<N>: two's complement codes times a scale */
  BS_FAMILY_BINARY,  /* binary: sign(x), {-1, +1} */
  BS_FAMILY_TERNARY, /* ternary: {-1, 0, +1} */
  BS_FAMILY_POSIT,   /* posit<N>_<ES>, 2022 standard rounding */
  BS_FAMILY_LOG,     /* log8, log<N>_<ES> (tapered), log16 (untapered) */
  BS_FAMILY_NF4,     /* nf4: QLoRA normal-float codebook, per-block absmax */
  BS_FAMILY_MX,      /* mxfp8_*, mxfp6_*, mxfp4, mxint8: 32-element blocks, E8M0 scale */
  BS_FAMILY_NVFP4,   /* nvfp4: E2M1, 16-element blocks, E4M3 scale, fp32 tensor scale */
  BS_FAMILY_KMEANS,  /* kmeans<K>: a codebook of K centroids, log2 K-bit indices */
  BS_N_FAMILIES
} bs_family;

/* Accumulators for dot products. */
typedef enum {
  BS_ACC_EXACT,   /* the format's own exact accumulator: see bs_format_exact_acc() */
  BS_ACC_KULISCH, /* exact fixed-point accumulator sized from the format's exponent range */
  BS_ACC_QUIRE,   /* posit quire (16·n bits, 2022 standard) */
  BS_ACC_ELMA,    /* log8 exact log-linear multiply-add (Johnson 2018) */
  BS_ACC_INT32,   /* integer products summed in a 32-bit two's complement register */
  BS_ACC_FP32,    /* products and sums rounded to fp32 after every operation */
  BS_ACC_FP16,    /* products and sums rounded to fp16 after every operation */
  BS_N_ACCS
} bs_acc;

/* Special-value convention of a float layout. */
typedef enum {
  BS_FLOAT_IEEE, /* top exponent field: inf (mantissa 0) and NaN */
  BS_FLOAT_FN,   /* OCP "FN": no inf; only S.1…1.1…1 is NaN (fp8_e4m3) */
  BS_FLOAT_NONE, /* every code is finite (fp6, fp4 of OCP MX) */
} bs_float_special;

typedef struct {
  int e, m, bias;
  bs_float_special special;
} bs_float_params;

typedef struct bs_format_traits bs_format_traits;

/* A parsed format.  Plain data: copy it freely. */
typedef struct {
  const bs_format_traits *traits;
  char name[40];
  int bits;        /* bits of one element code (index bits for kmeans) */
  int block;       /* elements sharing one scale by default; 0 for element formats */
  double max;      /* largest finite value at unit scale (block formats: of an element) */
  double min_pos;  /* smallest positive value at unit scale */
  union {
    bs_float_params fl;                          /* FLOAT */
    struct { int q; } fixed;                     /* FIXED */
    struct { int n; } integer;                   /* INT */
    struct { int n, es; } posit;                 /* POSIT */
    struct { int n, es; bool tapered; } log;     /* LOG */
    struct { bs_float_params elem; bool int_elem; } mx; /* MX, NVFP4 (elements) */
    struct { int k; } kmeans;                    /* KMEANS */
  } p;
} bs_format;

/* Code returned by encode for NaN in a format that has no NaN code (formats of
 * fewer than 32 bits only: in a 32-bit format it is an ordinary code). */
#define BS_CODE_NAN UINT32_MAX

/* Options of a tensor quantization. */
typedef struct {
  double scale;     /* q(x / scale) · scale; must be finite and > 0 */
  int block;        /* elements per block for block formats; 0 = the format's default */
  uint64_t seed;    /* k-means++ seeding */
  int iterations;   /* k-means Lloyd iterations (upper bound; stops when stable) */
} bs_qopts;

#define BS_QOPTS_INIT { .scale = 1.0, .block = 0, .seed = 1, .iterations = 30 }

struct bs_format_traits {
  bs_family family;
  const char *pattern;  /* canonical name or name pattern, e.g. "posit<N>_<ES>" */
  const char *summary;  /* one line for `bitscape-cli formats` */
  bs_acc exact_acc;     /* what BS_ACC_EXACT means for this family */

  /* Fill *f if name belongs to this family: return 1 on success, 0 if the name
   * is not this family's, -1 if it is but its parameters are out of range (err
   * then says why). */
  int (*parse) (const char *name, bs_format *f, char *err, size_t errlen);

  /* Element formats (block == 0; block formats: their element codes at unit
   * block scale).  decode(code) is the value of a code; encode(x) the code x
   * rounds to; NULL for kmeans. */
  double (*decode) (const bs_format *f, uint32_t code);
  uint32_t (*encode) (const bs_format *f, double x);

  /* Fast element quantizer at unit scale: out[i] must equal
   * (float) decode(encode(in[i])).  NULL means the generic loop. */
  void (*quantize_unit) (const bs_format *f, const float *in, float *out, size_t n);
  /* Optional: the power-of-two path of bs_format_quantize in one pass —
   * out[i] = quantize_unit (in[i] · inv) · sc in float arithmetic (inv, sc
   * powers of two, in and out not overlapping) — returning false when a
   * product in[i] · inv is neither zero nor a normal float ≤ 2^100 (out is
   * then to be recomputed by the general path). */
  bool (*quantize_pow2) (const bs_format *f, const float *in, float *out, size_t n, float inv,
                         float sc);

  /* Block formats and kmeans: whole-tensor quantizers (reference and fast);
   * NULL for element formats. */
  int (*quantize_tensor_ref) (const bs_format *f, const double *in, double *out, size_t n,
                              const bs_qopts *o, char *err, size_t errlen);
  int (*quantize_tensor) (const bs_format *f, const float *in, float *out, size_t n,
                          const bs_qopts *o, char *err, size_t errlen);

  /* One line about this member of the family (parameters, range, specials);
   * NULL means the family summary. */
  void (*describe) (const bs_format *f, char *buf, size_t len);
};

/* Names ----------------------------------------------------------------- */

/* Parse a canonical name ("fp8_e4m3", "posit16_1", "fixed8", …).  Returns 0, or
 * -1 with a one-line reason in err (which may be NULL). */
int bs_format_parse (const char *name, bs_format *f, char *err, size_t errlen);

/* The family rows, for listing. */
const bs_format_traits *const *bs_format_families (size_t *n);

/* Names listed by `bitscape-cli formats`: every named format and the concrete
 * members of small families; patterns for the open-ended ones.  NULL-terminated. */
const char *const *bs_format_listed_names (void);

bs_family bs_format_family (const bs_format *f);
bool bs_format_is_block (const bs_format *f);
bool bs_format_has_codes (const bs_format *f);   /* decode/encode available */
uint32_t bs_format_n_codes (const bs_format *f); /* 2^bits, element codes */
bs_acc bs_format_exact_acc (const bs_format *f);
/* One line describing f: family, parameters, range. */
void bs_format_describe (const bs_format *f, char *buf, size_t len);
const char *bs_acc_name (bs_acc acc);
int bs_acc_parse (const char *name, bs_acc *acc);

/* Element codes -------------------------------------------------------- */

double bs_format_decode (const bs_format *f, uint32_t code);
uint32_t bs_format_encode (const bs_format *f, double x);
/* decode(encode(x)) with NaN kept; element formats only. */
double bs_format_round (const bs_format *f, double x);

/* Tensors ---------------------------------------------------------------- */

/* Reference quantizer: every format, double in and out, exact definition.
 * Returns 0, or -1 with a reason in err (bad options). */
int bs_format_quantize_ref (const bs_format *f, const double *in, double *out, size_t n,
                            const bs_qopts *o, char *err, size_t errlen);

/* Fast quantizer on float32: out[i] == (float) ref(in)[i] for every input.
 * in and out may be the same buffer. */
int bs_format_quantize (const bs_format *f, const float *in, float *out, size_t n,
                        const bs_qopts *o, char *err, size_t errlen);

/* Calibration ------------------------------------------------------------ */

double bs_calib_max_abs (const float *x, size_t n);
/* The p-th percentile (0 < p ≤ 100) of |x|, NaN ignored; nearest-rank. */
double bs_calib_percentile (const float *x, size_t n, double p);
/* Smallest power of two s with range / s ≤ fmt_max (the seed's rescaling:
 * range ≤ s · fmt_max).  range ≤ 0 gives 1. */
double bs_calib_pow2_scale (double range, double fmt_max);
/* Scale that maps range onto the format's max exactly. */
double bs_calib_scale (double range, double fmt_max);

#ifdef __cplusplus
}
#endif
