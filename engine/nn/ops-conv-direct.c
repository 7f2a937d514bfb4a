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
 * (two vectors of 16; one for a last block of ≤ 16) — or, for rows of at
 * most 7 outputs, 1 × 7 pixels × 48 channels — its R·NW·NV sums in
 * registers.  For each tap (c, ky, kx) in order one vector of weights per
 * 16 channels is loaded and each pixel's input value is broadcast into a
 * fused multiply-add: 28 FMAs for 16 loads.  The taps are one loop, their
 * input offsets from a table: loops over c, ky and kx of 3 made GCC move
 * the sums between registers at each turn (the ResNet's 96-channel layer
 * ran at 28 GMAC/s, now 38-47, near this machine's peak).  The sums
 * start at the bias; at the end the pixels' vectors are transposed into
 * the channels' rows (16 × 16 in registers) and stored with masks into the
 * NCHW planes, after the epilogue if one was asked for (bs_conv2d_fused:
 * an Add's operand loaded from the same places and added, a Relu).  (Scatters instead of the
 * transpose cost 8 % on the ResNet, and made the stem and the 1 × 1
 * projections — 9 to 32 taps per output — slower than im2col + OpenBLAS.)
 * Convolutions of at most 32 taps per output take the pixels' path
 * instead (pixel_group: pixels along the vectors, no transpose): single
 * thread, 64 images, the ResNet's 1 × 1 stride-2 projections 703 → 479 µs
 * and 393 → 335 µs, its stem 505 → 465 µs.
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

/* Output channels per block (the packed weights are this wide): 48 for
 * rows of at most 7 outputs (a tile of 1 × 7 pixels × 3 vectors; no half
 * tile for an odd last row), else 32. */
static int64_t
block_width (const bs_conv_dims *d)
{
  return d->g.ow <= 7 && d->m > 32 ? 48 : 32;
}

/* -1 unknown, else the level in use (0 im2col + OpenBLAS, 1 AVX-512) */
static atomic_int conv_level = -1;

int
bs_conv_simd (int want)
{
  return _bs_simd_level (&conv_level, want);
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

bool
_bs_conv_direct_ok (const bs_conv_dims *d)
{
  const bs_geom *g = &d->g;
  int64_t hp, wp, slack;

  padded (g, &hp, &wp, &slack);
  /* (the taps' offsets in the padded image are 32-bit) */
  return bs_conv_simd (-1) >= 1 && d->group == 1 && (g->sw == 1 || g->sw == 2) && g->sh >= 1
         && d->c >= 1 && d->m >= 1 && g->oh >= 1 && g->ow >= 1
         && d->c * hp * wp + slack < INT32_MAX;
}

/* Packed weights kept between calls (bs_conv_pack): the weights and bias
 * they were made from, their geometry, then wpk and bpk as pack_weights
 * writes them, 64-byte aligned. */
typedef struct {
  const float *w, *b;
  int64_t k, m, width;
  float *wpk, *bpk;
} packed;

struct bs_conv_pack {
  _Atomic (packed *) p;
};

bs_conv_pack *
bs_conv_pack_new (void)
{
  bs_conv_pack *p = malloc (sizeof *p);

  if (p)
    atomic_init (&p->p, NULL);
  return p;
}

void
bs_conv_pack_reset (bs_conv_pack *p)
{
  if (p)
    free (atomic_exchange (&p->p, NULL));
}

void
bs_conv_pack_free (bs_conv_pack *p)
{
  bs_conv_pack_reset (p);
  free (p);
}

/* Convolutions of at most PV_TAPS taps per output (a 1-channel stem, 1 × 1
 * projections) take the pixels' path: their tiles would spend more time in
 * the transposes than in the multiply-adds. */
#define PV_TAPS 32
#define PV_MB 8    /* output channels per block of the pixels' path */
#define PV_NP 3    /* vectors of 16 pixels per group */

static bool
pixels_path (const bs_conv_dims *d)
{
  return d->c * d->g.kh * d->g.kw <= PV_TAPS;
}

static bool
has_padding (const bs_geom *g)
{
  return g->pt > 0 || g->pl > 0 || g->pb > 0 || g->pr > 0;
}

size_t
_bs_conv_direct_scratch (const bs_conv_dims *d)
{
  int64_t hp, wp, slack, k = d->c * d->g.kh * d->g.kw, bw = block_width (d);
  int64_t nob = (d->m + bw - 1) / bw;

  padded (&d->g, &hp, &wp, &slack);
  if (pixels_path (d))
    {
      int64_t nmb = (d->m + PV_MB - 1) / PV_MB;
      /* a group's inputs, packed weights and bias, the taps' offsets, the
       * padded image if there is padding, 16 floats of alignment */
      return (size_t) (k * 16 * PV_NP + nmb * PV_MB * (k + 1) + k
                       + (has_padding (&d->g) ? d->c * hp * wp + slack : 0) + 16);
    }
  /* packed weights and bias, the taps' offsets, the padded image, 16
   * floats of alignment */
  return (size_t) (nob * bw * k + nob * bw + k + d->c * hp * wp + slack + 16);
}

#ifdef HAVE_X86
/* Both paths' set-up.  Weights [block][c][ky][kx][width channels] and bias
 * [block][width], zeros past m; 16 taps × width channels at a time, so that
 * both sides stay in the L1 cache (taps one channel after another write a
 * line each). */
static void
pack_weights (const bs_conv_dims *d, const float *w, const float *b, int64_t width, float *wpk,
              float *bpk)
{
  int64_t k = d->c * d->g.kh * d->g.kw, nb = (d->m + width - 1) / width;

  for (int64_t ob = 0; ob < nb; ob++)
    for (int64_t j0 = 0; j0 < k; j0 += 16)
      {
        int64_t nj = k - j0 < 16 ? k - j0 : 16;
        float *dst = wpk + (ob * k + j0) * width;
        for (int64_t o = 0; o < width; o++)
          {
            int64_t m = ob * width + o;
            for (int64_t j = 0; j < nj; j++)
              dst[j * width + o] = m < d->m ? w[m * k + j0 + j] : 0.0f;
          }
      }
  for (int64_t m = 0; m < nb * width; m++)
    bpk[m] = m < d->m && b ? b[m] : 0.0f;
}

/* d's weights packed width channels wide: from pack when it holds them (or
 * can be made to), else packed into wpk_tmp / bpk_tmp. */
static void
packed_weights (const bs_conv_dims *d, const float *w, const float *b, int64_t width,
                bs_conv_pack *pack, float *wpk_tmp, float *bpk_tmp, const float **wpk,
                const float **bpk)
{
  int64_t k = d->c * d->g.kh * d->g.kw, nb = (d->m + width - 1) / width;
  packed *p = pack ? atomic_load_explicit (&pack->p, memory_order_acquire) : NULL;

  if (pack && !p)
    {
      packed *mine = malloc (sizeof *mine + (size_t) (nb * width * (k + 1) + 16) * sizeof (float));
      packed *none = NULL;
      if (mine)
        {
          mine->w = w;
          mine->b = b;
          mine->k = k;
          mine->m = d->m;
          mine->width = width;
          mine->wpk = (float *) (((uintptr_t) (mine + 1) + 63) & ~(uintptr_t) 63);
          mine->bpk = mine->wpk + nb * width * k;
          pack_weights (d, w, b, width, mine->wpk, mine->bpk);
          if (atomic_compare_exchange_strong_explicit (&pack->p, &none, mine,
                                                       memory_order_acq_rel,
                                                       memory_order_acquire))
            p = mine;
          else
            {
              /* another thread's copy won */
              free (mine);
              p = none;
            }
        }
    }
  if (p && p->w == w && p->b == b && p->k == k && p->m == d->m && p->width == width)
    {
      *wpk = p->wpk;
      *bpk = p->bpk;
      return;
    }
  pack_weights (d, w, b, width, wpk_tmp, bpk_tmp);
  *wpk = wpk_tmp;
  *bpk = bpk_tmp;
}

/* Tap (c, ky, kx)'s input offset in an image of hp × wp per channel. */
static void
tap_offsets (const bs_conv_dims *d, int64_t hp, int64_t wp, int32_t *tap)
{
  const bs_geom *g = &d->g;

  for (int64_t c = 0, j = 0; c < d->c; c++)
    for (int64_t ky = 0; ky < g->kh; ky++)
      for (int64_t kx = 0; kx < g->kw; kx++)
        tap[j++] = (int32_t) (c * hp * wp + ky * g->dh * wp + kx * g->dw);
}

/* Image xn into the inside of its zero-padded copy xp (hp × wp per
 * channel, the padding already zero). */
static void
pad_image (const bs_conv_dims *d, int64_t hp, int64_t wp, const float *xn, float *xp)
{
  const bs_geom *g = &d->g;

  for (int64_t c = 0; c < d->c; c++)
    for (int64_t iy = 0; iy < g->ih; iy++)
      memcpy (xp + c * hp * wp + (iy + g->pt) * wp + g->pl, xn + (c * g->ih + iy) * g->iw,
              (size_t) g->iw * sizeof *xp);
}

#define TARGET __attribute__ ((target ("avx512f")))

typedef struct {
  int64_t k;                 /* taps: c · kh · kw */
  const int32_t *tap;        /* tap (c, ky, kx)'s input offset from a tile's first */
  int64_t row_step;          /* between the input rows of two output rows */
  int64_t y_plane, ow;       /* output plane size and width */
  int64_t *zeros;            /* NULL, or where the zeros written are counted */
} tile_geom;

/* r[i] = row i of a 16 × 16 block → r[j] = column j: 32-bit pairs, then
 * 64-bit pairs (four rows' element per 128-bit lane), then 128-bit lanes
 * twice. */
TARGET static inline __attribute__ ((always_inline)) void
transpose16 (__m512 *r)
{
  __m512 t[16];

#pragma GCC unroll 8
  for (int i = 0; i < 8; i++)
    {
      t[2 * i] = _mm512_unpacklo_ps (r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps (r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++)
    {
      __m512d a = _mm512_castps_pd (t[4 * i]), b = _mm512_castps_pd (t[4 * i + 1]);
      __m512d c = _mm512_castps_pd (t[4 * i + 2]), d = _mm512_castps_pd (t[4 * i + 3]);
      r[4 * i] = _mm512_castpd_ps (_mm512_unpacklo_pd (a, c));
      r[4 * i + 1] = _mm512_castpd_ps (_mm512_unpackhi_pd (a, c));
      r[4 * i + 2] = _mm512_castpd_ps (_mm512_unpacklo_pd (b, d));
      r[4 * i + 3] = _mm512_castpd_ps (_mm512_unpackhi_pd (b, d));
    }
  /* r[4i + e], lane L: rows 4i…4i+3 of element 4L + e */
#pragma GCC unroll 4
  for (int e = 0; e < 4; e++)
    {
      t[e] = _mm512_shuffle_f32x4 (r[e], r[4 + e], 0x88);
      t[e + 4] = _mm512_shuffle_f32x4 (r[e], r[4 + e], 0xdd);
      t[e + 8] = _mm512_shuffle_f32x4 (r[8 + e], r[12 + e], 0x88);
      t[e + 12] = _mm512_shuffle_f32x4 (r[8 + e], r[12 + e], 0xdd);
    }
#pragma GCC unroll 4
  for (int e = 0; e < 4; e++)
    {
      r[e] = _mm512_shuffle_f32x4 (t[e], t[e + 8], 0x88);
      r[e + 8] = _mm512_shuffle_f32x4 (t[e], t[e + 8], 0xdd);
      r[e + 4] = _mm512_shuffle_f32x4 (t[e + 4], t[e + 12], 0x88);
      r[e + 12] = _mm512_shuffle_f32x4 (t[e + 4], t[e + 12], 0xdd);
    }
}

/* One tile: R × NW pixels (input of pixel (r, w) at x0[r·row_step + w·SW]
 * for the first tap) × NV vectors of output channels out of a block PW
 * wide; stores the first rows × cols pixels and the channels in mask[v]. */
TARGET static inline __attribute__ ((always_inline)) void
tile (const tile_geom *t, const float *x0, const float *wb, const float *bias, float *y,
      const float *add, bool relu, int rows, int cols, const __mmask16 *mask, const int R,
      const int NW, const int NV, const int SW, const int PW)
{
  /* fixed sizes, so that the unrolled loops keep them in registers */
  __m512 acc[28][3];
  __m512 bv[3];
  const float *wp = wb;
  int64_t nz = 0;

  for (int v = 0; v < NV; v++)
    bv[v] = _mm512_load_ps (bias + 16 * v);
#pragma GCC unroll 28
  for (int p = 0; p < R * NW; p++)
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++)
      acc[p][v] = bv[v];

  /* one loop over the taps, their offsets from a table (nested loops over
   * c, ky, kx of 3 cost a third of the speed: register moves between them) */
  const float *xrow[2] = { x0, x0 + (R > 1 ? t->row_step : 0) };
  for (int64_t j = 0; j < t->k; j++, wp += PW)
    {
      int64_t o = t->tap[j];
      __m512 w[3];
#pragma GCC unroll 3
      for (int v = 0; v < NV; v++)
        w[v] = _mm512_load_ps (wp + 16 * v);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++)
#pragma GCC unroll 14
        for (int q = 0; q < NW; q++)
          {
            __m512 xv = _mm512_set1_ps (xrow[r][o + q * SW]);
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++)
              acc[r * NW + q][v] = _mm512_fmadd_ps (xv, w[v], acc[r * NW + q][v]);
          }
    }

  /* 16 channels at a time: the pixels' vectors transposed into the
   * channels' rows (zeros for missing pixels), each row stored with a mask
   * — R = 2: lanes [0, NW) to the first output row, [NW, 2·NW) shifted
   * down to the second — after the epilogue: + add (the Add node's one
   * rounding), then the Relu's x < 0 ? 0 : x (-0 and NaN pass). */
#pragma GCC unroll 3
  for (int v = 0; v < NV; v++)
    {
      __m512 c[16];
      __mmask16 m = (__mmask16) ((1u << cols) - 1);
#pragma GCC unroll 16
      for (int p = 0; p < 16; p++)
        c[p] = p < R * NW ? acc[p][v] : _mm512_setzero_ps ();
      transpose16 (c);
      for (int i = 0; i < 16; i++)
        if (mask[v] >> i & 1)
#pragma GCC unroll 2
          for (int r = 0; r < R; r++)
            if (r < rows)
              {
                int64_t off = (16 * v + i) * t->y_plane + r * t->ow;
                __m512 o = r ? _mm512_castsi512_ps (_mm512_alignr_epi32 (
                                 _mm512_setzero_si512 (), _mm512_castps_si512 (c[i]), NW))
                             : c[i];
                if (add)
                  o = _mm512_add_ps (o, _mm512_maskz_loadu_ps (m, add + off));
                if (relu)
                  o = _mm512_mask_mov_ps (o, _mm512_cmp_ps_mask (o, _mm512_setzero_ps (),
                                                                 _CMP_LT_OQ),
                                          _mm512_setzero_ps ());
                _mm512_mask_storeu_ps (y + off, m, o);
                if (t->zeros)
                  nz += __builtin_popcount (
                      _mm512_mask_cmp_ps_mask (m, o, _mm512_setzero_ps (), _CMP_EQ_OQ));
              }
    }
  if (t->zeros)
    *t->zeros += nz;
}

/* The tiles of one block of output channels of one image: R rows at a
 * time, a last odd row on its own (half a tile of garbage would cost as
 * much as a row of outputs). */
TARGET static inline __attribute__ ((always_inline)) void
block (const tile_geom *t, const bs_geom *g, const float *xp, const float *wb, const float *bias,
       float *y, const float *add, bool relu, const __mmask16 *mask, const int R, const int NW,
       const int NV, const int SW, const int PW)
{
  for (int64_t oy = 0; oy < g->oh; oy += R)
    for (int64_t ox = 0; ox < g->ow; ox += NW)
      {
        int cols = (int) (g->ow - ox < NW ? g->ow - ox : NW);
        const float *x0 = xp + oy * t->row_step + ox * SW;
        float *y0 = y + oy * g->ow + ox;
        const float *a0 = add ? add + oy * g->ow + ox : NULL;
        if (R > 1 && g->oh - oy < R)
          tile (t, x0, wb, bias, y0, a0, relu, 1, cols, mask, 1, NW, NV, SW, PW);
        else
          tile (t, x0, wb, bias, y0, a0, relu, R, cols, mask, R, NW, NV, SW, PW);
      }
}

/* Tile shapes: blocks 48 wide (rows of ≤ 7 outputs) one row of 7 at a
 * time; blocks 32 wide in tiles of 1 × 14 for rows of more than 7 outputs,
 * else two rows at a time (7 × 7 outputs: 2 × 7). */
#define BLOCK_CASES(NV, SW, PW)                                                 \
  do                                                                            \
    {                                                                           \
      if (PW == 48)                                                             \
        block (t, g, xp, wb, bias, yb, add, relu, mask, 1, 7, NV, SW, 48);      \
      else if (g->ow > 7)                                                       \
        block (t, g, xp, wb, bias, yb, add, relu, mask, 1, 14, NV, SW, 32);     \
      else                                                                      \
        block (t, g, xp, wb, bias, yb, add, relu, mask, 2, 7, NV, SW, 32);      \
    }                                                                           \
  while (0)

#define SW_CASES(NV, PW)                                                        \
  do                                                                            \
    {                                                                           \
      if (g->sw == 1)                                                           \
        BLOCK_CASES (NV, 1, PW);                                                \
      else                                                                      \
        BLOCK_CASES (NV, 2, PW);                                                \
    }                                                                           \
  while (0)

TARGET static void
run_block (const tile_geom *t, const bs_geom *g, const float *xp, const float *wb,
           const float *bias, float *yb, const float *add, bool relu, int64_t m_valid, int pw)
{
  __mmask16 mask[3];
  int nv = (int) ((m_valid < pw ? m_valid : pw) + 15) / 16;

  for (int v = 0; v < 3; v++)
    {
      int64_t left = m_valid - 16 * v;
      mask[v] = (__mmask16) (left >= 16 ? 0xffff : left > 0 ? (1u << left) - 1 : 0);
    }
  if (pw == 48 && nv == 3)
    SW_CASES (3, 48);
  else if (pw == 48 && nv == 2)
    SW_CASES (2, 48);
  else if (pw == 48)
    SW_CASES (1, 48);
  else if (nv == 2)
    SW_CASES (2, 32);
  else
    SW_CASES (1, 32);
}

/* The pixels' path.  A group is NP vectors of 16 output pixels, in the
 * order of the output plane (rows run on into the next); for each tap the
 * group's inputs are loaded once into X (k × 48 floats, in the L1 cache),
 * a vector's lanes row by row — a masked expanding load of contiguous
 * inputs at stride 1, the even elements of two masked loads at stride 2
 * (gathers cost 30 cycles each here: the microcode's mitigation of Gather
 * Data Sampling) — then for each block of 8 output channels the sums —
 * 8 × NP vectors, starting at the bias — take one fused multiply-add per
 * tap in (c, ky, kx) order, the tap's weight broadcast: the same bits as
 * the tiles.  The sums are rows of the output planes already: stored with
 * a mask after the epilogue, no transpose. */
typedef struct {
  int64_t k, m, p;           /* taps, output channels, pixels per plane */
  int64_t ow, row_step, sw;  /* output width; input floats between two output rows, columns */
  const int32_t *tap;        /* tap (c, ky, kx)'s input offset */
  const float *w, *bias;     /* [block of 8][tap][8], [block][8] */
  float *X;                  /* [tap][16 · NP], 64-byte aligned */
  int64_t *zeros;            /* NULL, or where the zeros written are counted */
} pixel_geom;

/* Lanes [a, b) of a vector lie in one output row; their inputs start at
 * off (for the first tap). */
typedef struct {
  __mmask16 lanes;
  int n;                     /* b − a */
  int32_t off;
} row_seg;

TARGET static inline __attribute__ ((always_inline)) void
pixel_group (const pixel_geom *t, const float *base, int64_t p0, float *y, const float *add,
             bool relu, const int NP, const int SW)
{
  row_seg seg[PV_NP][16];
  int nseg[PV_NP];
  __mmask16 keep[PV_NP];
  int64_t nz = 0;

#pragma GCC unroll 3
  for (int v = 0; v < NP; v++)
    {
      int64_t q = p0 + 16 * v, end = q + 16 < t->p ? q + 16 : t->p;
      keep[v] = (__mmask16) (end - q >= 16 ? 0xffff : end > q ? (1u << (end - q)) - 1 : 0);
      nseg[v] = 0;
      while (q < end)
        {
          int64_t oy = q / t->ow, ox = q % t->ow;
          int64_t n = t->ow - ox < end - q ? t->ow - ox : end - q;
          int a = (int) (q - p0 - 16 * v);
          seg[v][nseg[v]].lanes = (__mmask16) (((1u << n) - 1) << a);
          seg[v][nseg[v]].n = (int) n;
          seg[v][nseg[v]].off = (int32_t) (oy * t->row_step + ox * SW);
          nseg[v]++;
          q += n;
        }
    }
  for (int64_t j = 0; j < t->k; j++)
    {
      const float *bj = base + t->tap[j];
#pragma GCC unroll 3
      for (int v = 0; v < NP; v++)
        {
          __m512 xv = _mm512_setzero_ps ();
          for (int i = 0; i < nseg[v]; i++)
            {
              const row_seg *r = &seg[v][i];
              if (SW == 1)
                xv = _mm512_mask_expandloadu_ps (xv, r->lanes, bj + r->off);
              else
                {
                  /* elements 0, 2, …, 2n − 2 of the row from r->off */
                  int m = 2 * r->n - 1;
                  __m512 lo = _mm512_maskz_loadu_ps ((__mmask16) (m >= 16 ? 0xffff : (1u << m) - 1),
                                                     bj + r->off);
                  __m512 hi = _mm512_maskz_loadu_ps ((__mmask16) (m > 16 ? (1u << (m - 16)) - 1 : 0),
                                                     bj + r->off + 16);
                  __m512 ev = _mm512_permutex2var_ps (
                      lo, _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0),
                      hi);
                  xv = _mm512_mask_expand_ps (xv, r->lanes, ev);
                }
            }
          _mm512_store_ps (t->X + j * 16 * PV_NP + 16 * v, xv);
        }
    }

  for (int64_t m0 = 0; m0 < t->m; m0 += PV_MB)
    {
      const float *wq = t->w + m0 * t->k;
      __m512 acc[PV_MB][PV_NP];

#pragma GCC unroll 8
      for (int i = 0; i < PV_MB; i++)
#pragma GCC unroll 3
        for (int v = 0; v < NP; v++)
          acc[i][v] = _mm512_set1_ps (t->bias[m0 + i]);
      for (int64_t j = 0; j < t->k; j++, wq += PV_MB)
        {
          __m512 xv[PV_NP];
#pragma GCC unroll 3
          for (int v = 0; v < NP; v++)
            xv[v] = _mm512_load_ps (t->X + j * 16 * PV_NP + 16 * v);
#pragma GCC unroll 8
          for (int i = 0; i < PV_MB; i++)
            {
              __m512 wv = _mm512_set1_ps (wq[i]);
#pragma GCC unroll 3
              for (int v = 0; v < NP; v++)
                acc[i][v] = _mm512_fmadd_ps (xv[v], wv, acc[i][v]);
            }
        }
#pragma GCC unroll 8
      for (int i = 0; i < PV_MB; i++)
        if (m0 + i < t->m)
#pragma GCC unroll 3
          for (int v = 0; v < NP; v++)
            {
              int64_t o = (m0 + i) * t->p + p0 + 16 * v;
              __m512 r = acc[i][v];
              if (add)
                r = _mm512_add_ps (r, _mm512_maskz_loadu_ps (keep[v], add + o));
              if (relu)
                r = _mm512_mask_mov_ps (r, _mm512_cmp_ps_mask (r, _mm512_setzero_ps (), _CMP_LT_OQ),
                                        _mm512_setzero_ps ());
              _mm512_mask_storeu_ps (y + o, keep[v], r);
              if (t->zeros)
                nz += __builtin_popcount (
                    _mm512_mask_cmp_ps_mask (keep[v], r, _mm512_setzero_ps (), _CMP_EQ_OQ));
            }
    }
  if (t->zeros)
    *t->zeros += nz;
}

/* One image: groups of 48 pixels, the last of 16 or 32 if that covers it. */
TARGET static inline __attribute__ ((always_inline)) void
pixel_image_sw (const pixel_geom *t, const float *base, float *y, const float *add, bool relu,
                const int SW)
{
  int64_t p0 = 0;

  for (; p0 + 16 * PV_NP <= t->p; p0 += 16 * PV_NP)
    pixel_group (t, base, p0, y, add, relu, 3, SW);
  if (t->p - p0 > 32)
    pixel_group (t, base, p0, y, add, relu, 3, SW);
  else if (t->p - p0 > 16)
    pixel_group (t, base, p0, y, add, relu, 2, SW);
  else if (t->p - p0 > 0)
    pixel_group (t, base, p0, y, add, relu, 1, SW);
}

TARGET static void
pixel_image (const pixel_geom *t, const float *base, float *y, const float *add, bool relu)
{
  if (t->sw == 1)
    pixel_image_sw (t, base, y, add, relu, 1);
  else
    pixel_image_sw (t, base, y, add, relu, 2);
}

static void
conv_pixels (const bs_conv_dims *d, const float *x, const float *w, const float *b,
             bs_conv_pack *pack, const float *add, bool relu, float *y, float *scratch,
             int64_t *zeros)
{
  const bs_geom *g = &d->g;
  int64_t hp, wp, slack, k = d->c * g->kh * g->kw, p = g->oh * g->ow;
  int64_t nmb = (d->m + PV_MB - 1) / PV_MB;
  bool pad = has_padding (g);
  float *X = (float *) (((uintptr_t) scratch + 63) & ~(uintptr_t) 63);
  float *wtmp = X + k * 16 * PV_NP, *btmp = wtmp + nmb * PV_MB * k;
  const float *wpk, *bpk;
  int32_t *tap = (int32_t *) (btmp + nmb * PV_MB);
  float *xp = (float *) (tap + k);
  pixel_geom t;

  /* (without padding the taps read the image where it lies: hp × wp is
   * then ih × iw) */
  padded (g, &hp, &wp, &slack);
  packed_weights (d, w, b, PV_MB, pack, wtmp, btmp, &wpk, &bpk);
  tap_offsets (d, hp, wp, tap);
  if (pad)
    memset (xp, 0, (size_t) (d->c * hp * wp + slack) * sizeof *xp);

  t.k = k;
  t.m = d->m;
  t.p = p;
  t.ow = g->ow;
  t.row_step = g->sh * wp;
  t.sw = g->sw;
  t.tap = tap;
  t.w = wpk;
  t.bias = bpk;
  t.X = X;
  t.zeros = zeros;
  for (int64_t n = 0; n < d->n; n++)
    {
      const float *xn = x + n * d->c * g->ih * g->iw;
      int64_t off = n * d->m * p;
      if (pad)
        pad_image (d, hp, wp, xn, xp);
      pixel_image (&t, pad ? xp : xn, y + off, add ? add + off : NULL, relu);
    }
}
#endif

void
_bs_conv_direct (const bs_conv_dims *d, const float *x, const float *w, const float *b,
                 bs_conv_pack *pack, const float *add, bool relu, float *y, float *scratch,
                 int64_t *zeros)
{
#ifdef HAVE_X86
  if (pixels_path (d))
    {
      conv_pixels (d, x, w, b, pack, add, relu, y, scratch, zeros);
      return;
    }
  const bs_geom *g = &d->g;
  int64_t hp, wp, slack, k = d->c * g->kh * g->kw, bw = block_width (d);
  int64_t nob = (d->m + bw - 1) / bw, p = g->oh * g->ow;
  float *wtmp = (float *) (((uintptr_t) scratch + 63) & ~(uintptr_t) 63);
  float *btmp = wtmp + nob * bw * k, *xp = btmp + nob * bw + k;
  int32_t *tap = (int32_t *) (btmp + nob * bw);
  const float *wpk, *bpk;
  tile_geom t;

  padded (g, &hp, &wp, &slack);
  packed_weights (d, w, b, bw, pack, wtmp, btmp, &wpk, &bpk);
  /* the padding and the slack stay zero; each image fills the inside */
  memset (xp, 0, (size_t) (d->c * hp * wp + slack) * sizeof *xp);
  tap_offsets (d, hp, wp, tap);
  t.k = k;
  t.tap = tap;
  t.row_step = g->sh * wp;
  t.y_plane = p;
  t.ow = g->ow;
  t.zeros = zeros;
  for (int64_t n = 0; n < d->n; n++)
    {
      pad_image (d, hp, wp, x + n * d->c * g->ih * g->iw, xp);
      for (int64_t ob = 0; ob < nob; ob++)
        {
          int64_t off = (n * d->m + ob * bw) * p;
          run_block (&t, g, xp, wpk + ob * k * bw, bpk + ob * bw, y + off, add ? add + off : NULL,
                     relu, d->m - ob * bw, (int) bw);
        }
    }
#else
  (void) d, (void) x, (void) w, (void) b, (void) add, (void) relu, (void) y, (void) scratch;
  (void) pack, (void) zeros;
  abort ();   /* _bs_conv_direct_ok said no */
#endif
}
