#ifndef MR_DB_HOSTS_H
#define MR_DB_HOSTS_H

#include "mr-config.h"
#include "mr-error.h"

#include <stdbool.h>
#include <time.h>

/* Which database host to try first. A host that failed to connect is
   tried after the others for db_retry_interval seconds, as Postfix's
   dict_mysql keeps a host down for a retry interval: a first host that
   accepts TCP and never answers would otherwise cost every request the
   connect timeout. Long-lived processes (the Dovecot module) remember in
   memory; one-process-per-request programs (checkpassword, the CLI) share
   the memory through db_host_state_file. When every host is down, every
   host is still tried, so that no request fails without a try. */

struct mr_db_hosts;

/* NULL when out of memory. The config must outlive the table. */
struct mr_db_hosts *mr_db_hosts_create(const struct mr_config *config);
void mr_db_hosts_destroy(struct mr_db_hosts **hosts);

/* Fills order with the indexes of config->db_hosts in the order to try
   them at now: the hosts that are not down in the configured order, then
   the down ones by the time they come back. Reads the state file first,
   when there is one. Returns the host count. */
unsigned int mr_db_hosts_order(struct mr_db_hosts *hosts, time_t now,
			       unsigned int *order);
/* Whether host i is down at now (as of the last order or change). */
bool mr_db_hosts_down(const struct mr_db_hosts *hosts, unsigned int i,
		      time_t now);

/* Host i failed to connect: down until now + db_retry_interval. -1 with
   error set when the state file could not be written (the memory in this
   process is kept). */
int mr_db_hosts_failed(struct mr_db_hosts *hosts, unsigned int i, time_t now,
		       struct mr_error *error);
/* Host i connected. *was_down_r: it had been marked down (a recovery).
   -1 with error set as above. */
int mr_db_hosts_connected(struct mr_db_hosts *hosts, unsigned int i,
			  bool *was_down_r, struct mr_error *error);

#endif
