// A fork-join pool for the numeric core's parallel loops: `workers`
// threads that, after a job, spin for a while before they park, so that
// the next of many short parallel regions starts without a wake-up. The
// scene segmenter's 256-px forward runs about 1,200 such regions (each
// convolution's GEMM halves, epilogues, poolings); through
// DispatchQueue.concurrentPerform each cost 10-15 us more than its work on
// the 2-vCPU VM, because the other thread had gone to sleep.
//
// One job at a time: a caller that finds the pool busy (another thread's
// job, or a job's own body calling in) gets 0 and runs the parts another
// way. The caller takes parts too, so a job never waits for a parked
// worker to wake before it can finish.
//
// The job's state that a claim depends on is one 64-bit ticket:
// generation (32 bits) | next part (16) | parts (16). A part is claimed by
// a compare-and-swap of the ticket, so a thread still looking at an old
// generation can never claim a part of the next job; the function and its
// context are read after the claim, when they cannot change (the job is not
// done until the claimed part is).
#include "CKernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define LG_PAUSE() _mm_pause()
#else
#define LG_PAUSE() atomic_signal_fence(memory_order_seq_cst)
#endif

#define TICKET_GEN(t) ((t) >> 32)
#define TICKET_NEXT(t) (((t) >> 16) & 0xFFFFu)
#define TICKET_PARTS(t) ((t) & 0xFFFFu)

static _Atomic unsigned long ticket;     // generation 0: no job yet
static _Atomic long job_done;
static lg_fork_join_fn _Atomic job_fn;
static void *_Atomic job_ctx;
static _Atomic int busy;
static _Atomic int sleepers;
static _Atomic long spin_limit = 4000;   // pause instructions before parking
static pthread_mutex_t park_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t start_mutex = PTHREAD_MUTEX_INITIALIZER;
static long started;

// Claims and runs parts of generation `gen` until none is left.
static void run_parts(unsigned long gen) {
    for (;;) {
        unsigned long t = atomic_load(&ticket);
        if (TICKET_GEN(t) != gen || TICKET_NEXT(t) >= TICKET_PARTS(t)) return;
        if (!atomic_compare_exchange_weak(&ticket, &t, t + (1ul << 16))) continue;
        atomic_load(&job_fn)(atomic_load(&job_ctx), (long)TICKET_NEXT(t));
        atomic_fetch_add(&job_done, 1);
    }
}

static void *worker(void *arg) {
    (void)arg;
    unsigned long seen = TICKET_GEN(atomic_load(&ticket));
    for (;;) {
        unsigned long gen = TICKET_GEN(atomic_load(&ticket));
        for (long k = 0, limit = atomic_load(&spin_limit); gen == seen && k < limit; k++) {
            LG_PAUSE();
            gen = TICKET_GEN(atomic_load(&ticket));
        }
        if (gen == seen) {
            // Parked: sleepers is raised before the ticket is read again, and
            // a caller reads sleepers after storing the ticket, so one of
            // the two sees the other (sequentially consistent atomics).
            pthread_mutex_lock(&park_mutex);
            atomic_fetch_add(&sleepers, 1);
            while ((gen = TICKET_GEN(atomic_load(&ticket))) == seen) pthread_cond_wait(&park_cond, &park_mutex);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&park_mutex);
        }
        seen = gen;
        run_parts(gen);
    }
    return NULL;
}

long lg_fork_join_start(long workers, long spin) {
    pthread_mutex_lock(&start_mutex);
    if (spin >= 0) atomic_store(&spin_limit, spin);
    while (started < workers) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&t, &attr, worker, NULL);
        pthread_attr_destroy(&attr);
        if (failed) break;
        started++;
    }
    long n = started;
    pthread_mutex_unlock(&start_mutex);
    return n;
}

int lg_fork_join(long parts, lg_fork_join_fn fn, void *ctx) {
    if (parts < 1 || parts > 0xFFFF || fn == NULL) return 0;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&busy, &expected, 1)) return 0;
    unsigned long gen = TICKET_GEN(atomic_load(&ticket)) + 1;
    if (gen > 0xFFFFFFFFul) gen = 1;
    atomic_store(&job_fn, fn);
    atomic_store(&job_ctx, ctx);
    atomic_store(&job_done, 0);
    atomic_store(&ticket, (gen << 32) | (unsigned long)parts);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&park_mutex);
        pthread_cond_broadcast(&park_cond);
        pthread_mutex_unlock(&park_mutex);
    }
    run_parts(gen);
    while (atomic_load(&job_done) < parts) LG_PAUSE();
    atomic_store(&busy, 0);
    return 1;
}
