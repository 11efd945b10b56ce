#include "mr-clock.h"

void mr_clock_start(struct timespec *start_r)
{
	clock_gettime(CLOCK_MONOTONIC, start_r);
}

unsigned long long mr_clock_usecs_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long long)(now.tv_sec - start->tv_sec) * 1000000ULL +
		(unsigned long long)((now.tv_nsec - start->tv_nsec) / 1000L);
}
