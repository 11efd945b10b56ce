#ifndef MR_VERIFY_CACHE_H
#define MR_VERIFY_CACHE_H

#include "mr-config.h"
#include "mr-error.h"
#include "mr-password.h"

#include <stdbool.h>
#include <time.h>

/* Verified credentials: a repeat login with the same password against the
   same stored hash skips the key derivation (a million PBKDF2 iterations
   for Django 5.x's hashes). An entry is a keyed BLAKE2b digest of (stored
   hash, password) under a random key kept with the table, and an expiry:
   the password is never stored and cannot be recovered or tested offline
   from the entries alone, a changed stored hash (new password, new cost)
   never matches, and only matches are remembered, so a wrong password
   always costs a full verification. Admission (active, hosted) is not
   cached here: callers decide it on every request.

   Bounded: a fixed table of `size` entries (rounded up to whole sets),
   MR_VERIFY_CACHE_WAYS to a set: a new entry takes an empty or expired
   way of its set, else the way least recently used, so no live entry is
   evicted by an unrelated one while its set has room.

   Shared: mr_verify_cache_open() maps the table from a file, so every
   auth process of a host (Dovecot's auth master and all its workers, of
   any age) answers from the one table; Dovecot hands a login to any idle
   worker, and a table per process would make each account pay the key
   derivation once per worker. The processes are single-threaded and do
   not lock: each entry is written under its own sequence count, a reader
   that sees it change treats the entry as absent, and a writer that finds
   it being written leaves it. A racing write can lose an entry (a later
   full verification), never admit a password it was not verified for:
   the digest is the proof. */

#define MR_VERIFY_CACHE_WAYS 8

struct mr_verify_cache;

/* Counted since the table was made, by every process sharing it: what an
   operator sizes it by. */
struct mr_verify_cache_stats {
	unsigned long long hits, misses, evictions;
};

/* A table of this process's own. NULL when size is 0 (the cache off) or
   on allocation failure. */
struct mr_verify_cache *mr_verify_cache_new(unsigned int size,
					    unsigned int ttl_secs);
/* The table in path (mr-shared-map.h: made when absent, by the owner of
   the process, mode 0600), shared with every process that opens it with
   the same size. NULL with error set when it cannot be used; NULL with
   error empty when size is 0. */
struct mr_verify_cache *mr_verify_cache_open(const char *path,
					     unsigned int size,
					     unsigned int ttl_secs,
					     struct mr_error *error);
void mr_verify_cache_free(struct mr_verify_cache **cache);

/* mr_password_verify() through the cache (NULL: no cache). *cached_r
   (may be NULL) tells whether the table answered. */
enum mr_password_result
mr_verify_cache_verify(struct mr_verify_cache *cache,
		       const struct mr_hash_limits *limits,
		       const char *password, const char *stored,
		       bool *cached_r, const char **reason_r);

void mr_verify_cache_get_stats(const struct mr_verify_cache *cache,
			       struct mr_verify_cache_stats *stats_r);

/* For tests: whether (stored, password) is remembered at time now. */
bool mr_verify_cache_contains(struct mr_verify_cache *cache,
			      const char *stored, const char *password,
			      time_t now);

#endif
