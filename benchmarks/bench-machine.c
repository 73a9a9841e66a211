/* bench-machine.c: what the machine did meanwhile, and this process's
 * memory and threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A virtual machine's futex wake-ups vary with the load of its
 * neighbours, and the host may take a core away: each phase says how busy
 * the machine was while it ran. `--cpus N` pins the process to N CPUs, to
 * measure what fewer cores give.
 */

/* sched_setaffinity () and cpu_set_t */
#define _GNU_SOURCE

#include "bench-runner.h"

#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char *
load_average (void)
{
  g_autofree char *contents = NULL;
  char **fields;
  char *text;

  if (!g_file_get_contents ("/proc/loadavg", &contents, NULL, NULL))
    return g_strdup ("unknown");

  fields = g_strsplit (contents, " ", 4);
  text = g_strdup_printf ("%s %s %s", fields[0], fields[1] ? fields[1] : "", fields[1] && fields[2] ? fields[2] : "");
  g_strfreev (fields);

  return text;
}

MachineSample
machine_sample (void)
{
  MachineSample sample = { 0, };
  g_autofree char *contents = NULL;
  long long user, nice, system, idle, iowait, irq, softirq, steal;

  sample.own_cpu_ns = process_cpu_ns ();
  if (!g_file_get_contents ("/proc/stat", &contents, NULL, NULL) ||
      sscanf (contents, "cpu %lld %lld %lld %lld %lld %lld %lld %lld",
              &user, &nice, &system, &idle, &iowait, &irq, &softirq, &steal) != 8)
    return sample;

  sample.busy = user + nice + system + irq + softirq;
  sample.steal = steal;
  sample.total = sample.busy + idle + iowait + steal;

  return sample;
}

/* Prints what the machine did since @start, on a line of its own. */
void
print_machine (const char          *what,
               const MachineSample *start)
{
  MachineSample end = machine_sample ();
  gint64 total = end.total - start->total;
  double own;

  if (total <= 0)
    return;

  own = (end.own_cpu_ns - start->own_cpu_ns) / 1e9 * sysconf (_SC_CLK_TCK);
  printf ("  %s: this process %.0f %%, other processes %.0f %%, "
          "hypervisor steal %.0f %% of all CPUs\n",
          what, 100.0 * own / total,
          MAX (100.0 * (end.busy - start->busy - own) / total, 0),
          100.0 * (end.steal - start->steal) / total);
}

gint64
rss_bytes (void)
{
  g_autofree char *contents = NULL;
  long long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL) ||
      sscanf (contents, "%lld %lld", &size, &resident) != 2)
    return -1;

  return (gint64) resident * sysconf (_SC_PAGESIZE);
}

/* Bytes in use by malloc. */
gint64
heap_bytes (void)
{
#if defined(__GLIBC__)
# if !__GLIBC_PREREQ (2, 33)
#  define BENCH_OLD_MALLINFO 1
# endif
#endif
#ifdef BENCH_OLD_MALLINFO
  /* glibc < 2.33 (Debian 11): int fields, right below 2 GiB. */
  struct mallinfo info = mallinfo ();

  return (gint64) (guint) info.uordblks + (gint64) (guint) info.hblkhd;
#else
  struct mallinfo2 info = mallinfo2 ();

  return (gint64) (info.uordblks + info.hblkhd);
#endif
}

/* The thread's context switches (voluntary + involuntary): each one a
 * sleep or a preemption, so a thread that sleeps for good shows none.
 * -1 if unknown. */
gint64
thread_switches (pid_t tid)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%d/status", (int) tid);
  g_autofree char *contents = NULL;
  gint64 total = 0;
  char **lines;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "voluntary_ctxt_switches:") ||
        g_str_has_prefix (lines[i], "nonvoluntary_ctxt_switches:"))
      total += g_ascii_strtoll (strchr (lines[i], ':') + 1, NULL, 10);
  g_strfreev (lines);

  return total;
}

/* Pins every thread of the process to the first @n_cpus of the CPUs it
 * may use now. A thread inherits the CPUs of the thread that starts it, so
 * this holds for the threads started later too; call it before starting
 * any, since a thread started meanwhile may be missed. */
gboolean
pin_to_cpus (gint     n_cpus,
             GError **error)
{
  cpu_set_t allowed;
  cpu_set_t chosen;
  guint found = 0;
  g_autoptr(GDir) tasks = NULL;
  const char *name;

  if (n_cpus < 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--cpus %d: at least 1", n_cpus);
      return FALSE;
    }
  if (sched_getaffinity (0, sizeof allowed, &allowed) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "sched_getaffinity: %s", g_strerror (saved_errno));
      return FALSE;
    }

  CPU_ZERO (&chosen);
  for (int cpu = 0; cpu < CPU_SETSIZE && found < (guint) n_cpus; cpu++)
    if (CPU_ISSET (cpu, &allowed))
      {
        CPU_SET (cpu, &chosen);
        found++;
      }
  if (found < (guint) n_cpus)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--cpus %d: this process may use only %d CPUs",
                   n_cpus, CPU_COUNT (&allowed));
      return FALSE;
    }

  /* GLib may have started a thread already. */
  tasks = g_dir_open ("/proc/self/task", 0, error);
  if (tasks == NULL)
    return FALSE;
  while ((name = g_dir_read_name (tasks)) != NULL)
    if (sched_setaffinity ((pid_t) atoi (name), sizeof chosen, &chosen) != 0)
      {
        int saved_errno = errno;

        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                     "sched_setaffinity (thread %s): %s", name, g_strerror (saved_errno));
        return FALSE;
      }

  return TRUE;
}

/* The CPUs this thread may run on, as "0-3,6", or "unknown". */
char *
describe_cpus (void)
{
  cpu_set_t set;
  GString *text = g_string_new (NULL);

  if (sched_getaffinity (0, sizeof set, &set) != 0)
    return g_string_free (g_string_append (text, "unknown"), FALSE);

  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
    {
      int last = cpu;

      if (!CPU_ISSET (cpu, &set))
        continue;
      while (last + 1 < CPU_SETSIZE && CPU_ISSET (last + 1, &set))
        last++;
      if (text->len > 0)
        g_string_append_c (text, ',');
      if (last == cpu)
        g_string_append_printf (text, "%d", cpu);
      else
        g_string_append_printf (text, "%d-%d", cpu, last);
      cpu = last;
    }

  return g_string_free (text, FALSE);
}
