/* graph-run.c — batched runs: fixed-size chunks of the batch on worker
 * threads, each with its own exec. */
#include "nn-private.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  const bs_graph *g;
  const bs_tensor *input;
  int64_t n, chunk, n_chunks, per;   /* images, chunk size, chunks, floats per image */
  bs_chunk_fn fn;
  void *user;
  pthread_mutex_t lock;
  int64_t next;
  bool failed;
  char err[320];
} run_ctx;

typedef struct {
  run_ctx *ctx;
  int index;
} worker_arg;

static void
fail_once (run_ctx *c, const char *msg)
{
  pthread_mutex_lock (&c->lock);
  if (!c->failed)
    {
      c->failed = true;
      snprintf (c->err, sizeof c->err, "%s", msg);
    }
  pthread_mutex_unlock (&c->lock);
}

static bs_exec *
exec_for (run_ctx *c, int64_t count, char *err, size_t errlen)
{
  bs_shape s = c->input->shape;
  s.dims[0] = count;
  return bs_exec_new (c->g, &s, err, errlen);
}

/* Take chunks in order until none is left or a chunk failed.  Two execs per
 * worker: one for full chunks, one for the shorter last chunk. */
static void *
worker (void *p)
{
  worker_arg *a = p;
  run_ctx *c = a->ctx;
  bs_exec *full = NULL, *tail = NULL;
  char err[300];

  for (;;)
    {
      int64_t k, first, count;
      bs_exec **x;

      pthread_mutex_lock (&c->lock);
      k = c->failed ? c->n_chunks : c->next++;
      pthread_mutex_unlock (&c->lock);
      if (k >= c->n_chunks)
        break;
      first = k * c->chunk;
      count = c->n - first < c->chunk ? c->n - first : c->chunk;
      x = count == c->chunk ? &full : &tail;
      if (!*x && !(*x = exec_for (c, count, err, sizeof err)))
        {
          fail_once (c, err);
          break;
        }
      if (bs_exec_set_input (*x, 0, bs_tensor_f32 (c->input) + first * c->per, count * c->per,
                             err, sizeof err) < 0
          || c->fn (c->user, *x, first, count, a->index, err, sizeof err) < 0)
        {
          fail_once (c, err);
          break;
        }
    }
  bs_exec_free (full);
  bs_exec_free (tail);
  return NULL;
}

int
bs_graph_foreach_chunk (const bs_graph *g, const bs_tensor *input, const bs_run_opts *o,
                        bs_chunk_fn fn, void *user, char *err, size_t errlen)
{
  run_ctx c = { 0 };
  int nt = o ? o->n_threads : 0, started = 0;
  pthread_t th[64];
  worker_arg args[64];

  if (g->n_inputs != 1)
    return _bs_nn_fail (err, errlen, "batched runs need a graph with one input (it has %d)",
                        g->n_inputs);
  if (input->dtype != BS_DT_FLOAT || input->shape.ndim < 1 || !input->data)
    return _bs_nn_fail (err, errlen, "input must be a float tensor [N, ...]");
  c.g = g;
  c.input = input;
  c.n = input->shape.dims[0];
  c.chunk = o && o->chunk > 0 ? o->chunk : 32;
  c.n_chunks = (c.n + c.chunk - 1) / c.chunk;
  c.per = c.n ? bs_tensor_numel (input) / c.n : 0;
  c.fn = fn;
  c.user = user;
  if (nt <= 0)
    {
      long cpus = sysconf (_SC_NPROCESSORS_ONLN);
      nt = cpus > 0 ? (int) cpus : 1;
    }
  if (nt > 64)
    nt = 64;
  if (nt > c.n_chunks)
    nt = (int) (c.n_chunks ? c.n_chunks : 1);
  pthread_mutex_init (&c.lock, NULL);
  for (int i = 0; i < nt; i++)
    args[i] = (worker_arg) { &c, i };
  /* the calling thread is worker 0 */
  for (int i = 1; i < nt; i++)
    {
      if (pthread_create (&th[i], NULL, worker, &args[i]) != 0)
        break;
      started = i;
    }
  worker (&args[0]);
  for (int i = 1; i <= started; i++)
    pthread_join (th[i], NULL);
  pthread_mutex_destroy (&c.lock);
  if (c.failed)
    return _bs_nn_fail (err, errlen, "%s", c.err);
  return 0;
}

typedef struct {
  int n_outputs;
  bs_tensor *outputs;
  int64_t *per;    /* floats per image of each output */
} run_user;

static int
run_chunk (void *user, bs_exec *x, int64_t first, int64_t count, int thread, char *err,
           size_t errlen)
{
  run_user *u = user;
  const bs_graph *g = bs_exec_graph (x);

  if (bs_exec_run (x, err, errlen) < 0)
    return -1;
  for (int k = 0; k < u->n_outputs; k++)
    {
      const bs_tensor *t = bs_exec_tensor (x, g->outputs[k]);
      if (t->shape.ndim < 1 || t->shape.dims[0] != count)
        return _bs_nn_fail (err, errlen, "output '%s' does not have the batch as its first dim",
                            g->values[g->outputs[k]].name);
      memcpy (bs_tensor_f32 (&u->outputs[k]) + first * u->per[k], t->data,
              (size_t) (count * u->per[k]) * sizeof (float));
    }
  return 0;
}

/* Whether every output keeps a batch of in->dims[0] as its first dim. */
static bool
batches (const bs_graph *g, const bs_shape *in, bs_shape *shapes, int n_outputs)
{
  if (bs_graph_infer_shapes (g, in, shapes, NULL, 0) < 0)
    return false;
  for (int k = 0; k < n_outputs; k++)
    if (shapes[g->outputs[k]].ndim < 1 || shapes[g->outputs[k]].dims[0] != in->dims[0])
      return false;
  return true;
}

int
bs_graph_run (const bs_graph *g, const bs_tensor *input, int n_outputs, bs_tensor *outputs,
              const bs_run_opts *o, char *err, size_t errlen)
{
  run_user u = { n_outputs, outputs, NULL };
  bs_shape *shapes = NULL, s1;
  int rc = -1;

  for (int k = 0; k < n_outputs; k++)
    outputs[k] = (bs_tensor) { 0 };
  if (n_outputs < 1 || n_outputs > g->n_outputs)
    return _bs_nn_fail (err, errlen, "asked for %d outputs, the graph has %d", n_outputs,
                        g->n_outputs);
  if (g->n_inputs != 1 || input->shape.ndim < 1)
    return _bs_nn_fail (err, errlen, "batched runs need a graph with one input and a [N, ...] "
                        "tensor");
  /* per-image output sizes from a batch of one */
  shapes = calloc ((size_t) g->n_values + 1, sizeof *shapes);
  u.per = calloc ((size_t) n_outputs, sizeof *u.per);
  if (!shapes || !u.per)
    {
      _bs_nn_fail (err, errlen, "out of memory");
      goto out;
    }
  s1 = input->shape;
  s1.dims[0] = 1;
  if (bs_graph_infer_shapes (g, &s1, shapes, err, errlen) < 0)
    goto out;
  for (int k = 0; k < n_outputs; k++)
    {
      bs_shape os = shapes[g->outputs[k]];
      if (os.ndim < 1 || os.dims[0] != 1)
        {
          _bs_nn_fail (err, errlen, "output '%s' does not have the batch as its first dim",
                       g->values[g->outputs[k]].name);
          goto out;
        }
      u.per[k] = bs_shape_numel (&os);
      os.dims[0] = input->shape.dims[0];
      if (bs_tensor_init (&outputs[k], BS_DT_FLOAT, &os, err, errlen) < 0)
        goto out;
    }
  /* a model exported with a fixed batch of 1 (a Reshape to [1, -1], say)
   * does not batch: run it one image at a time */
  {
    bs_run_opts oo = o ? *o : (bs_run_opts) BS_RUN_OPTS_INIT;
    int64_t chunk = oo.chunk > 0 ? oo.chunk : 32;
    if (chunk > input->shape.dims[0])
      chunk = input->shape.dims[0];
    s1.dims[0] = chunk;
    if (chunk > 1 && !batches (g, &s1, shapes, n_outputs))
      oo.chunk = 1;
    rc = bs_graph_foreach_chunk (g, input, &oo, run_chunk, &u, err, errlen);
  }
out:
  if (rc < 0)
    for (int k = 0; k < n_outputs; k++)
      bs_tensor_clear (&outputs[k]);
  free (shapes);
  free (u.per);
  return rc;
}
