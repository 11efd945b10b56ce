#ifndef MR_VERIFY_CACHE_H
#define MR_VERIFY_CACHE_H

#include "mr-config.h"
#include "mr-password.h"

#include <stdbool.h>
#include <time.h>

/* Verified credentials: a repeat login with the same password against the
   same stored hash skips the key derivation (a million PBKDF2 iterations
   for Django 5.x's hashes). An entry is a keyed BLAKE2b digest of (stored
   hash, password) under a random per-process key, and an expiry: the
   password is never stored and cannot be recovered or tested offline
   from the table, a changed stored hash (new password, new cost) never
   matches, and only matches are remembered, so a wrong password always
   costs a full verification. Admission (active, hosted) is not cached
   here: callers decide it on every request. Bounded: a fixed table of
   `size` entries (rounded up to whole sets), MR_VERIFY_CACHE_WAYS to a
   set: a new entry takes an empty or expired way of its set, else the
   way least recently used, so no live entry is evicted by an unrelated
   one while its set has room. */

#define MR_VERIFY_CACHE_WAYS 8

struct mr_verify_cache;

/* Counted since the cache was made: what an operator sizes it by. */
struct mr_verify_cache_stats {
	unsigned long long hits, misses, evictions;
};

/* NULL when size is 0 (the cache off) or on allocation failure. */
struct mr_verify_cache *mr_verify_cache_new(unsigned int size,
					    unsigned int ttl_secs);
void mr_verify_cache_free(struct mr_verify_cache **cache);

/* mr_password_verify() through the cache (NULL: no cache). */
enum mr_password_result
mr_verify_cache_verify(struct mr_verify_cache *cache,
		       const struct mr_hash_limits *limits,
		       const char *password, const char *stored,
		       const char **reason_r);

void mr_verify_cache_get_stats(const struct mr_verify_cache *cache,
			       struct mr_verify_cache_stats *stats_r);

/* For tests: whether (stored, password) is remembered at time now. */
bool mr_verify_cache_contains(struct mr_verify_cache *cache,
			      const char *stored, const char *password,
			      time_t now);

#endif
