/* util.c — small tools of the search: seeded random numbers, an index hash
 * set, a stable sort with context. */
#include "bs-search-private.h"

/* Random numbers ---------------------------------------------------------- */

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void
_bs_rng_seed (_bs_rng *r, uint64_t seed)
{
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64 (&seed);
}

static uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

uint64_t
_bs_rng_next (_bs_rng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

/* Rejection from the top 32 bits: the accepted range is a multiple of n. */
uint32_t
_bs_rng_below (_bs_rng *r, uint32_t n)
{
  uint32_t limit = UINT32_MAX - (UINT32_MAX % n + 1) % n;
  uint32_t x;

  do
    x = (uint32_t) (_bs_rng_next (r) >> 32);
  while (x > limit);
  return x % n;
}

double
_bs_rng_unit (_bs_rng *r)
{
  return (double) (_bs_rng_next (r) >> 11) * 0x1.0p-53;
}

/* Hash set of indices ----------------------------------------------------- */

int
_bs_hset_init (_bs_hset *s)
{
  s->cap = 64;
  s->n = 0;
  s->hash = malloc (s->cap * sizeof *s->hash);
  s->item = malloc (s->cap * sizeof *s->item);
  if (!s->hash || !s->item)
    {
      _bs_hset_free (s);
      return -1;
    }
  for (size_t i = 0; i < s->cap; i++)
    s->item[i] = SIZE_MAX;
  return 0;
}

void
_bs_hset_free (_bs_hset *s)
{
  free (s->hash);
  free (s->item);
  s->hash = NULL;
  s->item = NULL;
  s->cap = s->n = 0;
}

size_t
_bs_hset_find (const _bs_hset *s, uint64_t h, _bs_eq_fn eq, const void *key, const void *user)
{
  if (!s->cap)
    return SIZE_MAX;
  for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1))
    {
      if (s->item[i] == SIZE_MAX)
        return SIZE_MAX;
      if (s->hash[i] == h && eq (s->item[i], key, user))
        return s->item[i];
    }
}

static void
put (uint64_t *hash, size_t *item, size_t cap, uint64_t h, size_t it)
{
  size_t i = h & (cap - 1);

  while (item[i] != SIZE_MAX)
    i = (i + 1) & (cap - 1);
  hash[i] = h;
  item[i] = it;
}

int
_bs_hset_add (_bs_hset *s, uint64_t h, size_t it)
{
  if (!s->cap)
    return -1;
  if (2 * (s->n + 1) > s->cap)
    {
      size_t cap = s->cap * 2;
      uint64_t *hash = malloc (cap * sizeof *hash);
      size_t *item = malloc (cap * sizeof *item);

      if (!hash || !item)
        {
          free (hash);
          free (item);
          return -1;
        }
      for (size_t i = 0; i < cap; i++)
        item[i] = SIZE_MAX;
      for (size_t i = 0; i < s->cap; i++)
        if (s->item[i] != SIZE_MAX)
          put (hash, item, cap, s->hash[i], s->item[i]);
      free (s->hash);
      free (s->item);
      s->hash = hash;
      s->item = item;
      s->cap = cap;
    }
  put (s->hash, s->item, s->cap, h, it);
  s->n++;
  return 0;
}

/* Sorting ----------------------------------------------------------------- */

static void
merge_sort (size_t *idx, size_t *tmp, size_t n, _bs_cmp_fn cmp, const void *user)
{
  size_t h = n / 2, i = 0, j = h, k = 0;

  if (n < 2)
    return;
  merge_sort (idx, tmp, h, cmp, user);
  merge_sort (idx + h, tmp, n - h, cmp, user);
  while (i < h && j < n)
    tmp[k++] = cmp (idx[j], idx[i], user) < 0 ? idx[j++] : idx[i++];
  while (i < h)
    tmp[k++] = idx[i++];
  while (j < n)
    tmp[k++] = idx[j++];
  memcpy (idx, tmp, n * sizeof *idx);
}

int
_bs_sort_idx (size_t *idx, size_t n, _bs_cmp_fn cmp, const void *user)
{
  size_t *tmp = malloc ((n ? n : 1) * sizeof *tmp);

  if (!tmp)
    return -1;
  merge_sort (idx, tmp, n, cmp, user);
  free (tmp);
  return 0;
}

/* FNV-1a over the genes' bytes, low byte first. */
uint64_t
_bs_genome_hash (const _bs_gene *g, int n_genes)
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (int i = 0; i < n_genes; i++)
    {
      h = (h ^ (g[i] & 0xff)) * 0x100000001b3ULL;
      h = (h ^ (g[i] >> 8)) * 0x100000001b3ULL;
    }
  return h;
}
