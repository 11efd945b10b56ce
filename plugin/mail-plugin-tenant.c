/* mailroute_tenant: a Dovecot 2.3 mail plugin that keeps shared folders
   within one customer (SPEC 12).

   Dovecot opens another user's mailboxes (shared/<owner>/...) through an
   "owner" user it makes for the logged-in one, then reads the rights from
   the owner's dovecot-acl files: whatever an owner wrote there (SETACL to
   user=x@other-customer.example) would be honoured. Here the owner is
   looked up in the userdb as soon as Dovecot makes it; unless both users
   carry the same mailroute_tenant (the userdb's customer key), the owner
   is made nonexistent. Dovecot then takes the very path it takes for an
   unknown name (an unusable namespace over no mail), so SELECT, LIST,
   STATUS, CREATE, RENAME and MYRIGHTS answer alike for another
   customer's user and for nobody, and no ACL file of theirs is read.

   It also keeps MYRIGHTS and GETACL on such a name from ending the
   session (mailroute_tenant_mailbox_list_created). */

#include "lib.h"
#include "auth-master.h"
#include "mail-storage-hooks.h"
#include "mailbox-list-private.h"
#include "mail-namespace.h"
#include "mail-user.h"

#define TENANT_FIELD "mailroute_tenant"

const char *mailroute_tenant_plugin_version = DOVECOT_ABI_VERSION;

void mailroute_tenant_plugin_init(struct module *module);
void mailroute_tenant_plugin_deinit(void);

/* The owner's tenant from its own userdb reply: 1 found (*tenant_r NULL
   when the reply has none), 0 unknown user, -1 lookup failed. */
static int owner_tenant(struct mail_user *owner, pool_t pool,
			const char **tenant_r)
{
	struct auth_user_info info;
	const char *username, *const *fields;
	int ret;

	*tenant_r = NULL;
	if (mail_user_auth_master_conn == NULL)
		return -1;
	i_zero(&info);
	info.service = owner->service;
	ret = auth_master_user_lookup(mail_user_auth_master_conn,
				      owner->username, &info, pool,
				      &username, &fields);
	if (ret <= 0)
		return ret;
	for (; *fields != NULL; fields++) {
		if (str_begins(*fields, TENANT_FIELD "="))
			*tenant_r = *fields + strlen(TENANT_FIELD "=");
	}
	return 1;
}

/* As mail_user_get_home() leaves a user the userdb does not know. */
static void owner_make_nonexistent(struct mail_user *owner)
{
	owner->_home = NULL;
	owner->home_looked_up = TRUE;
	owner->nonexistent = TRUE;
}

static void mailroute_tenant_mail_user_created(struct mail_user *user)
{
	struct mail_user *creator = user->creator;
	const char *creator_tenant, *tenant;
	pool_t pool;
	int ret;

	/* only the owners Dovecot makes for shared folders */
	if (creator == NULL || !user->autocreated)
		return;
	creator_tenant = mail_user_plugin_getenv(creator, TENANT_FIELD);
	pool = pool_alloconly_create("mailroute tenant lookup", 1024);
	ret = owner_tenant(user, pool, &tenant);
	if (ret < 0) {
		/* closed, not open: the folder is missing until the userdb
		   answers again */
		e_error(creator->event, "mailroute_tenant: userdb lookup of "
			"shared folder owner %s failed: its folders are "
			"withheld", user->username);
		owner_make_nonexistent(user);
	} else if (ret > 0 &&
		   (creator_tenant == NULL || tenant == NULL ||
		    strcmp(creator_tenant, tenant) != 0)) {
		e_debug(creator->event, "mailroute_tenant: %s is not of this "
			"user's customer (%s, %s): answered as unknown",
			user->username,
			creator_tenant == NULL ? "none" : creator_tenant,
			tenant == NULL ? "none" : tenant);
		owner_make_nonexistent(user);
	}
	pool_unref(&pool);
}

/* Dovecot's acl plugin sets up no ACLs for an unusable namespace (an
   unknown owner's), and imap-acl's MYRIGHTS and GETACL then panic there:
   "Module context acl_storage_module missing" (2.3.13 to 2.3.21; the code
   is the same in 2.4.4). Run before acl (this module's lib00 prefix),
   this lets acl set up its ACLs there: read from a directory that does
   not exist, they grant nothing, and Dovecot marks the namespace unusable
   again as soon as its list is made (shared_namespace_exists()). */
static void mailroute_tenant_mailbox_list_created(struct mailbox_list *list)
{
	struct mail_namespace *ns = list->ns;

	if (ns->type == MAIL_NAMESPACE_TYPE_SHARED && ns->owner != NULL &&
	    (ns->flags & NAMESPACE_FLAG_UNUSABLE) != 0)
		ns->flags &= ENUM_NEGATE(NAMESPACE_FLAG_UNUSABLE);
}

static struct mail_storage_hooks mailroute_tenant_hooks = {
	.mail_user_created = mailroute_tenant_mail_user_created,
	.mailbox_list_created = mailroute_tenant_mailbox_list_created,
};

void mailroute_tenant_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &mailroute_tenant_hooks);
}

void mailroute_tenant_plugin_deinit(void)
{
	mail_storage_hooks_remove(&mailroute_tenant_hooks);
}
