/* bs-dot-simd.h — vector inner loops of the dot kernels (private to
 * engine/formats; see dot-elma8-simd.c). */
#pragma once

#include "bs-dot-kernel.h"

#include <stdint.h>

/* The ELMA log8 tile: four rows of A by sixteen of B. */
#define ELMA8_TILE_ROWS 4
#define ELMA8_TILE_COLS 16

/* The vector key of an ELMA log8 key (dot-elma8-simd.c): elma.c's nonzero
 * keys u = L + 192 ≤ 384 with the sign in bit 11 become
 * u << 48 | sign << 63 | (u & 15); zero (900, ± 2048) and NaN (bit 13),
 * whose low bits are above 384, the zero key 3673 << 52. */
#define ELMA8_VKEY_ZERO ((uint64_t) 3673 << 52)

static inline uint64_t
_bs_elma8_vkey (int16_t key)
{
  uint64_t u = (uint64_t) (key & 2047), sign = (uint64_t) ((key >> 11) & 1);

  if (u > 384 || (key & 8192))
    return ELMA8_VKEY_ZERO;
  return u << 48 | sign << 63 | (u & 15);
}

/* out[i] = _bs_elma8_vkey (x[i]), i < n, with vector instructions where
 * they are in use. */
void _bs_elma8_vkeys (const int16_t *x, int64_t n, uint64_t *out);

/* The operands of a tile as vector keys: ELMA8_TILE_ROWS rows of x
 * (leading dimension ld; rows past `rows` zero) into xv, row after row (kk
 * keys each; lda = kk for the tile); ELMA8_TILE_COLS rows of p into a panel
 * pv[t·16 + c]. */
void _bs_elma8_simd_rows (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, uint64_t *xv);
void _bs_elma8_simd_panel (const int16_t *p, int64_t ld, int64_t rows, int64_t kk,
                           uint64_t *pv);

/* The value an ELMA log8 register content acc (inside the register) is
 * emitted as, by index: |acc| < 2^8 at ELMA8_VAL_SMALL (negative, |acc|),
 * else ELMA8_VAL_BIG (negative, p, the 7 bits below the leading one at p,
 * whether any lower bit is set). */
#define ELMA8_VAL_SMALL(neg, mag) ((neg) * 256 + (mag))
#define ELMA8_VAL_BIG(neg, p, bits, sticky) \
  (512 + (((neg) * 38 + (p)) * 128 + (bits)) * 2 + (sticky))
#define ELMA8_VAL_N (512 + 2 * 38 * 128 * 2)

/* The t < kk where some of the `rows` rows of x (leading dimension ld)
 * holds a nonzero value, in order, into ts; returns how many. */
int64_t _bs_elma8_simd_live (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, int32_t *ts);

/* A tile: sums[r][c] = Σ_t increment (A row r, B column c) over the t
 * listed in ts[0…nt) — the caller leaves out the t where every row of A
 * holds zero — the register's content, for A's keys av (row r at av + r·lda)
 * and B's panel bv[t·16 + c] (_bs_elma8_simd_rows, _bs_elma8_simd_panel),
 * unless sums is NULL; h[f] = (32 + p[f]) / 32; and vals[r][c] = value[index
 * of the sum]
 * (value: ELMA8_VAL_N entries, see above).  Only for blocks where no
 * partial sum can leave the register; `small` says that some nonzero
 * product may have e_u = (ua + ub) >> 4 below 5 (increments that are not
 * integers before their floor).  Returns 1, or 0 (nothing done) when no
 * vector unit is in use. */
int _bs_elma8_simd_tile (const uint64_t *av, int64_t lda, const uint64_t *bv, const int32_t *ts,
                         int64_t nt, const double *h, bool small, const double *value,
                         int64_t sums[ELMA8_TILE_ROWS][ELMA8_TILE_COLS],
                         double vals[ELMA8_TILE_ROWS][ELMA8_TILE_COLS]);

/* mn[t] for t < kk: the smallest low bits u ≤ 384 of a nonzero value's key
 * in the `rows` rows of x at t (leading dimension ld), 1000 where none
 * holds one.  Unless nan is NULL, also each row r's facts: whether it holds
 * NaN's key (bit 13), and the largest and smallest low bits of its nonzero
 * values' keys (-1000 and 1000 without one). */
void _bs_elma8_simd_rmin (const int16_t *x, int64_t ld, int64_t rows, int64_t kk, int16_t *mn,
                          bool *nan, int *mx, int *mnr);

/* The t < kk with mn[t] ≤ 384 (a live t, as _bs_elma8_simd_live finds
 * them), in order: into slow[0…*ns) those with mn[t] + pm[t] < lim, into
 * fast[0…*nf) the rest (all of them when pm is NULL). */
void _bs_elma8_simd_split (const int16_t *mn, const int16_t *pm, int lim, int64_t kk,
                           int32_t *fast, int64_t *nf, int32_t *slow, int64_t *ns);

/* A tile as _bs_elma8_simd_tile (its values only), over the t in fast
 * without floors and those in slow with them: no nonzero product of a t in
 * fast may have e_u below 5. */
int _bs_elma8_simd_tile_split (const uint64_t *av, int64_t lda, const uint64_t *bv,
                               const int32_t *fast, int64_t nf, const int32_t *slow,
                               int64_t ns, const double *h, const double *value,
                               double vals[ELMA8_TILE_ROWS][ELMA8_TILE_COLS]);
