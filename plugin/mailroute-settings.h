#ifndef MAILROUTE_SETTINGS_H
#define MAILROUTE_SETTINGS_H

/* Dovecot 2.4's settings for passdb and userdb mailroute. 2.4 dropped
   "args": the configuration file comes from mailroute_config_file, in a
   passdb/userdb block or a passdb_mailroute/userdb_mailroute filter.
   The defaults make the driver blocking (use_worker) and its scheme
   DJANGO, as 2.3's preinit did. */

struct mailroute_settings {
	pool_t pool;
	const char *mailroute_config_file;
};

extern const struct setting_parser_info mailroute_setting_parser_info;

/* The userdb field mailroute_tenant, a setting in 2.4's eyes. */
struct mailroute_tenant_settings {
	pool_t pool;
	const char *mailroute_tenant;
};

extern const struct setting_parser_info mailroute_tenant_setting_parser_info;

/* The configuration file for the passdb or userdb of this event. */
int mailroute_settings_config_file(struct event *event, const char **path_r,
				   const char **error_r);

#endif
