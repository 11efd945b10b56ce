#ifndef MR_ACCOUNT_H
#define MR_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

/* Room for 255 characters of the schema's utf8 (3 bytes each) + NUL. */
#define MR_NAME_SIZE 768
/* auth_user.password is varchar(128); room for any ASCII hash + NUL. */
#define MR_PASSWORD_SIZE 400
/* An account's shared-folder groups, comma-separated: about twenty groups
   of long names. More is a malformed row, never a silent cut. */
#define MR_GROUPS_SIZE 4096

/* One account as the login view gives it (SPEC 2.3), with the effective
   policy values already resolved (account policy, else domain policy). */
struct mr_account {
	uint64_t account_id;
	uint64_t user_id;
	uint64_t domain_id;
	/* amavisd_emailaccount.localpart, stored case */
	char localpart[MR_NAME_SIZE];
	/* amavisd_domain.name of the matching alias row's domain */
	char domain[MR_NAME_SIZE];
	/* auth_user.password: the Django hash. Wipe with mr_account_wipe(). */
	char password[MR_PASSWORD_SIZE];
	bool is_active;
	bool hosted;
	bool continuity;
	bool has_storage_days;
	unsigned long storage_days;
	bool has_quota;
	unsigned long quota_mb;
	/* the account's shared-folder groups (migration 0011), as Dovecot's
	   acl_groups names them: <name>@<group domain>, comma-separated,
	   sorted; "" for none */
	char groups[MR_GROUPS_SIZE];
	/* the customer the account belongs to (its canonical domain's
	   customer_id, in decimal): shared folders never cross it */
	char tenant[32];
};

/* SPEC 3 admission: login needs an active hosted or continuity account;
   delivery only needs hosted or continuity (is_active does not stop
   mail). */
static inline bool mr_account_may_receive(const struct mr_account *account)
{
	return account->hosted || account->continuity;
}

static inline bool mr_account_may_login(const struct mr_account *account)
{
	return account->is_active && mr_account_may_receive(account);
}

/* The groups as the account lookups read them, "<count>:<a>,<b>" (the
   names joined by ',' and counted), to "<a>,<b>" in place; false when
   the names are not count of them: a ',' inside one (a domain named
   "x.example,continuity"). */
bool mr_account_groups_decode(char *groups);

/* Zeroes the whole struct, the stored hash included. */
void mr_account_wipe(struct mr_account *account);

#endif
