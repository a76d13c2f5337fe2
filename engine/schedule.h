/* schedule.h - a training step as data: a short table of phases, each giving
   every thread of a parallel region one task, run by one interpreter
   (schedule.c), and the thresholds that choose the table.

   The thresholds choose, they never sum: every table computes every value
   by the same operations in the same order (products split by M and N,
   never K; the sums over rows serial), so the trained bytes are the same
   whatever table runs, on any thread count, under any tuning. */
#ifndef MYL_SCHEDULE_H
#define MYL_SCHEDULE_H

#include "tuning.h"

#include <stddef.h>

struct myelin_net;

/* The thresholds (myl_sched_tuning) are part of the tuning record (tuning.h). */

/* The thresholds in force (the defaults unless a test forced others). */
myl_sched_tuning myl_sched_tuning_get(void);
/* Tests only: force t (NULL restores the defaults). Not thread-safe: call
   it while no training runs. */
void myl_sched_tuning_set(const myl_sched_tuning *t);

/* What a thread does in one phase of a step (schedule.c runs them). */
typedef enum {
    MYL_TASK_NONE = 0,
    MYL_TASK_FORWARD,         /* team: every layer forward and the loss           */
    MYL_TASK_FORWARD_L0,      /* team: layer 0 forward                           */
    MYL_TASK_CHECKPOINT,      /* a checkpoint when due, once the loss is finite  */
    MYL_TASK_BACKWARD,        /* team: every layer backward and update           */
    MYL_TASK_BACKWARD_L0,     /* team: layer 0 backward and update               */
    MYL_TASK_TAIL_FORWARD,    /* layers >= 1 forward and the loss                */
    MYL_TASK_TAIL_BACKWARD,   /* layers >= 1 backward and update                 */
    MYL_TASK_GATHER_NEXT,     /* the next minibatch into the spare buffers       */
    MYL_TASK_HALF_FORWARD,    /* this thread's units of layer 0 and its part of
                                 layer 1's product (its rows of W1)              */
    MYL_TASK_HALF_UPDATE,     /* this thread's units of layer 0: update           */
    MYL_TASK_PAIR_FORWARD,    /* layers >= 1 forward and the loss, on this
                                 thread's own copies                             */
    MYL_TASK_PAIR_CHECKPOINT, /* this thread's share of a due checkpoint         */
    MYL_TASK_PAIR_BACKWARD,   /* layers >= 2 back on its copies, then for its
                                 units: layer 1's input gradient and rows of W1,
                                 layer 0's update                                */
    MYL_TASK_STAGE_NEXT_HALF  /* its half of the next minibatch's bytes          */
} myl_task;

/* How a phase begins. */
typedef enum {
    MYL_SYNC_TEAM = 0,   /* on the calling thread, outside any parallel region:
                            its products use the whole team                     */
    MYL_SYNC_BARRIER,    /* a barrier first (none at a region's start)          */
    MYL_SYNC_NONE,       /* each thread goes straight on from its last task     */
    MYL_SYNC_CHECKPOINT  /* a barrier first on the steps that take a checkpoint */
} myl_sync;

enum { MYL_SCHED_MAX_THREADS = 4, MYL_SCHED_MAX_PHASES = 6 };

typedef struct {
    myl_sync sync;
    myl_task task[MYL_SCHED_MAX_THREADS];
} myl_phase;

/* How a table leaves the next minibatch when it gathers it during the step. */
typedef enum {
    MYL_NEXT_NONE = 0,  /* not gathered: the next step gathers its own          */
    MYL_NEXT_GATHERED,  /* floats (x0_next), or on bytes the bytes (raw_next)
                           and thread 1's converted copy (x1_next)              */
    MYL_NEXT_BYTES      /* floats, or on bytes only the bytes: each thread
                           converts its copy at the next step's start           */
} myl_next;

typedef struct {
    const char *name;
    int threads;        /* width of its parallel regions                        */
    int halves;         /* layer 0 in two column blocks, one per thread         */
    int layer1_parts;   /* layer 1's two partial products are made in a phase   */
    int twins;          /* thread 1 runs layers >= 1 on copies of its own       */
    myl_next next;
    int n_phases;
    myl_phase phase[MYL_SCHED_MAX_PHASES];
} myl_schedule;

/* What decides the table: the net, whether each layer's update is fused
   into its dW product (plain SGD without L1 or masks), the team size, the
   minibatch and the training set's rows. */
typedef struct {
    const struct myelin_net *net;
    const int *fused;   /* per layer                                             */
    int threads;        /* myl_threads()                                         */
    size_t batch, rows;
} myl_sched_input;

/* The table for a training run and the threads it runs on (*threads: 1 when
   steps are below min_team_work). Never NULL. */
const myl_schedule *myl_schedule_choose(const myl_sched_input *in, const myl_sched_tuning *tu, int *threads);

/* Where layer 1's forward product is summed in two parts over its inputs,
   [0, k1) and [k1, fan_in) (0: one sum). Decided by the net and the fused
   updates alone, never by a threshold or the team: the two-part sum is what
   lets the "pair" and "one_region" tables give each thread its part, and it
   runs on every table so that all give the same bytes. */
size_t myl_layer1_split(const struct myelin_net *net, const int *fused);

#endif
