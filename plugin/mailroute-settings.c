/* Dovecot 2.4 settings of passdb/userdb mailroute. Built into
   libauthdb_mailroute.so (the auth process reads them) and into
   libmailroute_settings.so in moduledir/settings (the config process must
   know every setting a configuration file names). */

#include "lib.h"
#include "settings.h"
#include "settings-parser.h"

#include "mailroute-settings.h"

#undef DEF
#define DEF(type, name) \
	SETTING_DEFINE_STRUCT_##type(#name, name, struct mailroute_settings)

static const struct setting_define mailroute_setting_defines[] = {
	{ .type = SET_FILTER_NAME, .key = "passdb_mailroute", },
	{ .type = SET_FILTER_NAME, .key = "userdb_mailroute", },
	DEF(STR_NOVARS, mailroute_config_file),

	SETTING_DEFINE_LIST_END
};

/* empty: the built-in default (mailroute_backend_get()) */
static const struct mailroute_settings mailroute_default_settings = {
	.mailroute_config_file = "",
};

/* MariaDB I/O blocks: only auth-workers may run lookups. {DJANGO} is the
   scheme of every hash the passdb hands to Dovecot. */
static const struct setting_keyvalue mailroute_default_settings_keyvalue[] = {
	{ "passdb_mailroute/passdb_use_worker", "yes" },
	{ "passdb_mailroute/passdb_default_password_scheme", "DJANGO" },
	{ "userdb_mailroute/userdb_use_worker", "yes" },
	{ NULL, NULL }
};

const struct setting_parser_info mailroute_setting_parser_info = {
	.name = "mailroute",

	.defines = mailroute_setting_defines,
	.defaults = &mailroute_default_settings,
	.default_settings = mailroute_default_settings_keyvalue,

	.struct_size = sizeof(struct mailroute_settings),
	.pool_offset1 = 1 + offsetof(struct mailroute_settings, pool),
};

/* mailroute_tenant: the account's customer, which the userdb gives every
   mail process for the mailroute_tenant mail plugin (it reads it from the
   userdb fields). 2.4 takes a userdb field only as a setting it knows. */
#undef DEF
#define DEF(type, name) \
	SETTING_DEFINE_STRUCT_##type(#name, name, struct mailroute_tenant_settings)

static const struct setting_define mailroute_tenant_setting_defines[] = {
	DEF(STR_NOVARS, mailroute_tenant),

	SETTING_DEFINE_LIST_END
};

static const struct mailroute_tenant_settings mailroute_tenant_default_settings = {
	.mailroute_tenant = "",
};

const struct setting_parser_info mailroute_tenant_setting_parser_info = {
	.name = "mailroute_tenant",

	.defines = mailroute_tenant_setting_defines,
	.defaults = &mailroute_tenant_default_settings,

	.struct_size = sizeof(struct mailroute_tenant_settings),
	.pool_offset1 = 1 + offsetof(struct mailroute_tenant_settings, pool),
};

int mailroute_settings_config_file(struct event *event, const char **path_r,
				   const char **error_r)
{
	const struct mailroute_settings *set;

	if (settings_get(event, &mailroute_setting_parser_info, 0, &set,
			 error_r) < 0)
		return -1;
	*path_r = t_strdup(set->mailroute_config_file);
	settings_free(set);
	return 0;
}
