/* The step's schedules (engine/schedule.h): which table runs for a net,
   and that the thresholds choose without summing: the same bytes under
   extreme tunings, every table and 1 to 4 threads. */
#include "../harness.h"
#include "myelin.h"
#include "network.h"
#include "schedule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 400, IN = 300, CLASSES = 10 };

static int record_schedule(const myelin_epoch_stats *s, void *user)
{
    *(const char **)user = s->schedule;
    return 0;
}

/* Trains desc (300 inputs, 10 classes) for 2 epochs of 400 byte rows in
   minibatches of 128 on `threads` threads under tuning tu; returns the
   parameters (caller frees) and the schedule's name. */
static float *train_under(const char *desc, myelin_optimizer opt, int threads, const myl_sched_tuning *tu,
                          const char **schedule, size_t *count)
{
    static uint8_t x[ROWS * IN];
    static int32_t y[ROWS];
    uint64_t s = 21;
    for (size_t i = 0; i < ROWS; i++) {
        y[i] = (int32_t)(th_rand_u64(&s) % CLASSES);
        for (size_t j = 0; j < IN; j++)
            x[i * IN + j] = (uint8_t)((th_rand_u64(&s) & 127) + (j % CLASSES == (size_t)y[i] ? 128 : 0));
    }
    const myelin_dataset d = {.rows = ROWS, .cols = IN, .x_u8 = x, .labels = y};
    myelin_net *net;
    if (!CHECK(!myelin_net_create_str(desc, MYELIN_LOSS_CE, 5, &net), "%s", myelin_last_error()))
        return NULL;
    myelin_train_opts o;
    myelin_train_opts_default(&o);
    o.opt = opt;
    o.lr = 0.05f;
    o.batch = 128;
    o.epochs = 2;
    o.l2 = 1e-4f;
    o.seed = 9;
    *schedule = NULL;
    o.on_epoch = record_schedule;
    o.on_epoch_user = (void *)schedule;
    const int before = myelin_num_threads();
    myelin_set_num_threads(threads);
    myl_sched_tuning_set(tu);
    const int st = myelin_train(net, &d, &o);
    myl_sched_tuning_set(NULL);
    myelin_set_num_threads(before);
    float *p = NULL;
    if (CHECK(st == MYELIN_OK, "%s, %d threads: %s", desc, threads, myelin_last_error())) {
        size_t n = 0;
        for (size_t l = 0; l < net->n_layers; l++)
            n += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
        p = malloc(n * sizeof(float));
        float *q = p;
        for (size_t l = 0; l < net->n_layers; l++) {
            myelin_net_get_params(net, l, q, q + net->fan_in[l] * net->spec[l].units);
            q += net->fan_in[l] * net->spec[l].units + net->spec[l].units;
        }
        *count = n;
    }
    myelin_net_free(net);
    return p;
}

/* The tunings: the defaults with every step shared; everything on the
   team; everything beside a gather; nothing shared. */
static const myl_sched_tuning TUNINGS[] = {
    {.min_team_work = 0.0, .solo_work = 2e6, .overlap_work = 3e6, .min_team_elements = 32768},
    {.min_team_work = 0.0, .solo_work = 0.0, .overlap_work = 0.0, .min_team_elements = 0.0},
    {.min_team_work = 0.0, .solo_work = 1e30, .overlap_work = 1e30, .min_team_elements = 1e30},
    {.min_team_work = 1e30, .solo_work = 0.0, .overlap_work = 0.0, .min_team_elements = 0.0},
};
enum { N_TUNINGS = sizeof TUNINGS / sizeof TUNINGS[0], MAX_THREADS = 4 };

typedef struct {
    const char *desc;
    myelin_optimizer opt;
    /* the schedule expected under each tuning on 2 threads and on 3 or 4 */
    const char *two[N_TUNINGS], *more[N_TUNINGS];
} schedule_case;

static const schedule_case CASES[] = {
    /* plain SGD, small layers: layer 0 split by units, layer 1 in two parts on thread 0 */
    {"300,64:relu,32:tanh,10:softmax", MYELIN_OPT_SGD,
     {"one_region", "team", "one_region", "serial"}, {"overlap", "team", "overlap", "serial"}},
    /* a layer 1 above the default overlap threshold: shared by unit pairs */
    {"300,64:relu,400:tanh,10:softmax", MYELIN_OPT_SGD,
     {"pair", "team", "one_region", "serial"}, {"team", "team", "overlap", "serial"}},
    /* dropout on layer 1: layer 0 split by units, layer 1 in one sum */
    {"300,64:relu,32:tanh:dropout=0.2,10:softmax", MYELIN_OPT_SGD,
     {"one_region", "team", "one_region", "serial"}, {"overlap", "team", "overlap", "serial"}},
    /* momentum: no update fused into the product, nothing split by units */
    {"300,64:relu:dropconnect=0.1,32:tanh,10:softmax", MYELIN_OPT_MOMENTUM,
     {"overlap", "team", "overlap", "serial"}, {"overlap", "team", "overlap", "serial"}},
};

TEST(train_schedules_chosen_and_same_bytes_under_any_tuning)
{
    const int max_threads = th_quick() ? 2 : MAX_THREADS;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const schedule_case *c = &CASES[k];
        float *ref = NULL;
        size_t n_ref = 0;
        for (size_t u = 0; u < N_TUNINGS; u++)
            for (int t = 1; t <= max_threads; t++) {
                const char *name;
                size_t n = 0;
                float *p = train_under(c->desc, c->opt, t, &TUNINGS[u], &name, &n);
                if (!p)
                    continue;
                const char *want = t == 1 ? "serial" : t == 2 ? c->two[u] : c->more[u];
                CHECK(name && !strcmp(name, want), "%s, tuning %zu, %d threads: schedule %s, want %s", c->desc, u,
                      t, name ? name : "(none)", want);
                if (!ref) {
                    ref = p;
                    n_ref = n;
                    continue;
                }
                CHECK(n == n_ref && !memcmp(p, ref, n * sizeof(float)), "%s, tuning %zu, %d threads (%s): other "
                      "bytes than tuning 0 on 1 thread", c->desc, u, t, name ? name : "?");
                free(p);
            }
        free(ref);
    }
}

/* The choice alone, on the nets the README names (Fashion-MNIST shapes,
   batch 128, 60000 rows, default thresholds). */
TEST(train_schedule_of_the_readme_nets)
{
    static const struct {
        const char *desc;
        const char *two;
    } nets[] = {
        {"784,128:relu,64:relu,10:softmax", "one_region"},
        {"784,512:relu,256:relu,10:softmax", "pair"},
        {"784,256:relu,128:relu,10:softmax", "pair"},
    };
    const myl_sched_tuning tu = myl_sched_tuning_get();
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        myelin_net *net;
        if (!CHECK(!myelin_net_create_str(nets[i].desc, MYELIN_LOSS_CE, 1, &net), "%s", myelin_last_error()))
            continue;
        const int fused[MYELIN_MAX_LAYERS] = {1, 1, 1, 1};
        for (int t = 1; t <= 2; t++) {
            int threads = 0;
            const myl_sched_input in = {net, fused, t, 128, 60000};
            const myl_schedule *s = myl_schedule_choose(&in, &tu, &threads);
            const char *want = t == 1 ? "serial" : nets[i].two;
            CHECK(!strcmp(s->name, want) && threads == t, "%s, %d threads: %s on %d threads, want %s",
                  nets[i].desc, t, s->name, threads, want);
        }
        myelin_net_free(net);
    }
}

/* The thresholds in force are the tuning record's (engine/tuning.c): a
   record whose thresholds put every step on the team makes the small net's
   two-thread run take the team table, with the same bytes as under the
   built-in record. */
TEST(train_schedule_thresholds_come_from_the_tuning_record)
{
    const schedule_case *c = &CASES[0];
    const char *name0 = NULL, *name1 = NULL;
    size_t n0 = 0, n1 = 0;
    float *p0 = train_under(c->desc, c->opt, 2, NULL, &name0, &n0);
    myl_tuning t = *myl_tuning_active();
    t.sched = TUNINGS[1];
    myl_tuning_use(&t, "test: every step on the team");
    float *p1 = train_under(c->desc, c->opt, 2, NULL, &name1, &n1);
    myl_tuning_use(NULL, NULL);
    if (p0 && p1) {
        CHECK(name1 && !strcmp(name1, c->two[1]), "under the record: schedule %s, want %s", name1 ? name1 : "?",
              c->two[1]);
        CHECK(name0 && name1 && strcmp(name0, name1), "the record changed no choice (%s)", name0 ? name0 : "?");
        CHECK(n0 == n1 && !memcmp(p0, p1, n0 * sizeof(float)), "other bytes under the record");
    }
    free(p0);
    free(p1);
}
