#include "mr-verify-cache.h"

#include <sodium.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_SIZE crypto_generichash_BYTES

struct verify_cache_entry {
	unsigned char digest[DIGEST_SIZE];
	/* 0: empty */
	time_t expires;
	/* the cache's clock when last hit or stored: the set's least
	   recently used way goes first */
	uint64_t used;
};

struct mr_verify_cache {
	unsigned char key[crypto_generichash_KEYBYTES];
	unsigned int sets;
	unsigned int ttl_secs;
	uint64_t clock;
	struct mr_verify_cache_stats stats;
	/* sets * MR_VERIFY_CACHE_WAYS */
	struct verify_cache_entry *entries;
};

struct mr_verify_cache *mr_verify_cache_new(unsigned int size,
					    unsigned int ttl_secs)
{
	struct mr_verify_cache *cache;

	if (size == 0)
		return NULL;
	cache = calloc(1, sizeof(*cache));
	if (cache == NULL)
		return NULL;
	cache->sets = (size + MR_VERIFY_CACHE_WAYS - 1) / MR_VERIFY_CACHE_WAYS;
	cache->entries = calloc((size_t)cache->sets * MR_VERIFY_CACHE_WAYS,
				sizeof(*cache->entries));
	if (cache->entries == NULL) {
		free(cache);
		return NULL;
	}
	cache->ttl_secs = ttl_secs;
	randombytes_buf(cache->key, sizeof(cache->key));
	return cache;
}

void mr_verify_cache_free(struct mr_verify_cache **_cache)
{
	struct mr_verify_cache *cache = *_cache;

	if (cache == NULL)
		return;
	*_cache = NULL;
	sodium_memzero(cache->key, sizeof(cache->key));
	free(cache->entries);
	free(cache);
}

/* The stored hash's length goes first, so that (stored, password) pairs
   cannot be shifted into one another. */
static void cache_digest(const struct mr_verify_cache *cache,
			 const char *stored, const char *password,
			 unsigned char digest[DIGEST_SIZE])
{
	crypto_generichash_state state;
	uint64_t stored_len = strlen(stored);

	crypto_generichash_init(&state, cache->key, sizeof(cache->key),
				DIGEST_SIZE);
	crypto_generichash_update(&state, (const unsigned char *)&stored_len,
				  sizeof(stored_len));
	crypto_generichash_update(&state, (const unsigned char *)stored,
				  stored_len);
	crypto_generichash_update(&state, (const unsigned char *)password,
				  strlen(password));
	crypto_generichash_final(&state, digest, DIGEST_SIZE);
	sodium_memzero(&state, sizeof(state));
}

/* The first way of the digest's set. */
static struct verify_cache_entry *
cache_set(const struct mr_verify_cache *cache,
	  const unsigned char digest[DIGEST_SIZE])
{
	uint64_t index;

	/* the digest is keyed and uniform: any 8 bytes index evenly */
	memcpy(&index, digest, sizeof(index));
	return &cache->entries[(index % cache->sets) * MR_VERIFY_CACHE_WAYS];
}

/* The live entry holding digest, or NULL. */
static struct verify_cache_entry *
cache_find(const struct mr_verify_cache *cache,
	   const unsigned char digest[DIGEST_SIZE], time_t now)
{
	struct verify_cache_entry *set = cache_set(cache, digest);

	for (unsigned int i = 0; i < MR_VERIFY_CACHE_WAYS; i++) {
		if (set[i].expires > now &&
		    sodium_memcmp(set[i].digest, digest, DIGEST_SIZE) == 0)
			return &set[i];
	}
	return NULL;
}

/* Where a new digest goes: an empty or expired way of its set, else the
   least recently used one (an eviction). */
static struct verify_cache_entry *
cache_victim(struct mr_verify_cache *cache,
	     const unsigned char digest[DIGEST_SIZE], time_t now)
{
	struct verify_cache_entry *set = cache_set(cache, digest);
	struct verify_cache_entry *oldest = &set[0];

	for (unsigned int i = 0; i < MR_VERIFY_CACHE_WAYS; i++) {
		if (set[i].expires <= now)
			return &set[i];
		if (set[i].used < oldest->used)
			oldest = &set[i];
	}
	cache->stats.evictions++;
	return oldest;
}

bool mr_verify_cache_contains(struct mr_verify_cache *cache,
			      const char *stored, const char *password,
			      time_t now)
{
	unsigned char digest[DIGEST_SIZE];
	bool hit;

	if (cache == NULL)
		return false;
	cache_digest(cache, stored, password, digest);
	hit = cache_find(cache, digest, now) != NULL;
	sodium_memzero(digest, sizeof(digest));
	return hit;
}

enum mr_password_result
mr_verify_cache_verify(struct mr_verify_cache *cache,
		       const struct mr_hash_limits *limits,
		       const char *password, const char *stored,
		       const char **reason_r)
{
	unsigned char digest[DIGEST_SIZE];
	struct verify_cache_entry *entry;
	enum mr_password_result result;
	time_t now;

	if (cache == NULL)
		return mr_password_verify(limits, password, stored, reason_r);
	now = time(NULL);
	cache_digest(cache, stored, password, digest);
	if ((entry = cache_find(cache, digest, now)) != NULL) {
		cache->stats.hits++;
		entry->used = ++cache->clock;
		*reason_r = NULL;
		result = MR_PASSWORD_MATCH;
	} else {
		cache->stats.misses++;
		result = mr_password_verify(limits, password, stored,
					    reason_r);
		if (result == MR_PASSWORD_MATCH) {
			entry = cache_victim(cache, digest, now);
			memcpy(entry->digest, digest, DIGEST_SIZE);
			entry->expires = now + (time_t)cache->ttl_secs;
			entry->used = ++cache->clock;
		}
	}
	sodium_memzero(digest, sizeof(digest));
	return result;
}

void mr_verify_cache_get_stats(const struct mr_verify_cache *cache,
			       struct mr_verify_cache_stats *stats_r)
{
	if (cache == NULL)
		memset(stats_r, 0, sizeof(*stats_r));
	else
		*stats_r = cache->stats;
}
