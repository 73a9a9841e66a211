/* bench-runner.c: what a synchronous call through AsyncRunner costs, side
 * by side with the alternatives it replaces
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every figure comes from this one process in this one run, so that they
 * share the machine's state (a virtual machine's futex wake-ups vary with
 * the load of its neighbours, and the host may take a core away: each
 * section says how busy the machine was meanwhile). Per-call latencies are
 * the median, over several batches, of each batch's mean time per call;
 * the batches of the latency benchmarks are interleaved round by round so
 * that a burst of outside load hits them all alike. Two reference rows
 * give the cost of a thread-to-thread round trip right now: through a
 * GMutex/GCond (a kernel sleep and wake-up each way) and spinning on a
 * shared word (the floor).
 *
 * The two baselines are written here the way a program would write them
 * without this library:
 *  - the naive runner: a GMainContext iterated by a thread of its own;
 *    per call, an idle GSource attached to that context, in which a GTask
 *    is made and returned; its callback signals a GCond the caller waits
 *    on;
 *  - the in-thread idiom: per call, a private GMainContext pushed as
 *    thread-default, a GTask made and returned, the context iterated
 *    until the callback ran.
 *
 * Then: run_sync throughput with 1, 2 and 4 calling threads; the CPU an
 * idle runner costs; loading small files through call_sync against the
 * blocking loop (and against the in-thread idiom around the same async
 * call, which is what GIO's own asynchronous path costs); memory and
 * latency over a million calls, and right after a run of slow calls; the
 * issue's goals, PASS or MISS.
 *
 * Run it directly (`benchmarks/bench-runner`; `--quick` for a smoke run of
 * a few seconds, `--markdown` to add a table) or with
 * `meson test -C BUILDDIR --benchmark -v`. It exits 0 whether or not the
 * goals are met; it fails only if a call fails.
 */

#include <async-runner.h>
#include <glib/gstdio.h>

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_BUILDTYPE
# define BENCH_BUILDTYPE "unknown"
#endif

/* The goals. */
#define GOAL_NAIVE_RATIO      8.0    /* naive / run_sync, at least */
#define GOAL_IN_THREAD_RATIO  1.0    /* in-thread / run_sync, more than */
#define GOAL_CALL_SYNC_RATIO  1.3    /* call_sync / run_sync, at most */
#define GOAL_SCALING_RATIO    1.0    /* N callers / 1 caller throughput, at least */
#define GOAL_IDLE_PERCENT     1.0    /* of one core, under */
#define GOAL_FILES_RATIO      1.2    /* runner / blocking, at most */
/* "Memory flat": what this program calls flat. */
#define GOAL_RSS_GROWTH_KIB   1024   /* at most, over the whole run of calls */
#define GOAL_LATENCY_DRIFT    1.5    /* last 10% / first 10%, at most: the VM's noise alone moves it 1.3x */
#define GOAL_RECOVERY_RATIO   1.5    /* first calls after slow ones / steady, at most */

typedef struct
{
  gboolean quick;
  guint    rounds;            /* latency batches per benchmark */
  gint64   batch_ns;          /* target duration of one latency batch */
  guint    min_batch;         /* calls per latency batch, at least */
  guint    tput_batches;
  gint64   tput_batch_ns;
  gint64   idle_ns;
  guint    n_files;
  guint    file_rounds;       /* at most; at least 3 */
  gint64   files_budget_ns;   /* no new round after this long */
  guint    memory_calls;
  gint64   memory_budget_ns;  /* fewer calls if they would take longer */
} Config;

static Config config;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
check_no_error (const char *what,
                GError     *error)
{
  if (error != NULL)
    {
      g_printerr ("bench-runner: %s failed: %s\n", what, error->message);
      exit (EXIT_FAILURE);
    }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* CPU time of every thread of the process: a call that spins on two
 * cores costs twice its wall time. */
static gint64
process_cpu_ns (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return ((gint64) usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_GINT64_CONSTANT (1000000000) +
         ((gint64) usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000;
}

/* Sorts @values in place. */
static double
median (double *values,
        guint   n)
{
  g_assert (n > 0);

  qsort (values, n, sizeof *values, compare_doubles);
  if (n % 2 == 1)
    return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* ------------------------------------------------------------------ */
/* The naive runner                                                     */

typedef struct
{
  GMainContext *context;
  GThread      *thread;
  gint          quit;         /* atomic */
} NaiveRunner;

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean done;              /* protected by @mutex */
  gboolean value;             /* written before @done */
  GError  *error;
} NaiveCall;

static gpointer
naive_thread (gpointer data)
{
  NaiveRunner *runner = data;

  g_main_context_push_thread_default (runner->context);
  while (!g_atomic_int_get (&runner->quit))
    g_main_context_iteration (runner->context, TRUE);
  g_main_context_pop_thread_default (runner->context);

  return NULL;
}

static NaiveRunner *
naive_runner_new (void)
{
  NaiveRunner *runner = g_new0 (NaiveRunner, 1);

  runner->context = g_main_context_new ();
  runner->thread = g_thread_new ("naive-runner", naive_thread, runner);

  return runner;
}

static void
naive_runner_free (NaiveRunner *runner)
{
  g_atomic_int_set (&runner->quit, TRUE);
  g_main_context_wakeup (runner->context);
  g_thread_join (runner->thread);
  g_main_context_unref (runner->context);
  g_free (runner);
}

/* Runner thread: the task's callback. */
static void
naive_task_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  NaiveCall *call = user_data;

  call->value = g_task_propagate_boolean (G_TASK (result), &call->error);

  g_mutex_lock (&call->mutex);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->mutex);
}

/* Runner thread, runner context thread-default: the operation. */
static gboolean
naive_idle (gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, naive_task_done, user_data);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);

  return G_SOURCE_REMOVE;
}

static void
naive_call (NaiveRunner *runner)
{
  NaiveCall call = { 0, };
  GSource *source;

  g_mutex_init (&call.mutex);
  g_cond_init (&call.cond);

  source = g_idle_source_new ();
  g_source_set_callback (source, naive_idle, &call, NULL);
  g_source_attach (source, runner->context);
  g_source_unref (source);

  g_mutex_lock (&call.mutex);
  while (!call.done)
    g_cond_wait (&call.cond, &call.mutex);
  g_mutex_unlock (&call.mutex);

  check_no_error ("naive runner call", call.error);
  g_assert (call.value);

  g_cond_clear (&call.cond);
  g_mutex_clear (&call.mutex);
}

static void
bench_naive (gpointer data,
             guint    n)
{
  for (guint i = 0; i < n; i++)
    naive_call (data);
}

/* ------------------------------------------------------------------ */
/* The in-thread idiom                                                  */

typedef struct
{
  gboolean done;
  gboolean value;
  GError  *error;
} InThreadCall;

static void
in_thread_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  InThreadCall *call = user_data;

  call->value = g_task_propagate_boolean (G_TASK (result), &call->error);
  call->done = TRUE;
}

static void
in_thread_call (void)
{
  GMainContext *context = g_main_context_new ();
  InThreadCall call = { 0, };
  GTask *task;

  g_main_context_push_thread_default (context);

  task = g_task_new (NULL, NULL, in_thread_done, &call);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);

  while (!call.done)
    g_main_context_iteration (context, TRUE);

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  check_no_error ("in-thread call", call.error);
  g_assert (call.value);
}

static void
bench_in_thread (gpointer data,
                 guint    n)
{
  for (guint i = 0; i < n; i++)
    in_thread_call ();
}

/* ------------------------------------------------------------------ */
/* AsyncRunner                                                          */

static gboolean
trivial_func (AsyncRunner *runner,
              GTask       *task,
              gpointer     user_data)
{
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

static void
run_sync_trivial (AsyncRunner *runner)
{
  GError *error = NULL;

  if (!async_runner_run_sync (runner, trivial_func, NULL, NULL, NULL, &error))
    check_no_error ("async_runner_run_sync", error);
}

static void
bench_run_sync (gpointer data,
                guint    n)
{
  for (guint i = 0; i < n; i++)
    run_sync_trivial (data);
}

/* A GIO-style asynchronous function at its most trivial, and its finish. */
static void
fake_op_async (GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
fake_op_finish (GAsyncResult  *result,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
start_fake_op (AsyncRunner         *runner,
               gpointer             user_data,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             callback_data)
{
  fake_op_async (cancellable, callback, callback_data);
  return TRUE;
}

static void
bench_call_sync (gpointer data,
                 guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result;

      result = async_runner_call_sync (data, start_fake_op, NULL, NULL, &error);
      check_no_error ("async_runner_call_sync", error);
      if (!fake_op_finish (result, &error))
        check_no_error ("fake_op_finish", error);
      g_object_unref (result);
    }
}

/* ------------------------------------------------------------------ */
/* Calls by name against a start function, for the same operation        */

/* Skipping 0 bytes of a memory stream: a real introspected Gio method
 * whose GTask completes at once, so that the figures are the calls' own
 * cost. */
typedef struct
{
  AsyncRunner  *runner;
  GInputStream *stream;
  GValue        args[2];      /* count, io_priority */
} SkipBench;

static gboolean
start_skip (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_input_stream_skip_async (user_data, 0, G_PRIORITY_DEFAULT, cancellable, callback, callback_data);
  return TRUE;
}

static void
bench_skip_start_function (gpointer data,
                           guint    n)
{
  SkipBench *skip = data;

  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result;

      result = async_runner_call_sync (skip->runner, start_skip, skip->stream, NULL, &error);
      check_no_error ("async_runner_call_sync", error);
      if (g_input_stream_skip_finish (skip->stream, result, &error) != 0)
        check_no_error ("g_input_stream_skip_finish", error);
      g_object_unref (result);
    }
}

static void
bench_skip_by_name (gpointer data,
                    guint    n)
{
  SkipBench *skip = data;

  for (guint i = 0; i < n; i++)
    {
      GError *error = NULL;
      GValue *values = NULL;
      guint n_values = 0;

      if (!async_runner_call_method_sync (skip->runner, G_OBJECT (skip->stream), "skip_async",
                                          skip->args, G_N_ELEMENTS (skip->args), NULL,
                                          &values, &n_values, &error))
        check_no_error ("async_runner_call_method_sync", error);
      for (guint v = 0; v < n_values; v++)
        g_value_unset (&values[v]);
      g_free (values);
    }
}

/* ------------------------------------------------------------------ */
/* Reference floors: what one round trip between two threads costs      */

typedef struct
{
  GMutex   mutex;
  GCond    cond;
  guint    turn;              /* protected by @mutex: incremented by each side */
  guint    n;                 /* round trips; protected by @mutex */
  gint     word;              /* atomic: the spinning variant's turn */
} PingPong;

/* The echo side: answers every ping until @n pings were answered. */
static gpointer
futex_pong (gpointer data)
{
  PingPong *pp = data;

  g_mutex_lock (&pp->mutex);
  for (guint i = 0; i < pp->n; i++)
    {
      while (pp->turn % 2 == 0)
        g_cond_wait (&pp->cond, &pp->mutex);
      pp->turn++;
      g_cond_signal (&pp->cond);
    }
  g_mutex_unlock (&pp->mutex);

  return NULL;
}

static void
bench_futex_ping_pong (gpointer data,
                       guint    n)
{
  PingPong pp = { 0, };
  GThread *thread;

  g_mutex_init (&pp.mutex);
  g_cond_init (&pp.cond);
  pp.n = n;
  thread = g_thread_new ("pong", futex_pong, &pp);

  g_mutex_lock (&pp.mutex);
  for (guint i = 0; i < n; i++)
    {
      pp.turn++;
      g_cond_signal (&pp.cond);
      while (pp.turn % 2 == 1)
        g_cond_wait (&pp.cond, &pp.mutex);
    }
  g_mutex_unlock (&pp.mutex);

  g_thread_join (thread);
  g_cond_clear (&pp.cond);
  g_mutex_clear (&pp.mutex);
}

/* Spins until @word has @value; yields now and then so that a
 * descheduled partner (the cores are shared) gets to run. */
static void
spin_until (gint *word,
            gint  value)
{
  for (guint i = 1; g_atomic_int_get (word) != value; i++)
    {
      if (i % 512 == 0)
        g_thread_yield ();
#if defined (__x86_64__) || defined (__i386__)
      __builtin_ia32_pause ();
#endif
    }
}

static gpointer
spin_pong (gpointer data)
{
  PingPong *pp = data;

  for (guint i = 0; i < pp->n; i++)
    {
      spin_until (&pp->word, 1);
      g_atomic_int_set (&pp->word, 0);
    }

  return NULL;
}

static void
bench_spin_ping_pong (gpointer data,
                      guint    n)
{
  PingPong pp = { 0, };
  GThread *thread;

  pp.n = n;
  thread = g_thread_new ("pong", spin_pong, &pp);

  for (guint i = 0; i < n; i++)
    {
      g_atomic_int_set (&pp.word, 1);
      spin_until (&pp.word, 0);
    }

  g_thread_join (thread);
}

/* ------------------------------------------------------------------ */
/* Latency: interleaved batches                                         */

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

#define WARM_UP_CALLS 8

/* Doubles the batch until one takes a quarter of the target, then scales
 * it to the target. Serves as the warm-up too. */
static void
calibrate (Bench *bench)
{
  gint64 warm_up_end = now_ns () + config.batch_ns / 2;
  guint n = 1;

  /* Untimed: the first calls start threads, and adaptive waiting needs
   * a few calls to learn. */
  do
    bench->run (bench->data, WARM_UP_CALLS);
  while (now_ns () < warm_up_end);

  for (;;)
    {
      gint64 start = now_ns ();
      gint64 elapsed;

      bench->run (bench->data, n);
      elapsed = MAX (now_ns () - start, 1);

      if (elapsed >= config.batch_ns / 4 || n >= (1u << 24))
        {
          /* A floor, so that a calibration slowed down by outside load
           * does not leave batches too short to average anything. */
          bench->batch = (guint) CLAMP ((double) n * config.batch_ns / elapsed,
                                        config.min_batch, 1u << 26);
          return;
        }
      n *= 2;
    }
}

static void
run_interleaved (Bench *benches,
                 guint  n_benches)
{
  for (guint b = 0; b < n_benches; b++)
    {
      calibrate (&benches[b]);
      benches[b].samples = g_new0 (double, config.rounds);
      benches[b].cpu_samples = g_new0 (double, config.rounds);
    }

  for (guint round = 0; round < config.rounds; round++)
    for (guint b = 0; b < n_benches; b++)
      {
        Bench *bench = &benches[b];
        gint64 cpu_start;
        gint64 start;

        /* Untimed: threads that slept while the other benchmarks ran
         * wake up here, so that the batch measures the steady state. */
        bench->run (bench->data, WARM_UP_CALLS);

        cpu_start = process_cpu_ns ();
        start = now_ns ();

        bench->run (bench->data, bench->batch);
        bench->samples[round] = (double) (now_ns () - start) / bench->batch;
        bench->cpu_samples[round] = (double) (process_cpu_ns () - cpu_start) / bench->batch;
      }

  for (guint b = 0; b < n_benches; b++)
    {
      Bench *bench = &benches[b];

      bench->median_ns = median (bench->samples, config.rounds);
      bench->min_ns = bench->samples[0];
      bench->max_ns = bench->samples[config.rounds - 1];
      bench->cpu_ns = median (bench->cpu_samples, config.rounds);
    }
}

static void
print_bench (const Bench *bench)
{
  printf ("  %-44s %8.2f us %8.2f us   [%.2f .. %.2f]  x%u\n",
          bench->label, bench->median_ns / 1000, bench->cpu_ns / 1000,
          bench->min_ns / 1000, bench->max_ns / 1000, bench->batch);
}

/* ------------------------------------------------------------------ */
/* Throughput with several calling threads                              */

typedef struct
{
  AsyncRunner *runner;
  GMutex       mutex;
  GCond        cond;
  guint        ready;         /* protected by @mutex */
  gboolean     go;            /* protected by @mutex */
  gint         stop;          /* atomic */
} Race;

typedef struct
{
  Race    *race;
  GThread *thread;
  guint64  calls;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;
  Race *race = racer->race;

  g_mutex_lock (&race->mutex);
  race->ready++;
  g_cond_broadcast (&race->cond);
  while (!race->go)
    g_cond_wait (&race->cond, &race->mutex);
  g_mutex_unlock (&race->mutex);

  while (!g_atomic_int_get (&race->stop))
    {
      run_sync_trivial (race->runner);
      racer->calls++;
    }

  return NULL;
}

/* Calls per second of @n_threads threads calling at once for one batch. */
static double
throughput_batch (AsyncRunner *runner,
                  guint        n_threads)
{
  Race race = { 0, };
  Racer *racers = g_new0 (Racer, n_threads);
  guint64 total = 0;
  gint64 start;
  gint64 elapsed;

  race.runner = runner;
  g_mutex_init (&race.mutex);
  g_cond_init (&race.cond);

  for (guint i = 0; i < n_threads; i++)
    {
      racers[i].race = &race;
      racers[i].thread = g_thread_new ("caller", racer_thread, &racers[i]);
    }

  g_mutex_lock (&race.mutex);
  while (race.ready < n_threads)
    g_cond_wait (&race.cond, &race.mutex);
  race.go = TRUE;
  g_cond_broadcast (&race.cond);
  start = now_ns ();
  g_mutex_unlock (&race.mutex);

  g_usleep (config.tput_batch_ns / 1000);
  g_atomic_int_set (&race.stop, TRUE);

  for (guint i = 0; i < n_threads; i++)
    {
      g_thread_join (racers[i].thread);
      total += racers[i].calls;
    }
  /* Until every thread returned: the calls counted include their last. */
  elapsed = now_ns () - start;

  g_cond_clear (&race.cond);
  g_mutex_clear (&race.mutex);
  g_free (racers);

  return (double) total * 1e9 / elapsed;
}

/* ------------------------------------------------------------------ */
/* Idle cost                                                            */

static gboolean
get_tid (AsyncRunner *runner,
         GTask       *task,
         gpointer     user_data)
{
  *(pid_t *) user_data = (pid_t) syscall (SYS_gettid);
  g_task_return_boolean (task, TRUE);
  return TRUE;
}

/* The thread's context switches (voluntary + involuntary): each one a
 * sleep or a preemption, so a thread that sleeps for good shows none. */
static gint64
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

typedef struct
{
  double  percent;            /* of one core, whole process */
  double  seconds;
  gint64  runner_switches;    /* -1 if unknown */
} IdleResult;

static IdleResult
measure_idle (AsyncRunner *runner)
{
  IdleResult result = { 0, };
  pid_t tid = 0;
  GError *error = NULL;
  gint64 wall_start, cpu_start, switches_start;
  gint64 wall, cpu;

  if (!async_runner_run_sync (runner, get_tid, &tid, NULL, NULL, &error))
    check_no_error ("async_runner_run_sync", error);

  /* A burst first, so that the runner's spinning is at its busiest. */
  bench_run_sync (runner, config.quick ? 2000 : 20000);

  switches_start = thread_switches (tid);
  cpu_start = process_cpu_ns ();
  wall_start = now_ns ();

  g_usleep (config.idle_ns / 1000);

  cpu = process_cpu_ns () - cpu_start;
  wall = now_ns () - wall_start;
  result.runner_switches = switches_start < 0 ? -1 : thread_switches (tid) - switches_start;
  result.percent = 100.0 * cpu / wall;
  result.seconds = wall / 1e9;

  return result;
}

/* ------------------------------------------------------------------ */
/* Real work: loading small files                                       */

typedef struct
{
  GFile **files;
  gsize  *sizes;
  guint   n;
  guint   rounds;
  double  blocking_ns;        /* per file, median */
  double  runner_ns;
  double  in_thread_ns;
  double  blocking_min_ns, blocking_max_ns;
  double  runner_min_ns, runner_max_ns;
  double  in_thread_min_ns, in_thread_max_ns;
} FileSet;

static char *
make_files (FileSet *set,
            guint    n)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("bench-runner-XXXXXX", &error);

  check_no_error ("g_dir_make_tmp", error);

  set->n = n;
  set->files = g_new0 (GFile *, n);
  set->sizes = g_new0 (gsize, n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/file-%04u.txt", dir, i);
      gsize size = 64 + (i * 37) % 449;   /* 64 to 512 bytes */
      g_autofree char *contents = g_malloc (size);

      for (gsize j = 0; j < size; j++)
        contents[j] = 'a' + (i + j) % 26;
      if (!g_file_set_contents (path, contents, size, &error))
        check_no_error ("g_file_set_contents", error);

      set->files[i] = g_file_new_for_path (path);
      set->sizes[i] = size;
    }

  return dir;
}

static void
remove_files (FileSet    *set,
              const char *dir)
{
  for (guint i = 0; i < set->n; i++)
    {
      g_autofree char *path = g_file_get_path (set->files[i]);

      g_unlink (path);
      g_object_unref (set->files[i]);
    }
  g_rmdir (dir);
  g_free (set->files);
  g_free (set->sizes);
}

static void
load_blocking (FileSet *set)
{
  for (guint i = 0; i < set->n; i++)
    {
      GError *error = NULL;
      char *contents = NULL;
      gsize length = 0;

      if (!g_file_load_contents (set->files[i], NULL, &contents, &length, NULL, &error))
        check_no_error ("g_file_load_contents", error);
      g_assert (length == set->sizes[i]);
      g_free (contents);
    }
}

static gboolean
start_load (AsyncRunner         *runner,
            gpointer             user_data,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             callback_data)
{
  g_file_load_contents_async (user_data, cancellable, callback, callback_data);
  return TRUE;
}

static void
load_through_runner (FileSet     *set,
                     AsyncRunner *runner)
{
  for (guint i = 0; i < set->n; i++)
    {
      GError *error = NULL;
      GAsyncResult *result;
      char *contents = NULL;
      gsize length = 0;

      result = async_runner_call_sync (runner, start_load, set->files[i], NULL, &error);
      check_no_error ("async_runner_call_sync", error);
      if (!g_file_load_contents_finish (set->files[i], result, &contents, &length, NULL, &error))
        check_no_error ("g_file_load_contents_finish", error);
      g_assert (length == set->sizes[i]);
      g_free (contents);
      g_object_unref (result);
    }
}

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} InThreadLoad;

static void
in_thread_loaded (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  InThreadLoad *load = user_data;

  load->result = g_object_ref (result);
  load->done = TRUE;
}

/* What GIO's asynchronous loading costs without any runner: the
 * in-thread idiom around g_file_load_contents_async(). */
static void
load_in_thread (FileSet *set)
{
  for (guint i = 0; i < set->n; i++)
    {
      GMainContext *context = g_main_context_new ();
      InThreadLoad load = { 0, };
      GError *error = NULL;
      char *contents = NULL;
      gsize length = 0;

      g_main_context_push_thread_default (context);
      g_file_load_contents_async (set->files[i], NULL, in_thread_loaded, &load);
      while (!load.done)
        g_main_context_iteration (context, TRUE);
      g_main_context_pop_thread_default (context);

      if (!g_file_load_contents_finish (set->files[i], load.result, &contents, &length, NULL, &error))
        check_no_error ("g_file_load_contents_finish", error);
      g_assert (length == set->sizes[i]);
      g_free (contents);
      g_object_unref (load.result);
      g_main_context_unref (context);
    }
}

static void
measure_files (FileSet     *set,
               AsyncRunner *runner)
{
  double *blocking = g_new0 (double, config.file_rounds);
  double *through = g_new0 (double, config.file_rounds);
  double *in_thread = g_new0 (double, config.file_rounds);
  gint64 start_all;
  guint rounds;

  /* Warm-up: the page cache, GIO's thread pool, the runner. */
  load_blocking (set);
  load_through_runner (set, runner);
  load_in_thread (set);

  start_all = now_ns ();
  for (rounds = 0; rounds < config.file_rounds; rounds++)
    {
      gint64 start = now_ns ();

      if (rounds >= 3 && start - start_all > config.files_budget_ns)
        break;

      load_blocking (set);
      blocking[rounds] = (double) (now_ns () - start) / set->n;

      start = now_ns ();
      load_through_runner (set, runner);
      through[rounds] = (double) (now_ns () - start) / set->n;

      start = now_ns ();
      load_in_thread (set);
      in_thread[rounds] = (double) (now_ns () - start) / set->n;
    }

  set->rounds = rounds;
  set->blocking_ns = median (blocking, rounds);
  set->blocking_min_ns = blocking[0];
  set->blocking_max_ns = blocking[rounds - 1];
  set->runner_ns = median (through, rounds);
  set->runner_min_ns = through[0];
  set->runner_max_ns = through[rounds - 1];
  set->in_thread_ns = median (in_thread, rounds);
  set->in_thread_min_ns = in_thread[0];
  set->in_thread_max_ns = in_thread[rounds - 1];

  g_free (blocking);
  g_free (through);
  g_free (in_thread);
}

/* ------------------------------------------------------------------ */
/* Memory and latency over many calls                                   */

#define MEMORY_CHUNKS 1000

typedef struct
{
  guint  calls;
  guint  wanted;
  gint64 rss_before;          /* bytes */
  gint64 rss_after;
  gint64 heap_before;         /* bytes in use by malloc */
  gint64 heap_after;
  guint  chunks;
  double first_ns;            /* per call, median chunk of the first 10% */
  double last_ns;             /* ... of the last 10% */
  double seconds;
} MemoryResult;

static gint64
rss_bytes (void)
{
  g_autofree char *contents = NULL;
  long long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL) ||
      sscanf (contents, "%lld %lld", &size, &resident) != 2)
    return -1;

  return (gint64) resident * sysconf (_SC_PAGESIZE);
}

static gint64
heap_bytes (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return (gint64) (info.uordblks + info.hblkhd);
}

static MemoryResult
measure_memory (AsyncRunner *runner)
{
  MemoryResult result = { 0, };
  double *chunks = g_new0 (double, MEMORY_CHUNKS);
  gint64 estimate_end = now_ns () + config.memory_budget_ns / 100;
  guint estimate_calls = 0;
  double call_ns;
  guint per_chunk;
  guint done;
  guint tenth;
  gint64 start;

  /* What a call costs right now (outside load comes and goes), to stay
   * within the time budget: fewer calls if they are slow today. */
  start = now_ns ();
  do
    {
      bench_run_sync (runner, 100);
      estimate_calls += 100;
    }
  while (now_ns () < estimate_end);
  call_ns = (double) (now_ns () - start) / estimate_calls;

  result.wanted = config.memory_calls;
  result.calls = config.memory_calls;
  if (call_ns * result.calls > config.memory_budget_ns)
    result.calls = (guint) (config.memory_budget_ns / call_ns);
  per_chunk = MAX (result.calls / MEMORY_CHUNKS, 1);

  result.rss_before = rss_bytes ();
  result.heap_before = heap_bytes ();

  start = now_ns ();
  for (done = 0; done < MEMORY_CHUNKS; done++)
    {
      gint64 chunk_start = now_ns ();

      /* Calls that turned slow after the estimate: stop at 1.5 times
       * the budget, and compare the first and last tenth of what was
       * done. */
      if (chunk_start - start > 3 * config.memory_budget_ns / 2 && done >= 20)
        break;

      bench_run_sync (runner, per_chunk);
      chunks[done] = (double) (now_ns () - chunk_start) / per_chunk;
    }
  result.seconds = (now_ns () - start) / 1e9;
  result.calls = done * per_chunk;

  result.rss_after = rss_bytes ();
  result.heap_after = heap_bytes ();
  tenth = MAX (done / 10, 1);
  result.chunks = done;
  result.first_ns = median (chunks, tenth);
  result.last_ns = median (chunks + done - tenth, tenth);

  g_free (chunks);

  return result;
}

/* ------------------------------------------------------------------ */
/* Recovery: trivial calls right after a run of slow ones               */

#define SLOW_CALL_US     300
#define RECOVERY_CHUNKS  10

typedef struct
{
  guint  slow_calls;
  guint  per_chunk;
  double chunks_ns[RECOVERY_CHUNKS];   /* per call, in order */
  double steady_ns;                    /* per call, after the chunks */
} RecoveryResult;

static gboolean
return_later (gpointer user_data)
{
  g_task_return_boolean (user_data, TRUE);
  return G_SOURCE_REMOVE;
}

/* Completes its task SLOW_CALL_US later, from a source on the runner
 * context: what a real operation does, and what teaches adaptive waiting
 * that waits are long. */
static gboolean
slow_func (AsyncRunner *runner,
           GTask       *task,
           gpointer     user_data)
{
  GSource *source = g_timeout_source_new (0);

  g_source_set_ready_time (source, g_get_monotonic_time () + SLOW_CALL_US);
  g_source_set_callback (source, return_later, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);

  return TRUE;
}

static RecoveryResult
measure_recovery (AsyncRunner *runner)
{
  RecoveryResult result = { 0, };
  double steady[5];

  result.slow_calls = config.quick ? 50 : 200;
  result.per_chunk = config.quick ? 200 : 1000;

  for (guint i = 0; i < result.slow_calls; i++)
    {
      GError *error = NULL;

      if (!async_runner_run_sync (runner, slow_func, NULL, NULL, NULL, &error))
        check_no_error ("async_runner_run_sync", error);
    }

  for (guint c = 0; c < RECOVERY_CHUNKS; c++)
    {
      gint64 start = now_ns ();

      bench_run_sync (runner, result.per_chunk);
      result.chunks_ns[c] = (double) (now_ns () - start) / result.per_chunk;
    }

  /* The steady state, measured the same way right after. */
  bench_run_sync (runner, 10 * result.per_chunk);
  for (guint c = 0; c < G_N_ELEMENTS (steady); c++)
    {
      gint64 start = now_ns ();

      bench_run_sync (runner, result.per_chunk);
      steady[c] = (double) (now_ns () - start) / result.per_chunk;
    }
  result.steady_ns = median (steady, G_N_ELEMENTS (steady));

  return result;
}

/* ------------------------------------------------------------------ */
/* Report                                                               */

static char *
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

static MachineSample
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
static void
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

static guint goals_met;
static guint goals_missed;

static void
print_goal (const char *name,
            gboolean    met,
            const char *format,
            ...) G_GNUC_PRINTF (3, 4);

static void
print_goal (const char *name,
            gboolean    met,
            const char *format,
            ...)
{
  va_list args;

  printf ("  %-4s  %-40s ", met ? "PASS" : "MISS", name);
  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  printf ("\n");

  if (met)
    goals_met++;
  else
    goals_missed++;
}

static void
print_markdown (const Bench          *latency,
                const double         *tput,
                const IdleResult     *idle,
                const FileSet        *files,
                const MemoryResult   *memory,
                const RecoveryResult *recovery)
{
  printf ("\n| Measure | Result | Goal |\n");
  printf ("| --- | ---: | --- |\n");
  printf ("| naive runner (idle source + GCond), per call | %.2f us | |\n", latency[0].median_ns / 1000);
  printf ("| in-thread idiom (private context), per call | %.2f us | |\n", latency[1].median_ns / 1000);
  printf ("| `async_runner_run_sync()`, trivial func, per call | %.2f us | |\n", latency[2].median_ns / 1000);
  printf ("| `async_runner_call_sync()` + `_finish()`, trivial, per call | %.2f us | |\n", latency[3].median_ns / 1000);
  printf ("| CPU per call (all threads): naive / in-thread / run_sync / call_sync | %.2f / %.2f / %.2f / %.2f us | |\n",
          latency[0].cpu_ns / 1000, latency[1].cpu_ns / 1000, latency[2].cpu_ns / 1000, latency[3].cpu_ns / 1000);
  printf ("| naive / run_sync | %.2f | >= 8 |\n", latency[0].median_ns / latency[2].median_ns);
  printf ("| in-thread / run_sync | %.2f | > 1 |\n", latency[1].median_ns / latency[2].median_ns);
  printf ("| call_sync / run_sync | %.2f | <= 1.3 |\n", latency[3].median_ns / latency[2].median_ns);
  printf ("| run_sync calls/s, 1 / 2 / 4 calling threads | %.0f / %.0f / %.0f | |\n", tput[0], tput[1], tput[2]);
  printf ("| throughput, 2 and 4 callers / 1 caller | %.2f / %.2f | >= 1 |\n", tput[1] / tput[0], tput[2] / tput[0]);
  printf ("| idle runner, CPU | %.3f %% of a core | < 1 %% |\n", idle->percent);
  printf ("| %u files: blocking `g_file_load_contents()`, per file | %.2f us | |\n", files->n, files->blocking_ns / 1000);
  printf ("| %u files: `call_sync` + `g_file_load_contents_async()`, per file | %.2f us | |\n", files->n, files->runner_ns / 1000);
  printf ("| %u files: in-thread idiom, same async call, per file | %.2f us | |\n", files->n, files->in_thread_ns / 1000);
  printf ("| files: runner / blocking | %.2f | <= 1.2 |\n", files->runner_ns / files->blocking_ns);
  printf ("| %u run_sync calls: RSS before -> after | %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT " KiB | flat |\n",
          memory->calls, memory->rss_before / 1024, memory->rss_after / 1024);
  printf ("| %u run_sync calls: per call, first / last 10%% | %.2f / %.2f us | flat |\n",
          memory->calls, memory->first_ns / 1000, memory->last_ns / 1000);
  printf ("| run_sync right after %u slow calls: first %u calls / steady, per call | %.2f / %.2f us | flat |\n",
          recovery->slow_calls, recovery->per_chunk,
          recovery->chunks_ns[0] / 1000, recovery->steady_ns / 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AsyncRunner) runner = NULL;
  NaiveRunner *naive;
  gboolean quick = FALSE;
  gboolean markdown = FALSE;
  gint memory_calls = 0;
  gint64 run_start = now_ns ();
  MachineSample machine_start = machine_sample ();
  MachineSample phase_start;
  GOptionEntry entries[] = {
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick,
      "Few iterations: a smoke run of a few seconds", NULL },
    { "markdown", 0, 0, G_OPTION_ARG_NONE, &markdown,
      "Also print the figures as a markdown table", NULL },
    { "memory-calls", 'm', 0, G_OPTION_ARG_INT, &memory_calls,
      "run_sync calls of the memory test (default 1000000, 20000 with --quick)", "N" },
    G_OPTION_ENTRY_NULL
  };
  Bench latency[6];
  Bench *naive_bench = &latency[0];
  Bench *in_thread_bench = &latency[1];
  Bench *run_sync_bench = &latency[2];
  Bench *call_sync_bench = &latency[3];
  double tput[3] = { 0, };
  const guint tput_threads[3] = { 1, 2, 4 };
  IdleResult idle;
  FileSet files = { 0, };
  char *files_dir;
  MemoryResult memory;
  RecoveryResult recovery;
  double ratio;
  double by_name_ratio = 0;
  char *load;

  context = g_option_context_new ("- benchmark AsyncRunner against the naive runner and the in-thread idiom");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-runner: %s\n", error->message);
      return EXIT_FAILURE;
    }

  config.quick = quick;
  if (quick)
    {
      config.rounds = 5;
      config.batch_ns = 4 * G_GINT64_CONSTANT (1000000);
      config.min_batch = 20;
      config.tput_batches = 3;
      config.tput_batch_ns = 60 * G_GINT64_CONSTANT (1000000);
      config.idle_ns = 200 * G_GINT64_CONSTANT (1000000);
      config.n_files = 200;
      config.file_rounds = 3;
      config.files_budget_ns = G_GINT64_CONSTANT (1000000000);
      config.memory_calls = 20000;
      config.memory_budget_ns = 2 * G_GINT64_CONSTANT (1000000000);
    }
  else
    {
      config.rounds = 31;
      config.batch_ns = 40 * G_GINT64_CONSTANT (1000000);
      config.min_batch = 200;
      config.tput_batches = 7;
      config.tput_batch_ns = 300 * G_GINT64_CONSTANT (1000000);
      config.idle_ns = 1000 * G_GINT64_CONSTANT (1000000);
      config.n_files = 1000;
      config.file_rounds = 9;
      config.files_budget_ns = 8 * G_GINT64_CONSTANT (1000000000);
      config.memory_calls = 1000000;
      config.memory_budget_ns = 14 * G_GINT64_CONSTANT (1000000000);
    }
  if (memory_calls > 0)
    config.memory_calls = (guint) memory_calls;

  load = load_average ();
  printf ("async-runner %s benchmark (%s run, %s build), GLib %u.%u.%u, %u CPUs, load average %s\n",
          ASYNC_RUNNER_VERSION_S, quick ? "quick" : "full", BENCH_BUILDTYPE,
          glib_major_version, glib_minor_version, glib_micro_version,
          g_get_num_processors (), load);
  g_free (load);
  fflush (stdout);

  runner = async_runner_new ();
  naive = naive_runner_new ();

  /* --- per-call latency --- */
  phase_start = machine_sample ();
  latency[0] = (Bench) { "naive runner (idle source + GCond)", bench_naive, naive };
  latency[1] = (Bench) { "in-thread idiom (private context)", bench_in_thread, NULL };
  latency[2] = (Bench) { "async_runner_run_sync (trivial func)", bench_run_sync, runner };
  latency[3] = (Bench) { "async_runner_call_sync + _finish (trivial)", bench_call_sync, runner };
  latency[4] = (Bench) { "reference: GMutex/GCond ping-pong", bench_futex_ping_pong, NULL };
  latency[5] = (Bench) { "reference: spin ping-pong (the floor)", bench_spin_ping_pong, NULL };
  run_interleaved (latency, G_N_ELEMENTS (latency));

  naive_runner_free (naive);

  printf ("\nPer-call latency: median of %u batches of per-call means; CPU time of the process per call\n"
          "  (all threads); [min .. max] of the batch means; calls per batch\n", config.rounds);
  printf ("  %-44s %11s %11s\n", "", "wall", "CPU");
  for (guint b = 0; b < G_N_ELEMENTS (latency); b++)
    print_bench (&latency[b]);
  print_machine ("machine meanwhile", &phase_start);
  fflush (stdout);

  /* --- calls by name --- */
  phase_start = machine_sample ();
  {
    SkipBench skip = { runner, g_memory_input_stream_new_from_data ("", 0, NULL), };
    GError *by_name_error = NULL;
    Bench by_name[2];

    g_value_init (&skip.args[0], G_TYPE_UINT64);
    g_value_init (&skip.args[1], G_TYPE_INT);
    g_value_set_int (&skip.args[1], G_PRIORITY_DEFAULT);

    printf ("\nCalls by name: g_input_stream_skip_async (0 bytes of a memory stream) + _finish,\n"
            "  a start function written by hand against call_method_sync (\"skip_async\")\n");
    if (!async_runner_call_method_sync (runner, G_OBJECT (skip.stream), "skip_async",
                                        skip.args, 2, NULL, NULL, NULL, &by_name_error))
      {
        printf ("  not available: %s\n", by_name_error->message);
        g_clear_error (&by_name_error);
      }
    else
      {
        by_name[0] = (Bench) { "call_sync + start function + _finish", bench_skip_start_function, &skip };
        by_name[1] = (Bench) { "call_method_sync (\"skip_async\")", bench_skip_by_name, &skip };
        run_interleaved (by_name, G_N_ELEMENTS (by_name));
        printf ("  %-44s %11s %11s\n", "", "wall", "CPU");
        for (guint b = 0; b < G_N_ELEMENTS (by_name); b++)
          print_bench (&by_name[b]);
        by_name_ratio = by_name[1].median_ns / by_name[0].median_ns;
        printf ("  by name / start function = %.2f (wall), %.2f (CPU)\n",
                by_name_ratio, by_name[1].cpu_ns / by_name[0].cpu_ns);
        for (guint b = 0; b < G_N_ELEMENTS (by_name); b++)
          {
            g_free (by_name[b].samples);
            g_free (by_name[b].cpu_samples);
          }
      }
    print_machine ("machine meanwhile", &phase_start);
    g_value_unset (&skip.args[0]);
    g_value_unset (&skip.args[1]);
    g_object_unref (skip.stream);
    fflush (stdout);
  }

  /* --- throughput --- */
  phase_start = machine_sample ();
  for (guint t = 0; t < G_N_ELEMENTS (tput_threads); t++)
    {
      double *batches = g_new0 (double, config.tput_batches);

      for (guint b = 0; b < config.tput_batches; b++)
        batches[b] = throughput_batch (runner, tput_threads[t]);
      tput[t] = median (batches, config.tput_batches);
      g_free (batches);
    }

  printf ("\nThroughput of run_sync (trivial) on one runner: median of %u batches of %.2f s\n",
          config.tput_batches, config.tput_batch_ns / 1e9);
  for (guint t = 0; t < G_N_ELEMENTS (tput_threads); t++)
    printf ("  %u calling thread%s %12.0f calls/s   (%.2f x 1 thread)\n",
            tput_threads[t], tput_threads[t] == 1 ? " " : "s",
            tput[t], tput[t] / tput[0]);
  print_machine ("machine meanwhile", &phase_start);
  fflush (stdout);

  /* --- idle --- */
  phase_start = machine_sample ();
  idle = measure_idle (runner);
  printf ("\nIdle runner, no call pending, over %.2f s after a burst of calls\n", idle.seconds);
  printf ("  process CPU time %.3f %% of one core; runner thread woke %" G_GINT64_FORMAT " times\n",
          idle.percent, idle.runner_switches);
  fflush (stdout);

  /* --- files --- */
  phase_start = machine_sample ();
  files_dir = make_files (&files, config.n_files);
  measure_files (&files, runner);
  remove_files (&files, files_dir);
  g_free (files_dir);

  printf ("\nLoading %u files of 64 to 512 bytes: per file, median of %u rounds [min .. max]\n",
          config.n_files, files.rounds);
  printf ("  %-44s %9.2f us   [%.2f .. %.2f]\n", "blocking g_file_load_contents()",
          files.blocking_ns / 1000, files.blocking_min_ns / 1000, files.blocking_max_ns / 1000);
  printf ("  %-44s %9.2f us   [%.2f .. %.2f]\n", "call_sync + g_file_load_contents_async()",
          files.runner_ns / 1000, files.runner_min_ns / 1000, files.runner_max_ns / 1000);
  printf ("  %-44s %9.2f us   [%.2f .. %.2f]\n", "reference: in-thread idiom, same async call",
          files.in_thread_ns / 1000, files.in_thread_min_ns / 1000, files.in_thread_max_ns / 1000);
  print_machine ("machine meanwhile", &phase_start);
  fflush (stdout);

  /* --- memory --- */
  phase_start = machine_sample ();
  memory = measure_memory (runner);
  printf ("\nMemory over %u run_sync calls (%.1f s)", memory.calls, memory.seconds);
  if (memory.calls < memory.wanted)
    printf (": FEWER than the %u asked for, to stay within about %.0f s",
            memory.wanted, config.memory_budget_ns / 1e9);
  printf ("\n");
  printf ("  RSS   %8" G_GINT64_FORMAT " KiB -> %8" G_GINT64_FORMAT " KiB (%+" G_GINT64_FORMAT " KiB)\n",
          memory.rss_before / 1024, memory.rss_after / 1024,
          (memory.rss_after - memory.rss_before) / 1024);
  printf ("  heap  %8" G_GINT64_FORMAT " KiB -> %8" G_GINT64_FORMAT " KiB (%+" G_GINT64_FORMAT " bytes)\n",
          memory.heap_before / 1024, memory.heap_after / 1024,
          memory.heap_after - memory.heap_before);
  printf ("  per call: first 10%% %.2f us, last 10%% %.2f us (median of %u chunks of %u calls each)\n",
          memory.first_ns / 1000, memory.last_ns / 1000,
          MAX (memory.chunks / 10, 1), memory.calls / MAX (memory.chunks, 1));
  print_machine ("machine meanwhile", &phase_start);

  /* --- recovery --- */
  phase_start = machine_sample ();
  recovery = measure_recovery (runner);
  printf ("\nTrivial run_sync calls right after %u calls of %u us: per call, chunks of %u calls in order\n ",
          recovery.slow_calls, SLOW_CALL_US, recovery.per_chunk);
  for (guint c = 0; c < RECOVERY_CHUNKS; c++)
    printf (" %.2f", recovery.chunks_ns[c] / 1000);
  printf (" us; steady state after them %.2f us\n", recovery.steady_ns / 1000);
  print_machine ("machine meanwhile", &phase_start);

  /* --- goals --- */
  printf ("\nGoals (informational)\n");
  ratio = naive_bench->median_ns / run_sync_bench->median_ns;
  print_goal ("1a run_sync >= 8x cheaper than naive", ratio >= GOAL_NAIVE_RATIO,
              "naive/run_sync = %.2f", ratio);
  ratio = in_thread_bench->median_ns / run_sync_bench->median_ns;
  print_goal ("1b run_sync cheaper than in-thread", ratio > GOAL_IN_THREAD_RATIO,
              "in-thread/run_sync = %.2f", ratio);
  ratio = call_sync_bench->median_ns / run_sync_bench->median_ns;
  print_goal ("2  call_sync <= 1.3x run_sync", ratio <= GOAL_CALL_SYNC_RATIO,
              "call_sync/run_sync = %.2f", ratio);
  ratio = tput[1] / tput[0];
  print_goal ("3a 2 callers >= 1 caller", ratio >= GOAL_SCALING_RATIO,
              "2-caller/1-caller throughput = %.2f", ratio);
  ratio = tput[2] / tput[0];
  print_goal ("3b 4 callers >= 1 caller", ratio >= GOAL_SCALING_RATIO,
              "4-caller/1-caller throughput = %.2f", ratio);
  print_goal ("4  idle runner < 1% of a core", idle.percent < GOAL_IDLE_PERCENT,
              "%.3f %%", idle.percent);
  ratio = files.runner_ns / files.blocking_ns;
  print_goal ("5  files: runner <= 1.2x blocking", ratio <= GOAL_FILES_RATIO,
              "runner/blocking = %.2f", ratio);
  ratio = memory.last_ns / memory.first_ns;
  print_goal ("6a flat: memory and latency",
              memory.rss_after - memory.rss_before <= GOAL_RSS_GROWTH_KIB * 1024 &&
              ratio <= GOAL_LATENCY_DRIFT,
              "RSS %+" G_GINT64_FORMAT " KiB (<= %d), last/first 10%% = %.2f (<= %.2f)",
              (memory.rss_after - memory.rss_before) / 1024, GOAL_RSS_GROWTH_KIB,
              ratio, GOAL_LATENCY_DRIFT);
  ratio = recovery.chunks_ns[0] / recovery.steady_ns;
  print_goal ("6b latency recovers at once after load", ratio <= GOAL_RECOVERY_RATIO,
              "first %u calls after slow ones / steady = %.2f (<= %.1f)",
              recovery.per_chunk, ratio, GOAL_RECOVERY_RATIO);
  if (markdown)
    print_markdown (latency, tput, &idle, &files, &memory, &recovery);

  printf ("\n");
  print_machine ("Machine during the whole run", &machine_start);
  load = load_average ();
  printf ("%u goals met, %u missed; whole run %.1f s; load average %s\n",
          goals_met, goals_missed, (now_ns () - run_start) / 1e9, load);
  g_free (load);

  for (guint b = 0; b < G_N_ELEMENTS (latency); b++)
    {
      g_free (latency[b].samples);
      g_free (latency[b].cpu_samples);
    }
  async_runner_shutdown (runner);

  return EXIT_SUCCESS;
}
