/* bench-runner.h: what the files of bench-runner share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * bench-runner is one program, so that every figure it prints comes from
 * one process in one run (see bench-runner.c). Its files, each depending
 * only on the ones above it:
 *
 *   bench-timing.c     clocks, medians, interleaved latency batches
 *   bench-machine.c    what the machine did meanwhile, memory, CPU pinning
 *   bench-baselines.c  the honest alternatives: the naive runner, the
 *                      in-thread idiom, two thread-to-thread floors
 *   bench-trivial.c    the library's trivial calls that the phases time
 *   bench-report.c     the header line, the goals, the closing lines
 *   phase-*.c          one phase each: it measures, prints its section,
 *                      and keeps its figures for its goals and its rows
 *                      of the markdown table
 *   bench-runner.c     options, the table of phases, main()
 */

#pragma once

#include <async-runner.h>

#include <sys/types.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* Durations and sizes of a run (bench-runner.c sets them)              */

typedef struct
{
  gboolean quick;
  guint    rounds;            /* latency batches per benchmark */
  gint64   batch_ns;          /* target duration of one latency batch */
  guint    min_batch;         /* calls per latency batch, at least */
  guint    tput_batches;      /* contention: rounds of batches */
  gint64   tput_batch_ns;     /* contention: duration of one batch */
  gint64   idle_ns;
  guint    n_files;
  guint    file_rounds;       /* at most; at least 3 */
  gint64   files_budget_ns;   /* no new round after this long */
  guint    memory_calls;
  gint64   memory_budget_ns;  /* fewer calls if they would take longer */
  guint    cpus;              /* --cpus: pinned to that many CPUs, 0 if not */
} BenchConfig;

extern BenchConfig config;

/* ------------------------------------------------------------------ */
/* A phase: one section of the report                                   */

typedef struct
{
  const char *name;           /* what --only takes */
  const char *summary;        /* one line, for --help */
  /* Measures with @runner and prints its section. Main thread. */
  void      (*run)      (AsyncRunner *runner);
  /* Print its goals with print_goal () and its rows of the markdown
   * table, from what run() measured; either may be NULL. */
  void      (*goals)    (void);
  void      (*markdown) (void);
} BenchPhase;

extern const BenchPhase phase_latency;
extern const BenchPhase phase_by_name;
extern const BenchPhase phase_contention;
extern const BenchPhase phase_idle;
extern const BenchPhase phase_files;
extern const BenchPhase phase_memory;
extern const BenchPhase phase_recovery;

/* ------------------------------------------------------------------ */
/* bench-timing.c                                                       */

gint64 now_ns          (void);
gint64 process_cpu_ns  (void);
double median          (double     *values,
                        guint       n);
void   check_no_error  (const char *what,
                        GError     *error);

/* One latency benchmark: @run makes @n calls of what it measures. */
typedef struct
{
  const char *label;
  void      (*run) (gpointer data, guint n);
  gpointer    data;
  guint       batch;          /* calls per batch */
  double     *samples;        /* ns per call, one per round */
  double     *cpu_samples;    /* process CPU ns per call, one per round */
  double      median_ns;
  double      cpu_ns;         /* median of @cpu_samples */
  double      min_ns;
  double      max_ns;
} Bench;

/* Untimed calls before a timed batch: threads that slept wake up. */
#define WARM_UP_CALLS 8

void run_interleaved   (Bench       *benches,
                        guint        n_benches);
void print_bench       (const Bench *bench);
void bench_clear       (Bench       *bench);

/* ------------------------------------------------------------------ */
/* bench-machine.c                                                      */

/* What the machine did besides this process: a virtual machine's cores
 * can be taken by the host (steal) or by other programs, and a hand-off
 * between two threads suffers first. */
typedef struct
{
  gint64 total;               /* jiffies, all CPUs */
  gint64 busy;
  gint64 steal;
  gint64 own_cpu_ns;
} MachineSample;

MachineSample machine_sample  (void);
void          print_machine   (const char          *what,
                               const MachineSample *start);
char         *load_average    (void);
gint64        rss_bytes       (void);
gint64        heap_bytes      (void);
gint64        thread_switches (pid_t                tid);
gboolean      pin_to_cpus     (gint                 n_cpus,
                               GError             **error);
char         *describe_cpus   (void);

/* ------------------------------------------------------------------ */
/* bench-baselines.c                                                    */

typedef struct _NaiveRunner NaiveRunner;

NaiveRunner *naive_runner_new      (void);
void         naive_runner_free     (NaiveRunner *runner);
void         bench_naive           (gpointer     data,
                                    guint        n);
void         in_thread_call        (void);
void         bench_in_thread       (gpointer     data,
                                    guint        n);
void         bench_futex_ping_pong (gpointer     data,
                                    guint        n);
void         bench_spin_ping_pong  (gpointer     data,
                                    guint        n);

/* ------------------------------------------------------------------ */
/* bench-trivial.c                                                      */

void run_sync_trivial (AsyncRunner *runner);
void bench_run_sync   (gpointer     data,
                       guint        n);
void bench_call_sync  (gpointer     data,
                       guint        n);

/* ------------------------------------------------------------------ */
/* bench-report.c                                                       */

void print_header (const char              *phases_note);
void print_goal   (const char              *name,
                   gboolean                 met,
                   const char              *format,
                   ...) G_GNUC_PRINTF (3, 4);
void print_report (const BenchPhase *const *phases,
                   guint                    n_phases,
                   gboolean                 markdown,
                   gint64                   run_start_ns,
                   const MachineSample     *machine_start);

G_END_DECLS
