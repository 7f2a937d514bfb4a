/* target-dirs.c — finding targets by name in the data directories, and listing them. */
#include "config.h"

#include "bs-energy-private.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Finding ------------------------------------------------------------------------ */

static char *
join (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  char *s = malloc (la + lb + 2);

  if (s)
    {
      memcpy (s, a, la);
      s[la] = '/';
      memcpy (s + la + 1, b, lb + 1);
    }
  return s;
}

static void
add_dir (char **dirs, size_t max, size_t *n, const char *dir, size_t len)
{
  if (len == 0)
    return;
  if (*n < max)
    {
      dirs[*n] = strndup (dir, len);
      if (!dirs[*n])
        return;
    }
  (*n)++;
}

size_t
bs_target_search_dirs (char **dirs, size_t max)
{
  const char *env = getenv ("BITSCAPE_TARGET_PATH");
  const char *xdg = getenv ("XDG_DATA_HOME");
  const char *home = getenv ("HOME");
  size_t n = 0;

  if (env)
    for (const char *p = env; *p;)
      {
        const char *colon = strchr (p, ':');
        size_t len = colon ? (size_t) (colon - p) : strlen (p);
        add_dir (dirs, max, &n, p, len);
        p += len + (colon ? 1 : 0);
      }
  if (xdg && xdg[0] == '/')
    {
      char *d = join (xdg, "bitscape/targets");
      if (d)
        add_dir (dirs, max, &n, d, strlen (d));
      free (d);
    }
  else if (home && home[0])
    {
      char *d = join (home, ".local/share/bitscape/targets");
      if (d)
        add_dir (dirs, max, &n, d, strlen (d));
      free (d);
    }
#ifdef BS_SOURCE_TARGETSDIR
  add_dir (dirs, max, &n, BS_SOURCE_TARGETSDIR, strlen (BS_SOURCE_TARGETSDIR));
#endif
#ifdef BS_DATADIR
  add_dir (dirs, max, &n, BS_DATADIR "/targets", strlen (BS_DATADIR "/targets"));
#endif
  return n;
}

#define MAX_DIRS 32

static size_t
get_dirs (char **dirs)
{
  size_t n = bs_target_search_dirs (dirs, MAX_DIRS);
  return n < MAX_DIRS ? n : MAX_DIRS;
}

static void
free_dirs (char **dirs, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (dirs[i]);
}

static bool
is_path (const char *s)
{
  size_t n = strlen (s);
  return strchr (s, '/') != NULL || (n > 4 && strcmp (s + n - 4, ".xml") == 0);
}

static bool
valid_name (const char *s)
{
  if (!*s || strlen (s) > 63)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
          || (*p == '.' && p != s)))
      return false;
  return true;
}

bs_target *
bs_target_load (const char *name_or_path, char *err, size_t errlen)
{
  char *dirs[MAX_DIRS];
  size_t n;
  bs_target *t = NULL;

  if (!name_or_path || !*name_or_path)
    return _bs_target_fail (err, errlen, "(target)", 0, "no target name given");
  if (is_path (name_or_path))
    return bs_target_load_file (name_or_path, err, errlen);
  if (!valid_name (name_or_path))
    {
      if (err && errlen)
        snprintf (err, errlen, "'%s' is not a target name (lowercase letters, digits, '-', "
                  "'_', '.') nor a path", name_or_path);
      return NULL;
    }

  n = get_dirs (dirs);
  for (size_t i = 0; i < n; i++)
    {
      char file[512];
      struct stat st;

      snprintf (file, sizeof file, "%s/%s.xml", dirs[i], name_or_path);
      if (stat (file, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      t = bs_target_load_file (file, err, errlen);
      if (t && strcmp (t->name, name_or_path) != 0)
        {
          _bs_target_fail (err, errlen, file, t->root_line, "the file declares target '%s', not '%s'", t->name,
                name_or_path);
          bs_target_free (t);
          t = NULL;
        }
      free_dirs (dirs, n);
      return t;
    }
  if (err && errlen)
    {
      size_t used = (size_t) snprintf (err, errlen, "unknown target '%s' (searched", name_or_path);
      for (size_t i = 0; i < n && used < errlen; i++)
        used += (size_t) snprintf (err + used, errlen - used, "%s %s", i ? "," : "", dirs[i]);
      if (used < errlen)
        snprintf (err + used, errlen - used, "; see `bitscape-cli targets`)");
    }
  free_dirs (dirs, n);
  return NULL;
}

/* Listing -------------------------------------------------------------------------- */

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

size_t
bs_target_list (bs_target_list_fn fn, void *data)
{
  char *dirs[MAX_DIRS];
  size_t n = get_dirs (dirs), bad_files = 0;
  char **seen = NULL;
  size_t n_seen = 0;

  for (size_t i = 0; i < n; i++)
    {
      DIR *d = opendir (dirs[i]);
      struct dirent *de;
      char **files = NULL;
      size_t n_files = 0;

      if (!d)
        continue;
      while ((de = readdir (d)))
        {
          size_t len = strlen (de->d_name);
          char **grown;
          if (len < 5 || strcmp (de->d_name + len - 4, ".xml") != 0 || de->d_name[0] == '.')
            continue;
          grown = realloc (files, (n_files + 1) * sizeof *files);
          if (!grown)
            break;
          files = grown;
          files[n_files] = strdup (de->d_name);
          if (files[n_files])
            n_files++;
        }
      closedir (d);
      qsort (files, n_files, sizeof *files, cmp_str);

      for (size_t k = 0; k < n_files; k++)
        {
          char *path = join (dirs[i], files[k]);
          char err[600];
          bs_target *t;
          bool dup = false;
          char *stem = strndup (files[k], strlen (files[k]) - 4);

          for (size_t s = 0; stem && s < n_seen; s++)
            dup = dup || strcmp (seen[s], stem) == 0;
          if (!path || !stem || dup)
            {
              free (path);
              free (stem);
              continue;
            }
          t = bs_target_load_file (path, err, sizeof err);
          if (t && strcmp (t->name, stem) != 0)
            {
              _bs_target_fail (err, sizeof err, path, t->root_line, "the file declares target '%s', not '%s'",
                    t->name, stem);
              bs_target_free (t);
              t = NULL;
            }
          if (!t)
            bad_files++;
          fn (t, path, t ? NULL : err, data);
          bs_target_free (t);
          free (path);
          {
            char **grown = realloc (seen, (n_seen + 1) * sizeof *seen);
            if (grown)
              {
                seen = grown;
                seen[n_seen++] = stem;
              }
            else
              free (stem);
          }
        }
      for (size_t k = 0; k < n_files; k++)
        free (files[k]);
      free (files);
    }
  for (size_t s = 0; s < n_seen; s++)
    free (seen[s]);
  free (seen);
  free_dirs (dirs, n);
  return bad_files;
}
