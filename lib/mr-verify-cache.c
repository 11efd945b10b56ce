#include "mr-verify-cache.h"

#include "mr-shared-map.h"

#include <sodium.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_SIZE crypto_generichash_BYTES
#define DIGEST_WORDS (DIGEST_SIZE / sizeof(uint64_t))
/* a new layout needs a new magic: processes mapping the old file keep it */
#define TABLE_MAGIC "mailroute-vc-1"

/* The table's first bytes, in a process's memory or in the shared file.
   Counters and the clock are updated atomically. */
struct verify_cache_header {
	char magic[16];
	uint64_t sets;
	uint64_t ways;
	unsigned char key[crypto_generichash_KEYBYTES];
	uint64_t clock;
	uint64_t hits, misses, evictions;
};

struct verify_cache_entry {
	/* odd while a process writes the entry */
	uint64_t seq;
	uint64_t digest[DIGEST_WORDS];
	/* 0: empty */
	int64_t expires;
	/* the table's clock when last hit or stored: the set's least
	   recently used way goes first */
	uint64_t used;
};

struct mr_verify_cache {
	struct verify_cache_header *header;
	/* header->sets * MR_VERIFY_CACHE_WAYS */
	struct verify_cache_entry *entries;
	size_t region_size;
	bool shared;
	unsigned int ttl_secs;
};

static uint64_t table_sets(unsigned int size)
{
	return ((uint64_t)size + MR_VERIFY_CACHE_WAYS - 1) /
		MR_VERIFY_CACHE_WAYS;
}

static size_t region_size(uint64_t sets)
{
	return sizeof(struct verify_cache_header) +
		(size_t)sets * MR_VERIFY_CACHE_WAYS *
		sizeof(struct verify_cache_entry);
}

/* context: the number of sets */
static void table_initialise(void *region, const void *context)
{
	struct verify_cache_header *header = region;


	memcpy(header->magic, TABLE_MAGIC, sizeof(TABLE_MAGIC));
	header->sets = *(const uint64_t *)context;
	header->ways = MR_VERIFY_CACHE_WAYS;
	randombytes_buf(header->key, sizeof(header->key));
}

static bool table_matches(const void *region, const void *context)
{
	const struct verify_cache_header *header = region;


	return memcmp(header->magic, TABLE_MAGIC, sizeof(TABLE_MAGIC)) == 0 &&
		header->sets == *(const uint64_t *)context &&
		header->ways == MR_VERIFY_CACHE_WAYS;
}

static struct mr_verify_cache *cache_wrap(void *region, uint64_t sets,
					  bool shared, unsigned int ttl_secs)
{
	struct mr_verify_cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	cache->header = region;
	cache->entries = (struct verify_cache_entry *)(cache->header + 1);
	cache->region_size = region_size(sets);
	cache->shared = shared;
	cache->ttl_secs = ttl_secs;
	return cache;
}

struct mr_verify_cache *mr_verify_cache_new(unsigned int size,
					    unsigned int ttl_secs)
{
	struct mr_verify_cache *cache;
	uint64_t sets = table_sets(size);
	void *region;

	if (size == 0 || (region = calloc(1, region_size(sets))) == NULL)
		return NULL;
	table_initialise(region, &sets);
	if ((cache = cache_wrap(region, sets, false, ttl_secs)) == NULL)
		free(region);
	return cache;
}

struct mr_verify_cache *mr_verify_cache_open(const char *path,
					     unsigned int size,
					     unsigned int ttl_secs,
					     struct mr_error *error)
{
	uint64_t sets = table_sets(size);
	const struct mr_shared_map_format format = {
		.matches = table_matches,
		.initialise = table_initialise,
		.context = &sets,
	};
	struct mr_verify_cache *cache;
	void *region;

	error->message[0] = '\0';
	if (size == 0)
		return NULL;
	region = mr_shared_map(path, region_size(sets), &format, error);
	if (region == NULL)
		return NULL;
	if ((cache = cache_wrap(region, sets, true, ttl_secs)) == NULL) {
		mr_shared_unmap(region, region_size(sets));
		mr_error_set(error, "%s: out of memory", path);
	}
	return cache;
}

void mr_verify_cache_free(struct mr_verify_cache **_cache)
{
	struct mr_verify_cache *cache = *_cache;

	if (cache == NULL)
		return;
	*_cache = NULL;
	if (cache->shared) {
		mr_shared_unmap(cache->header, cache->region_size);
	} else {
		sodium_memzero(cache->header->key, sizeof(cache->header->key));
		free(cache->header);
	}
	free(cache);
}

/* The stored hash's length goes first, so that (stored, password) pairs
   cannot be shifted into one another. */
static void cache_digest(const struct mr_verify_cache *cache,
			 const char *stored, const char *password,
			 uint64_t digest[DIGEST_WORDS])
{
	crypto_generichash_state state;
	uint64_t stored_len = strlen(stored);

	crypto_generichash_init(&state, cache->header->key,
				sizeof(cache->header->key), DIGEST_SIZE);
	crypto_generichash_update(&state, (const unsigned char *)&stored_len,
				  sizeof(stored_len));
	crypto_generichash_update(&state, (const unsigned char *)stored,
				  stored_len);
	crypto_generichash_update(&state, (const unsigned char *)password,
				  strlen(password));
	crypto_generichash_final(&state, (unsigned char *)digest, DIGEST_SIZE);
	sodium_memzero(&state, sizeof(state));
}

static uint64_t load(const uint64_t *word)
{
	return __atomic_load_n(word, __ATOMIC_RELAXED);
}

static void count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static uint64_t tick(struct mr_verify_cache *cache)
{
	return __atomic_add_fetch(&cache->header->clock, 1, __ATOMIC_RELAXED);
}

/* The first way of the digest's set. */
static struct verify_cache_entry *
cache_set(const struct mr_verify_cache *cache,
	  const uint64_t digest[DIGEST_WORDS])
{
	/* the digest is keyed and uniform: any 8 bytes index evenly */
	return &cache->entries[(digest[0] % cache->header->sets) *
			       MR_VERIFY_CACHE_WAYS];
}

/* Whether the entry holds digest, live at now: read between two equal,
   even sequence counts, or it is taken as not holding it. */
static bool entry_holds(const struct verify_cache_entry *entry,
			const uint64_t digest[DIGEST_WORDS], time_t now)
{
	uint64_t seq = __atomic_load_n(&entry->seq, __ATOMIC_ACQUIRE);
	uint64_t copy[DIGEST_WORDS];
	int64_t expires;
	bool holds;

	if ((seq & 1) != 0)
		return false;
	for (unsigned int i = 0; i < DIGEST_WORDS; i++)
		copy[i] = load(&entry->digest[i]);
	expires = __atomic_load_n(&entry->expires, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	holds = load(&entry->seq) == seq && expires > (int64_t)now &&
		sodium_memcmp(copy, digest, DIGEST_SIZE) == 0;
	sodium_memzero(copy, sizeof(copy));
	return holds;
}

/* Writes the entry, unless another process is writing it. */
static void entry_store(struct verify_cache_entry *entry,
			const uint64_t digest[DIGEST_WORDS], int64_t expires,
			uint64_t used)
{
	uint64_t seq = load(&entry->seq);

	if ((seq & 1) != 0 ||
	    !__atomic_compare_exchange_n(&entry->seq, &seq, seq + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	/* the odd count is seen before any of the new words */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (unsigned int i = 0; i < DIGEST_WORDS; i++)
		__atomic_store_n(&entry->digest[i], digest[i], __ATOMIC_RELAXED);
	__atomic_store_n(&entry->expires, expires, __ATOMIC_RELAXED);
	__atomic_store_n(&entry->used, used, __ATOMIC_RELAXED);
	__atomic_store_n(&entry->seq, seq + 2, __ATOMIC_RELEASE);
}

/* The live entry holding digest, or NULL. */
static struct verify_cache_entry *
cache_find(const struct mr_verify_cache *cache,
	   const uint64_t digest[DIGEST_WORDS], time_t now)
{
	struct verify_cache_entry *set = cache_set(cache, digest);

	for (unsigned int i = 0; i < MR_VERIFY_CACHE_WAYS; i++) {
		if (entry_holds(&set[i], digest, now))
			return &set[i];
	}
	return NULL;
}

/* Where a new digest goes: an empty or expired way of its set, else the
   least recently used one (an eviction). */
static struct verify_cache_entry *
cache_victim(struct mr_verify_cache *cache,
	     const uint64_t digest[DIGEST_WORDS], time_t now)
{
	struct verify_cache_entry *set = cache_set(cache, digest);
	struct verify_cache_entry *oldest = &set[0];

	for (unsigned int i = 0; i < MR_VERIFY_CACHE_WAYS; i++) {
		if (__atomic_load_n(&set[i].expires, __ATOMIC_RELAXED) <=
		    (int64_t)now)
			return &set[i];
		if (load(&set[i].used) < load(&oldest->used))
			oldest = &set[i];
	}
	count(&cache->header->evictions);
	return oldest;
}

bool mr_verify_cache_contains(struct mr_verify_cache *cache,
			      const char *stored, const char *password,
			      time_t now)
{
	uint64_t digest[DIGEST_WORDS];
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
		       bool *cached_r, const char **reason_r)
{
	uint64_t digest[DIGEST_WORDS];
	struct verify_cache_entry *entry;
	enum mr_password_result result;
	bool cached = false;
	time_t now;

	if (cache == NULL) {
		result = mr_password_verify(limits, password, stored, reason_r);
		goto done;
	}
	now = time(NULL);
	cache_digest(cache, stored, password, digest);
	if ((entry = cache_find(cache, digest, now)) != NULL) {
		count(&cache->header->hits);
		__atomic_store_n(&entry->used, tick(cache), __ATOMIC_RELAXED);
		*reason_r = NULL;
		result = MR_PASSWORD_MATCH;
		cached = true;
	} else {
		count(&cache->header->misses);
		result = mr_password_verify(limits, password, stored,
					    reason_r);
		if (result == MR_PASSWORD_MATCH) {
			entry_store(cache_victim(cache, digest, now), digest,
				    (int64_t)now + cache->ttl_secs,
				    tick(cache));
		}
	}
	sodium_memzero(digest, sizeof(digest));
done:
	if (cached_r != NULL)
		*cached_r = cached;
	return result;
}

void mr_verify_cache_get_stats(const struct mr_verify_cache *cache,
			       struct mr_verify_cache_stats *stats_r)
{
	memset(stats_r, 0, sizeof(*stats_r));
	if (cache == NULL)
		return;
	stats_r->hits = load(&cache->header->hits);
	stats_r->misses = load(&cache->header->misses);
	stats_r->evictions = load(&cache->header->evictions);
}
