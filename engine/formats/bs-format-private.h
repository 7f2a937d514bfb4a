/* bs-format-private.h — shared between the family files of engine/formats. */
#pragma once

#include "bs-format.h"
#include "bs-dot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* One traits row per family, each defined in its own file. */
extern const bs_format_traits _bs_float_traits;   /* float.c */
extern const bs_format_traits _bs_fixed_traits;   /* fixed.c */
extern const bs_format_traits _bs_int_traits;     /* fixed.c */
extern const bs_format_traits _bs_binary_traits;  /* fixed.c */
extern const bs_format_traits _bs_ternary_traits; /* fixed.c */
extern const bs_format_traits _bs_posit_traits;   /* posit.c */
extern const bs_format_traits _bs_log_traits;     /* log.c */
extern const bs_format_traits _bs_nf4_traits;     /* block.c */
extern const bs_format_traits _bs_mx_traits;      /* block.c */
extern const bs_format_traits _bs_nvfp4_traits;   /* block.c */
extern const bs_format_traits _bs_kmeans_traits;  /* kmeans.c */

/* A float's bits and back (memcpy: no aliasing questions; compiles to a move). */
static inline uint32_t
f2u (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
u2f (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

/* Write a one-line reason into err (if any) and return -1. */
int _bs_fail (char *err, size_t errlen, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

/* Parse "<prefix><int>" / "<prefix><int>_<int>" exactly (no trailing junk, no
 * sign, no leading zeros).  Return 1 on match. */
int _bs_parse_int_suffix (const char *name, const char *prefix, int *a);
int _bs_parse_two_ints (const char *name, const char *prefix, const char *sep, int *a, int *b);

/* Float layouts: the rounding choke point of the float family, shared with the
 * block formats.  Values are doubles; E ≤ 11, M ≤ 52. ------------------------ */

void _bs_float_params_limits (const bs_float_params *p, double *max, double *min_pos);
double _bs_float_decode (const bs_float_params *p, uint32_t code);
/* Round-to-nearest-even into the layout, saturating to ±max finite; inf stays
 * inf where the layout has it; NaN → the NaN code or BS_CODE_NAN. */
uint32_t _bs_float_encode (const bs_float_params *p, double x);
/* Fast float32 kernel of the same rounding (E ≤ 8, M ≤ 23). */
void _bs_float_quantize_f32 (const bs_float_params *p, const float *in, float *out, size_t n);
/* The traits' quantize_pow2 for the float family. */
bool _bs_float_quantize_pow2 (const bs_float_params *p, const float *in, float *out, size_t n,
                              float inv, float sc);

extern const bs_float_params _bs_fp16_params;
extern const bs_float_params _bs_e4m3_params;

/* Round a double to fp16 / fp32 (RNE, IEEE overflow to inf) — accumulators. */
double _bs_round_fp16 (double x);

/* Log family internals shared by log.c and elma.c: 2^(j/2^14) as a
 * double-double; x split into sign and log2 code L (in units of the format's
 * log fraction); the format's log-fraction bits. */
void _bs_log_exp2_dd (int j, double *hi, double *lo);
int _bs_log_split (const bs_format *f, double x, bool *neg, int32_t *L);
int _bs_log_frac_bits (const bs_format *f);

/* Exact accumulators implemented by their families. */
int _bs_posit_dot_quire (const bs_format *f, const double *qa, const double *qb, size_t n,
                         bs_dot_result *r, char *err, size_t errlen);   /* posit.c */
int _bs_log_dot_elma (const bs_format *f, const double *qa, const double *qb, size_t n,
                      bs_dot_result *r, char *err, size_t errlen);     /* log.c */
/* Log formats with exact products: log-domain exponents added exactly, each
 * product converted to linear at full precision, summed in a Kulisch register,
 * rounded once into the format.  Shows what ELMA's approximations cost. */
int _bs_log_dot_kulisch (const bs_format *f, const double *qa, const double *qb, size_t n,
                         bs_dot_result *r, char *err, size_t errlen);  /* log.c */
