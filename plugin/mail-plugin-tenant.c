/* mailroute_tenant: a Dovecot mail plugin (2.3 and 2.4) that keeps shared
   folders within one customer (SPEC 12).

   Dovecot opens another user's mailboxes (shared/<owner>/...) through an
   "owner" user it makes in the logged-in user's session, then reads the
   rights from the owner's dovecot-acl files: whatever an owner wrote
   there (SETACL to user=x@other-customer.example) would be honoured.
   Here the owner is looked up in the userdb as soon as Dovecot makes it;
   unless both users carry the same mailroute_tenant (the userdb's
   customer key), the owner is made nonexistent. Dovecot then takes the
   very path it takes for an unknown name (an unusable namespace over no
   mail), so SELECT, LIST, STATUS, CREATE, RENAME and MYRIGHTS answer
   alike for another customer's user and for nobody, and no ACL file of
   theirs is read.

   The owner is made with the logged-in user's session id (2.3 also sets
   its creator, but 2.4 only after the hooks ran, and 2.4 runs none but
   forced hooks for it): the logged-in users of this process are kept by
   session id to find the one an owner is made for. */

#include "lib.h"
#include "array.h"
#include "module-context.h"
#include "auth-master.h"
#include "mail-namespace.h"
#include "mail-storage-hooks.h"
#include "mail-user.h"
#include "mailbox-list-private.h"

#if DOVECOT_VERSION_MAJOR > 2 || \
	(DOVECOT_VERSION_MAJOR == 2 && DOVECOT_VERSION_MINOR >= 4)
/* 2.4 calls the lookup's service its protocol */
#  define USER_INFO_SERVICE(info, user) ((info)->protocol = (user)->protocol)
#else
#  define USER_INFO_SERVICE(info, user) ((info)->service = (user)->service)
#endif

#define TENANT_FIELD "mailroute_tenant="
#define HOME_FIELD "home="

const char *mailroute_tenant_plugin_version = DOVECOT_ABI_VERSION;

void mailroute_tenant_plugin_init(struct module *module);
void mailroute_tenant_plugin_deinit(void);

#define TENANT_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, tenant_user_module)

struct tenant_user {
	union mail_user_module_context module_ctx;
};

static MODULE_CONTEXT_DEFINE_INIT(tenant_user_module,
				  &mail_user_module_register);

/* the logged-in users of this process (one, or a few in lmtp/doveadm) */
static ARRAY(struct mail_user *) logged_in_users;
/* the owner namespace whose unusable flag acl must not see */
static struct mail_namespace *unusable_ns_hidden;

/* The value of the userdb field prefix ("name="), NULL without one. */
static const char *fields_value(const char *const *fields, const char *prefix)
{
	for (; fields != NULL && *fields != NULL; fields++) {
		if (strncmp(*fields, prefix, strlen(prefix)) == 0)
			return *fields + strlen(prefix);
	}
	return NULL;
}

static struct mail_user *logged_in_user_of(const char *session_id)
{
	struct mail_user *user;

	if (session_id == NULL)
		return NULL;
	array_foreach_elem(&logged_in_users, user) {
		if (user->session_id != NULL &&
		    strcmp(user->session_id, session_id) == 0)
			return user;
	}
	return NULL;
}

static void tenant_user_deinit(struct mail_user *user)
{
	struct tenant_user *tuser = TENANT_USER_CONTEXT(user);
	struct mail_user *const *users;
	unsigned int i, count;

	users = array_get(&logged_in_users, &count);
	for (i = 0; i < count; i++) {
		if (users[i] == user) {
			array_delete(&logged_in_users, i, 1);
			break;
		}
	}
	tuser->module_ctx.super.deinit(user);
}

static void logged_in_user_add(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct tenant_user *tuser;

	tuser = p_new(user->pool, struct tenant_user, 1);
	tuser->module_ctx.super = *v;
	user->vlast = &tuser->module_ctx.super;
	v->deinit = tenant_user_deinit;
	MODULE_CONTEXT_SET(user, tenant_user_module, tuser);
	array_push_back(&logged_in_users, &user);
}

/* The owner's userdb reply, as mail_user_get_home() would ask for it: 1
   found, 0 unknown user, -1 lookup failed. */
static int owner_lookup(struct mail_user *owner, pool_t pool,
			const char *const **fields_r)
{
	struct auth_user_info info;
	const char *username;

	*fields_r = NULL;
	if (mail_user_auth_master_conn == NULL)
		return -1;
	i_zero(&info);
	USER_INFO_SERVICE(&info, owner);
	return auth_master_user_lookup(mail_user_auth_master_conn,
				       owner->username, &info, pool,
				       &username, fields_r);
}

/* As mail_user_get_home() leaves a user the userdb does not know. */
static void owner_make_nonexistent(struct mail_user *owner)
{
	owner->_home = NULL;
	owner->home_looked_up = TRUE;
	owner->nonexistent = TRUE;
}

/* Looks the owner up once: another customer's, unknown or unanswered,
   it is nonexistent; else its home is set from the same reply, so that
   Dovecot does not look it up a second time. */
static void owner_check(struct mail_user *owner, struct mail_user *user)
{
	const char *user_tenant = fields_value(user->userdb_fields, TENANT_FIELD);
	const char *tenant, *home, *const *fields;
	pool_t pool;
	int ret;

	pool = pool_alloconly_create("mailroute tenant lookup", 1024);
	ret = owner_lookup(owner, pool, &fields);
	tenant = fields_value(fields, TENANT_FIELD);
	if (ret < 0) {
		/* closed, not open: the folders are missing until the
		   userdb answers again */
		e_error(user->event, "mailroute_tenant: userdb lookup of "
			"shared folder owner %s failed: its folders are "
			"withheld", owner->username);
		owner_make_nonexistent(owner);
	} else if (ret > 0 &&
		   (user_tenant == NULL || tenant == NULL ||
		    strcmp(user_tenant, tenant) != 0)) {
		e_debug(user->event, "mailroute_tenant: %s is not of this "
			"user's customer (%s, %s): answered as unknown",
			owner->username,
			user_tenant == NULL ? "none" : user_tenant,
			tenant == NULL ? "none" : tenant);
		owner_make_nonexistent(owner);
	} else if (ret == 0) {
		owner_make_nonexistent(owner);
	} else if ((home = fields_value(fields, HOME_FIELD)) != NULL) {
		mail_user_set_home(owner, home);
	}
	pool_unref(&pool);
}

static void mailroute_tenant_mail_user_created(struct mail_user *user)
{
	struct mail_user *logged_in;

	if (!user->autocreated) {
		logged_in_user_add(user);
		return;
	}
	/* an owner of shared folders, made in a logged-in user's session;
	   other autocreated users (raw storage) have no session */
	logged_in = user->creator != NULL ? user->creator :
		logged_in_user_of(user->session_id);
	if (logged_in != NULL)
		owner_check(user, logged_in);
}

/* Dovecot's acl plugin sets up no ACLs for an unusable namespace (an
   unknown owner's), and imap-acl's MYRIGHTS and GETACL then panic there:
   "Module context acl_storage_module missing" (2.3.13 to 2.3.21; the
   code is the same in 2.4.4). Run before acl (this module's lib00
   prefix), this hides the flag from acl's hook, so acl sets up its ACLs
   there: read from a directory that does not exist, they grant nothing.
   The flag is back as soon as the storage is added. */
static void mailroute_tenant_mailbox_list_created(struct mailbox_list *list)
{
	struct mail_namespace *ns = list->ns;

	if (ns->type == MAIL_NAMESPACE_TYPE_SHARED && ns->owner != NULL &&
	    (ns->flags & NAMESPACE_FLAG_UNUSABLE) != 0) {
		ns->flags &= ENUM_NEGATE(NAMESPACE_FLAG_UNUSABLE);
		unusable_ns_hidden = ns;
	}
}

static void mailroute_tenant_mail_namespace_storage_added(
	struct mail_namespace *ns)
{
	if (ns == unusable_ns_hidden) {
		ns->flags |= NAMESPACE_FLAG_UNUSABLE;
		unusable_ns_hidden = NULL;
	}
}

static struct mail_storage_hooks mailroute_tenant_hooks = {
	.mail_user_created = mailroute_tenant_mail_user_created,
	.mailbox_list_created = mailroute_tenant_mailbox_list_created,
	.mail_namespace_storage_added =
		mailroute_tenant_mail_namespace_storage_added,
};

void mailroute_tenant_plugin_init(struct module *module)
{
	i_array_init(&logged_in_users, 4);
	/* forced: 2.4 runs no plugin's hooks for a shared folder's owner */
	mail_storage_hooks_add_forced(module, &mailroute_tenant_hooks);
}

void mailroute_tenant_plugin_deinit(void)
{
	mail_storage_hooks_remove(&mailroute_tenant_hooks);
	array_free(&logged_in_users);
}
