/* ops-conv-direct.c — Conv as direct AVX-512 loops, chosen at run time for
 * ungrouped convolutions with a horizontal stride of 1 or 2 (ops-conv.c
 * keeps im2col + OpenBLAS for every other case and every other machine).
 *
 * Why.  im2col + GEMM writes each input value kh·kw times into the patches,
 * OpenBLAS reads them again to pack them, the product is filled with the
 * bias first and, for small images, copied out again: on the bundled ResNet
 * half the time went to those passes, not to multiply-adds.  Here the input
 * is read where it lies (in a zero-padded copy of one image) and each output
 * is finished in registers.
 *
 * How.  A tile is R output rows × NW output columns × 32 output channels
 * (two vectors of 16; one for a last block of ≤ 16), its R·NW·NV sums in
 * registers.  For each tap (c, ky, kx) in order one vector of weights per
 * 16 channels is loaded and each pixel's input value is broadcast into a
 * fused multiply-add: 28 FMAs for 16 loads.  The sums start at the bias and
 * are stored by a scatter into the NCHW planes (16 channels apart), after
 * the epilogue if one was asked for (bs_conv2d_fused: an Add's operand
 * gathered from the same places and added, a Relu).
 *
 * What it computes.  Every output is
 *   s = b;  for c, for ky, for kx:  s = fma (xpad[c, iy, ix], w[m, c, ky, kx], s)
 * with xpad the zero-padded input: one rounding per tap, in tap order, the
 * padding's zeros included — the same bits as that loop written with
 * fmaf (tests/test-nn-ops.c checks it), whatever the batch, the tile or the
 * machine with AVX-512.  Tiles hanging over the output's right or bottom
 * edge compute on whatever lies beyond (slack, zeroed) and store only their
 * valid pixels. */
#include "nn-private.h"
#include "bs-simd.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define OB 32   /* output channels per block (packed weights are this wide) */

/* Fewer taps per output than this and the scatters of the stores cost more
 * than the multiply-adds (a 3 × 3 kernel on one channel, a 1 × 1 on 32):
 * OpenBLAS does those better. */
#define DIRECT_MIN_TAPS 64

/* -1 unknown, else the level in use (0 im2col + OpenBLAS, 1 AVX-512) */
static atomic_int conv_level = -1;

int
bs_conv_simd (int want)
{
  int level = atomic_load (&conv_level), avail = _bs_simd_avx512 ();

  if (want < 0)
    {
      if (level < 0)
        {
          level = _bs_simd_env_off () ? 0 : avail;
          atomic_store (&conv_level, level);
        }
      return level;
    }
  level = want < avail ? want : avail;
  atomic_store (&conv_level, level);
  return level;
}

bool
_bs_conv_direct_ok (const bs_conv_dims *d)
{
  const bs_geom *g = &d->g;

  return bs_conv_simd (-1) >= 1 && d->group == 1 && (g->sw == 1 || g->sw == 2) && g->sh >= 1
         && d->c >= 1 && d->m >= 1 && g->oh >= 1 && g->ow >= 1
         && d->c * g->kh * g->kw >= DIRECT_MIN_TAPS
         /* scatter offsets are 32-bit */
         && (double) g->oh * (double) g->ow * 16 < 2e9;
}

/* The padded image's rows and columns, and the floats after it that a tile
 * hanging over the last row's end may read (its 13 columns of garbage at
 * stride 2, and some). */
static void
padded (const bs_geom *g, int64_t *hp, int64_t *wp, int64_t *slack)
{
  *hp = g->pt + g->ih + g->pb;
  *wp = g->pl + g->iw + g->pr;
  *slack = 16 * g->sw + 16;
}

size_t
_bs_conv_direct_scratch (const bs_conv_dims *d)
{
  int64_t hp, wp, slack, k = d->c * d->g.kh * d->g.kw, nob = (d->m + OB - 1) / OB;

  padded (&d->g, &hp, &wp, &slack);
  /* packed weights and bias, the padded image, 16 floats of alignment */
  return (size_t) (nob * OB * k + nob * OB + d->c * hp * wp + slack + 16);
}

#ifdef HAVE_X86
#define TARGET __attribute__ ((target ("avx512f")))

typedef struct {
  int64_t c, kh, kw;
  int64_t plane;             /* floats per padded input channel */
  int64_t row_step;          /* between the input rows of two output rows */
  int64_t ky_step, kx_step;  /* between taps */
  int64_t y_plane, ow;       /* output plane size and width */
} tile_geom;

/* One tile: R × NW pixels (input of pixel (r, w) at x0[r·row_step + w·SW]
 * for the first tap) × NV vectors of output channels; stores the first
 * rows × cols pixels and the channels in mask[v]. */
TARGET static inline __attribute__ ((always_inline)) void
tile (const tile_geom *t, const float *x0, const float *wb, const float *bias, float *y,
      const float *add, bool relu, int rows, int cols, const __mmask16 *mask, const int R,
      const int NW, const int NV, const int SW)
{
  /* fixed sizes, so that the unrolled loops keep them in registers */
  __m512 acc[28][2];
  __m512 bv[2];
  const float *wp = wb;
  const __m512i idx = _mm512_mullo_epi32 (_mm512_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                             11, 12, 13, 14, 15),
                                          _mm512_set1_epi32 ((int) t->y_plane));

  for (int v = 0; v < NV; v++)
    bv[v] = _mm512_load_ps (bias + 16 * v);
#pragma GCC unroll 28
  for (int p = 0; p < R * NW; p++)
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++)
      acc[p][v] = bv[v];

  for (int64_t c = 0; c < t->c; c++)
    for (int64_t ky = 0; ky < t->kh; ky++)
      {
        const float *xr = x0 + c * t->plane + ky * t->ky_step;
        for (int64_t kx = 0; kx < t->kw; kx++, xr += t->kx_step, wp += OB)
          {
            __m512 w[2];
#pragma GCC unroll 2
            for (int v = 0; v < NV; v++)
              w[v] = _mm512_load_ps (wp + 16 * v);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++)
#pragma GCC unroll 14
              for (int q = 0; q < NW; q++)
                {
                  __m512 xv = _mm512_set1_ps (xr[r * t->row_step + q * SW]);
#pragma GCC unroll 2
                  for (int v = 0; v < NV; v++)
                    acc[r * NW + q][v] = _mm512_fmadd_ps (xv, w[v], acc[r * NW + q][v]);
                }
          }
      }

  /* the epilogue: + add (the Add node's one rounding), then the Relu's
   * x < 0 ? 0 : x (-0 and NaN pass) */
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 14
    for (int q = 0; q < NW; q++)
      if (r < rows && q < cols)
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++)
          {
            int64_t off = 16 * v * t->y_plane + r * t->ow + q;
            __m512 o = acc[r * NW + q][v];
            if (add)
              o = _mm512_add_ps (o, _mm512_mask_i32gather_ps (_mm512_setzero_ps (), mask[v], idx,
                                                              add + off, 4));
            if (relu)
              o = _mm512_mask_mov_ps (o, _mm512_cmp_ps_mask (o, _mm512_setzero_ps (),
                                                             _CMP_LT_OQ),
                                      _mm512_setzero_ps ());
            _mm512_mask_i32scatter_ps (y + off, mask[v], idx, o, 4);
          }
}

/* The tiles of one block of output channels of one image: R rows at a
 * time, a last odd row on its own (half a tile of garbage would cost as
 * much as a row of outputs). */
TARGET static inline __attribute__ ((always_inline)) void
block (const tile_geom *t, const bs_geom *g, const float *xp, const float *wb, const float *bias,
       float *y, const float *add, bool relu, const __mmask16 *mask, const int R, const int NW,
       const int NV, const int SW)
{
  for (int64_t oy = 0; oy < g->oh; oy += R)
    for (int64_t ox = 0; ox < g->ow; ox += NW)
      {
        int cols = (int) (g->ow - ox < NW ? g->ow - ox : NW);
        const float *x0 = xp + oy * t->row_step + ox * SW;
        float *y0 = y + oy * g->ow + ox;
        const float *a0 = add ? add + oy * g->ow + ox : NULL;
        if (R > 1 && g->oh - oy < R)
          tile (t, x0, wb, bias, y0, a0, relu, 1, cols, mask, 1, NW, NV, SW);
        else
          tile (t, x0, wb, bias, y0, a0, relu, R, cols, mask, R, NW, NV, SW);
      }
}

/* Tile shapes: rows of more than 7 outputs in tiles of 1 × 14, narrower
 * ones two rows at a time (7 × 7 outputs: 2 × 7). */
#define BLOCK_CASES(NV, SW)                                                   \
  do                                                                          \
    {                                                                         \
      if (g->ow > 7)                                                          \
        block (&t, g, xp, wb, bias, yb, add, relu, mask, 1, 14, NV, SW);      \
      else                                                                    \
        block (&t, g, xp, wb, bias, yb, add, relu, mask, 2, 7, NV, SW);       \
    }                                                                         \
  while (0)

TARGET static void
run_block (const tile_geom *tg, const bs_geom *g, const float *xp, const float *wb,
           const float *bias, float *yb, const float *add, bool relu, int64_t m_valid)
{
  tile_geom t = *tg;
  __mmask16 mask[2];
  int nv = m_valid > 16 ? 2 : 1;

  mask[0] = (__mmask16) (m_valid >= 16 ? 0xffff : (1u << m_valid) - 1);
  mask[1] = (__mmask16) (m_valid >= 32 ? 0xffff : m_valid > 16 ? (1u << (m_valid - 16)) - 1 : 0);
  if (nv == 2 && g->sw == 1)
    BLOCK_CASES (2, 1);
  else if (nv == 2)
    BLOCK_CASES (2, 2);
  else if (g->sw == 1)
    BLOCK_CASES (1, 1);
  else
    BLOCK_CASES (1, 2);
}
#endif

void
_bs_conv_direct (const bs_conv_dims *d, const float *x, const float *w, const float *b,
                 const float *add, bool relu, float *y, float *scratch)
{
#ifdef HAVE_X86
  const bs_geom *g = &d->g;
  int64_t hp, wp, slack, k = d->c * g->kh * g->kw, nob = (d->m + OB - 1) / OB;
  int64_t p = g->oh * g->ow;
  float *wpk = (float *) (((uintptr_t) scratch + 63) & ~(uintptr_t) 63);
  float *bpk = wpk + nob * OB * k, *xp = bpk + nob * OB;
  tile_geom t;

  padded (g, &hp, &wp, &slack);
  /* weights [block][c][ky][kx][32 channels], zeros past m; bias likewise */
  for (int64_t ob = 0; ob < nob; ob++)
    for (int64_t j0 = 0; j0 < k; j0 += 16)
      {
        /* a 16-tap × 32-channel block at a time, so that both sides stay in
         * the L1 cache (taps one channel after another write a line each) */
        int64_t nj = k - j0 < 16 ? k - j0 : 16;
        float *dst = wpk + (ob * k + j0) * OB;
        for (int64_t o = 0; o < OB; o++)
          {
            int64_t m = ob * OB + o;
            for (int64_t j = 0; j < nj; j++)
              dst[j * OB + o] = m < d->m ? w[m * k + j0 + j] : 0.0f;
          }
      }
  for (int64_t m = 0; m < nob * OB; m++)
    bpk[m] = m < d->m && b ? b[m] : 0.0f;
  /* the padding and the slack stay zero; each image fills the inside */
  memset (xp, 0, (size_t) (d->c * hp * wp + slack) * sizeof *xp);

  t.c = d->c;
  t.kh = g->kh;
  t.kw = g->kw;
  t.plane = hp * wp;
  t.row_step = g->sh * wp;
  t.ky_step = g->dh * wp;
  t.kx_step = g->dw;
  t.y_plane = p;
  t.ow = g->ow;
  for (int64_t n = 0; n < d->n; n++)
    {
      const float *xn = x + n * d->c * g->ih * g->iw;
      for (int64_t c = 0; c < d->c; c++)
        for (int64_t iy = 0; iy < g->ih; iy++)
          memcpy (xp + c * hp * wp + (iy + g->pt) * wp + g->pl, xn + (c * g->ih + iy) * g->iw,
                  (size_t) g->iw * sizeof *xp);
      for (int64_t ob = 0; ob < nob; ob++)
        {
          int64_t off = (n * d->m + ob * OB) * p;
          run_block (&t, g, xp, wpk + ob * k * OB, bpk + ob * OB, y + off, add ? add + off : NULL,
                     relu, d->m - ob * OB);
        }
    }
#else
  (void) d, (void) x, (void) w, (void) b, (void) add, (void) relu, (void) y, (void) scratch;
  abort ();   /* _bs_conv_direct_ok said no */
#endif
}
