/* libmailroute_settings.so: Dovecot 2.4's config process loads the
   modules in moduledir/settings and learns their settings from
   <module>_set_infos, so that mailroute_config_file and the userdb field
   mailroute_tenant are known settings. */

#include "lib.h"
#include "settings-parser.h"

#include "mailroute-settings.h"

extern const char *mailroute_settings_version;
extern const struct setting_parser_info *mailroute_settings_set_infos[];

const char *mailroute_settings_version = DOVECOT_ABI_VERSION;
const struct setting_parser_info *mailroute_settings_set_infos[] = {
	&mailroute_setting_parser_info,
	&mailroute_tenant_setting_parser_info,
	NULL
};
