/* cluster.c — k-means weight sharing (Moons et al., "clustered neural
 * networks"; Han et al.'s deep compression): each compute-layer weight tensor
 * is clustered into k centroids by bs_kmeans_fit (k-means++ seeding, Lloyd
 * iterations), every weight replaced by its centroid, and the centroids are
 * then fine-tuned: the gradient of a centroid is the sum of the gradients of
 * its weights (summed in double, in element order), the assignments stay. */
#include "train-private.h"

#include "bs-kmeans.h"

#include <stdlib.h>
#include <string.h>

void
_tr_cluster_free (tr_param *p)
{
  free (p->idx);
  free (p->cent);
  free (p->cgrad);
  free (p->cm);
  free (p->cv);
  p->idx = NULL;
  p->cent = p->cgrad = p->cm = p->cv = NULL;
}

void
_tr_cluster_apply (tr_param *p)
{
  for (int64_t i = 0; i < p->pub.numel; i++)
    {
      p->pub.wf[i] = p->cent[p->idx[i]];
      p->pub.w[i] = p->pub.wf[i];
    }
}

void
_tr_cluster_step (bs_trainer *t, tr_param *p, double lr)
{
  int k = p->pub.clusters;
  double acc[256], *a = k <= 256 ? acc : calloc ((size_t) k, sizeof *a);

  if (!a)
    return;   /* out of memory: the centroids keep their values this step */
  memset (a, 0, (size_t) k * sizeof *a);
  for (int64_t i = 0; i < p->pub.numel; i++)
    a[p->idx[i]] += p->pub.grad[i];
  for (int j = 0; j < k; j++)
    p->cgrad[j] = (float) a[j];
  if (a != acc)
    free (a);
  _tr_optim_update (&t->o, lr, t->adam_t, p->cent, p->cgrad, p->cm, p->cv, k, 0.0);
  _tr_cluster_apply (p);
}

int
bs_trainer_cluster (bs_trainer *t, int k, uint64_t seed, char *err, size_t errlen)
{
  if (t->qnn)
    return _tr_fail (err, errlen, "a QNN cannot also be clustered");
  if (t->clustered)
    return _tr_fail (err, errlen, "the network is already clustered");
  if (k < 1 || k > 65536)
    return _tr_fail (err, errlen, "clusters must be 1 .. 65536 (got %d)", k);
  for (int i = 0; i < t->n_params; i++)
    {
      tr_param *p = &t->params[i];
      double *c;
      int got;
      char msg[200];

      if (!p->pub.is_weight)
        continue;
      c = malloc ((size_t) k * sizeof *c);
      p->idx = malloc ((size_t) p->pub.numel * sizeof *p->idx);
      if (!c || !p->idx)
        {
          free (c);
          return _tr_fail (err, errlen, "out of memory");
        }
      got = bs_kmeans_fit (p->pub.w, (size_t) p->pub.numel, k, seed, 100, c, p->idx, msg,
                           sizeof msg);
      if (got < 1)
        {
          free (c);
          return _tr_fail (err, errlen, "clustering '%s': %s", p->pub.name,
                           got < 0 ? msg : "no finite weight");
        }
      p->cent = malloc ((size_t) got * sizeof (float));
      p->cgrad = calloc ((size_t) got, sizeof (float));
      p->cm = calloc ((size_t) got, sizeof (float));
      p->cv = calloc ((size_t) got, sizeof (float));
      p->pub.wf = malloc ((size_t) p->pub.numel * sizeof (float));
      if (!p->cent || !p->cgrad || !p->cm || !p->cv || !p->pub.wf)
        {
          free (c);
          if (!p->pub.wf)
            p->pub.wf = p->pub.w;
          return _tr_fail (err, errlen, "out of memory");
        }
      for (int j = 0; j < got; j++)
        p->cent[j] = (float) c[j];
      free (c);
      p->pub.clusters = got;
      p->pub.centroids = p->cent;
      _tr_cluster_apply (p);
    }
  /* fine-tuning starts with fresh optimizer moments for every parameter */
  for (int i = 0; i < t->n_params; i++)
    {
      memset (t->params[i].m, 0, (size_t) t->params[i].pub.numel * sizeof (float));
      memset (t->params[i].v, 0, (size_t) t->params[i].pub.numel * sizeof (float));
    }
  t->adam_t = 0;
  t->clustered = true;
  return 0;
}
