/* Hand-off between the reader, the workers and the stage (batch.h). */
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "batch.h"

static int reached(uint32_t v, uint32_t target)
{
    return (int32_t)(v - target) >= 0;
}

void batch_wait(_Atomic uint32_t *word, uint32_t target, unsigned spins)
{
    for (unsigned i = 0; i < spins; i++) {
        if (reached(atomic_load_explicit(word, memory_order_acquire), target)) return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    for (;;) {
        uint32_t v = atomic_load_explicit(word, memory_order_acquire);
        if (reached(v, target)) return;
        /* Sleeps only while the word still holds v: a store and wake
         * between the load and the call returns at once. */
        syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
    }
}

void batch_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}
