#ifndef MR_CLOCK_H
#define MR_CLOCK_H

#include <time.h>

/* Elapsed time for logs and events, on the monotonic clock (a wall-clock
   step would show as a negative or huge duration). */
void mr_clock_start(struct timespec *start_r);
unsigned long long mr_clock_usecs_since(const struct timespec *start);

#endif
