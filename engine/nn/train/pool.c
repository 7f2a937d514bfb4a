/* pool.c — the trainer's worker threads, scratch buffers, random numbers and
 * the ordered reduction of per-thread partial sums. */
#include "train-private.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
_tr_fail (char *err, size_t errlen, const char *fmt, ...)
{
  if (err && errlen)
    {
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (err, errlen, fmt, ap);
      va_end (ap);
    }
  return -1;
}

/* Random numbers ------------------------------------------------------------ */

uint64_t
_tr_splitmix64 (uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double
_tr_uniform (uint64_t *s)
{
  return (double) (_tr_splitmix64 (s) >> 11) * 0x1.0p-53;
}

/* Box–Muller on (0, 1] × [0, 1): the log never sees 0. */
double
_tr_normal (uint64_t *s)
{
  double u1 = 1.0 - _tr_uniform (s);
  double u2 = _tr_uniform (s);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * M_PI * u2);
}

uint64_t
_tr_mix (uint64_t seed, uint64_t a, uint64_t b)
{
  uint64_t s = seed;
  uint64_t x = _tr_splitmix64 (&s);
  s = x ^ (a * 0xd1342543de82ef95ull);
  x = _tr_splitmix64 (&s);
  s = x ^ (b * 0x9e3779b97f4a7c15ull);
  return _tr_splitmix64 (&s);
}

/* Pool ------------------------------------------------------------------------ */

struct tr_pool {
  int n;
  pthread_t *threads;
  pthread_mutex_t lock;
  pthread_cond_t go, done;
  tr_task_fn fn;
  void *ctx;
  uint64_t generation;
  int pending;
  bool quit;
};

typedef struct {
  tr_pool *p;
  int tid;
} tr_worker;

static void *
worker_main (void *arg)
{
  tr_worker *w = arg;
  tr_pool *p = w->p;
  int tid = w->tid;
  uint64_t seen = 0;

  free (w);
  for (;;)
    {
      tr_task_fn fn;
      void *ctx;

      pthread_mutex_lock (&p->lock);
      while (!p->quit && p->generation == seen)
        pthread_cond_wait (&p->go, &p->lock);
      if (p->quit)
        {
          pthread_mutex_unlock (&p->lock);
          return NULL;
        }
      seen = p->generation;
      fn = p->fn;
      ctx = p->ctx;
      pthread_mutex_unlock (&p->lock);

      fn (ctx, tid, p->n);

      pthread_mutex_lock (&p->lock);
      if (--p->pending == 0)
        pthread_cond_signal (&p->done);
      pthread_mutex_unlock (&p->lock);
    }
}

tr_pool *
_tr_pool_new (int n)
{
  tr_pool *p = calloc (1, sizeof *p);
  if (!p)
    return NULL;
  p->n = n < 1 ? 1 : n;
  pthread_mutex_init (&p->lock, NULL);
  pthread_cond_init (&p->go, NULL);
  pthread_cond_init (&p->done, NULL);
  if (p->n > 1)
    {
      p->threads = calloc ((size_t) p->n, sizeof *p->threads);
      if (!p->threads)
        {
          _tr_pool_free (p);
          return NULL;
        }
      for (int i = 1; i < p->n; i++)
        {
          tr_worker *w = malloc (sizeof *w);
          if (!w)
            {
              p->n = i;
              _tr_pool_free (p);
              return NULL;
            }
          w->p = p;
          w->tid = i;
          if (pthread_create (&p->threads[i], NULL, worker_main, w) != 0)
            {
              free (w);
              p->n = i;
              _tr_pool_free (p);
              return NULL;
            }
        }
    }
  return p;
}

void
_tr_pool_free (tr_pool *p)
{
  if (!p)
    return;
  if (p->threads)
    {
      pthread_mutex_lock (&p->lock);
      p->quit = true;
      pthread_cond_broadcast (&p->go);
      pthread_mutex_unlock (&p->lock);
      for (int i = 1; i < p->n; i++)
        pthread_join (p->threads[i], NULL);
      free (p->threads);
    }
  pthread_mutex_destroy (&p->lock);
  pthread_cond_destroy (&p->go);
  pthread_cond_destroy (&p->done);
  free (p);
}

void
_tr_pool_run (tr_pool *p, tr_task_fn fn, void *ctx)
{
  if (p->n == 1)
    {
      fn (ctx, 0, 1);
      return;
    }
  pthread_mutex_lock (&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->pending = p->n - 1;
  p->generation++;
  pthread_cond_broadcast (&p->go);
  pthread_mutex_unlock (&p->lock);

  fn (ctx, 0, p->n);

  pthread_mutex_lock (&p->lock);
  while (p->pending > 0)
    pthread_cond_wait (&p->done, &p->lock);
  pthread_mutex_unlock (&p->lock);
}

/* Scratch ----------------------------------------------------------------------- */

float *
_tr_buf_get (tr_buf *b, size_t n)
{
  if (n > b->n)
    {
      float *q = realloc (b->p, (n ? n : 1) * sizeof *q);
      if (!q)
        return NULL;
      b->p = q;
      b->n = n;
    }
  return b->p;
}

/* Ordered reductions ------------------------------------------------------------- */

typedef struct {
  bs_trainer *t;
  size_t off;
  float *dst;
  int64_t n;
} reduce_task;

/* Each thread takes a range of elements and adds the partials of every
 * thread in thread order: the result does not depend on who adds. */
static void
reduce_run (void *ctx, int tid, int nt)
{
  reduce_task *r = ctx;
  int64_t lo, hi;
  _tr_slice (r->n, tid, nt, &lo, &hi);
  for (int64_t i = lo; i < hi; i++)
    {
      float s = r->t->part[0][r->off + i];
      for (int k = 1; k < r->t->nt; k++)
        s += r->t->part[k][r->off + i];
      r->dst[i] += s;
    }
}

void
_tr_reduce_partials (bs_trainer *t, size_t off, float *dst, int64_t n)
{
  reduce_task r = { t, off, dst, n };
  if (n < 4096)
    reduce_run (&r, 0, 1);
  else
    _tr_pool_run (t->pool, reduce_run, &r);
}

void
_tr_zero_partials (bs_trainer *t, int tid, size_t n)
{
  memset (t->part[tid], 0, n * sizeof (float));
}
