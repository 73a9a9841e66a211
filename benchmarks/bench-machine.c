/* bench-machine.c: what the machine did meanwhile, and this process's
 * memory and threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A virtual machine's futex wake-ups vary with the load of its
 * neighbours, and the host may take a core away: each phase says how busy
 * the machine was while it ran.
 */

#include "bench-runner.h"

#include <malloc.h>
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
  struct mallinfo2 info = mallinfo2 ();

  return (gint64) (info.uordblks + info.hblkhd);
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
