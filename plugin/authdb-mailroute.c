/* Module entry points of libauthdb_mailroute.so. */

#include "auth-common.h"
#include "passdb.h"
#include "userdb.h"

#include "authdb-mailroute.h"

const char *authdb_mailroute_version = DOVECOT_ABI_VERSION;
const char *authdb_mailroute_dependencies[] = { "mailroute_django", NULL };

void authdb_mailroute_init(struct module *module ATTR_UNUSED)
{
	passdb_register_module(&passdb_mailroute);
	userdb_register_module(&userdb_mailroute);
}

void authdb_mailroute_deinit(void)
{
	passdb_unregister_module(&passdb_mailroute);
	userdb_unregister_module(&userdb_mailroute);
}
