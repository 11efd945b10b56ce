/* mailroute-auth compare-legacy: before the cut-over, every address of the
   login view answered the legacy way (the production queries of
   reference/legacy-queries.sql, over temporary_hosted) and the new way
   (lib/, over the policy columns), each difference printed with its
   category: one the project intends (SPEC 3-4) or unexpected. */

#include "compare-legacy.h"
#include "command.h"
#include "mr-dovecot-fields.h"
#include "mr-password.h"
#include "mr-resolve.h"
#include "mr-text.h"
#include "mr-userdb-fields.h"

#include <sodium.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

/* The legacy queries, verbatim but for their placeholders, which are
   bound values here: '$localpart' and '$domain' of the checkpassword
   script, %n and %d of Dovecot's user_query. test_compare_legacy.py checks
   the text against the reference file. */
const char compare_legacy_passdb_query[] =
"select password from auth_user u\n"
"  left join amavisd_emailaccount e on u.id=e.user_id\n"
"  left join amavisd_localpartalias la on e.id=la.email_account_id\n"
"  left join amavisd_domainalias d on la.domain_id=d.domain_id\n"
"  left join temporary_hosted h on d.domain_id=h.domain_id\n"
" where la.localpart=?\n"
"   and (d.name = ? OR la.external_domain = ?)\n"
"   and (h.hosted=1 or h.continuity=1)\n"
" LIMIT 1";

const char compare_legacy_userdb_query[] =
"SELECT home, mail, userdb_import, quota_rule FROM\n"
"  (SELECT\n"
"  concat(\"/data/mailstorage/\",\n"
"      substring(d.name,1, 1), \"/\", substring(d.name,2, 1), \"/\", d.name, \"/\",\n"
"      substring(e.localpart,1, 1), \"/\", e.localpart) as home,\n"
"  concat(\"maildir:/data/mailstorage/\",\n"
"      substring(d.name,1, 1), \"/\", substring(d.name,2, 1), \"/\", d.name, \"/\",\n"
"      substring(e.localpart,1, 1), \"/\", e.localpart,\n"
"      \"/mail:INDEX=/data/mailindices/\",\n"
"      substring(d.name,1, 1), \"/\", substring(d.name,2, 1), \"/\", d.name, \"/\",\n"
"      substring(e.localpart,1, 1), \"/\", e.localpart,\n"
"      \":LAYOUT=fs\") as mail,\n"
"  IF (h.continuity,\n"
"       CONCAT(\n"
"       'namespace/inbox/mailbox/inbox/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Drafts/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Quarantine/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Quarantine.Spam/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Quarantine.BadHeaders/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Quarantine.BannedFiles/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Quarantine.Blocked/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Quarantine.Virus/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Trash/autoexpunge=', h.cont_storage_days, \"d\\t\",\n"
"       'namespace/inbox/mailbox/Sent/autoexpunge=', h.cont_storage_days, \"d\"), '')\n"
"as userdb_import,\n"
"  IF (h.continuity, 'continuity', '') as acl_groups,\n"
"        CONCAT('*:storage=', quota_mb, 'M') AS quota_rule\n"
"  FROM auth_user u LEFT JOIN amavisd_emailaccount e ON u.id=e.user_id\n"
"    LEFT JOIN amavisd_localpartalias la ON e.id=la.email_account_id\n"
"    LEFT JOIN amavisd_domainalias da ON la.domain_id=da.domain_id\n"
"    LEFT JOIN amavisd_domain d ON la.domain_id=d.id\n"
"    LEFT JOIN temporary_hosted h ON da.domain_id=h.domain_id\n"
"  WHERE (la.localpart=? OR la.localpart = substring_index(?,'-', 1)\n"
"         OR la.localpart = substring_index(?,'+', 1))\n"
"    and (da.name = ? OR la.external_domain = ?)\n"
"    and (h.hosted=1 or h.continuity=1)) dt";

/* This worker's share of the addresses: a hash of the address modulo the
   number of workers. */
static const char address_query[] =
	"SELECT login_localpart, login_domain FROM mailroute_login "
	"WHERE MOD(CRC32(CONCAT(login_localpart, '@', login_domain)), ?) = ?";

/* The intended differences (SPEC 3-4), and the rest. */
enum category {
	CAT_INACTIVE = 0,
	CAT_HOSTED_WINS,
	CAT_ZERO_DAYS,
	CAT_EXACT_FIRST,
	CAT_UNSAFE_PATH,
	CAT_TWO_ACCOUNTS,
	CAT_ACL_GROUPS,
	CAT_UNEXPECTED,
	CAT_COUNT
};
_Static_assert(CAT_COUNT == COMPARE_LEGACY_CATEGORIES,
	       "one count per category");

static const char *const category_names[CAT_COUNT] = {
	[CAT_INACTIVE] = "intended: inactive user may not log in",
	[CAT_HOSTED_WINS] = "intended: hosted wins over continuity",
	[CAT_ZERO_DAYS] = "intended: 0 storage days expire nothing",
	[CAT_EXACT_FIRST] = "intended: exact match before delimiter cut",
	[CAT_UNSAFE_PATH] = "intended: no mail path from unsafe names",
	[CAT_TWO_ACCOUNTS] = "intended: two accounts on one address refused",
	[CAT_ACL_GROUPS] = "intended: acl_groups now delivered",
	[CAT_UNEXPECTED] = "unexpected",
};

struct legacy_userdb {
	unsigned int rows;
	/* the first row's, as Dovecot takes it; "" for NULL */
	char home[MR_DB_VALUE_SIZE], mail[MR_DB_VALUE_SIZE];
	char userdb_import[MR_DB_VALUE_SIZE], quota_rule[MR_DB_VALUE_SIZE];
};

struct legacy_passdb {
	bool found;
	char password[MR_DB_VALUE_SIZE];
};

struct comparison {
	const struct mr_config *config;
	struct mr_db *db;
	struct compare_legacy_counts *counts;
	bool failed;
	struct mr_error error;
};

static int legacy_userdb_row(void *context, unsigned int count,
			     const char *const *values, struct mr_error *error)
{
	struct legacy_userdb *legacy = context;
	char *fields[] = { legacy->home, legacy->mail, legacy->userdb_import,
			   legacy->quota_rule };

	(void)error;
	if (legacy->rows++ > 0)
		return 0;
	for (unsigned int i = 0; i < count && i < MR_N_ELEMENTS(fields); i++)
		snprintf(fields[i], MR_DB_VALUE_SIZE, "%s",
			 values[i] != NULL ? values[i] : "");
	return 0;
}

static int legacy_passdb_row(void *context, unsigned int count,
			     const char *const *values, struct mr_error *error)
{
	struct legacy_passdb *legacy = context;

	(void)count;
	(void)error;
	legacy->found = true;
	snprintf(legacy->password, sizeof(legacy->password), "%s",
		 values[0] != NULL ? values[0] : "");
	return 0;
}

static void report(struct comparison *cmp, const char *address,
		   const char *field, enum category category,
		   const char *legacy, const char *new_value)
{
	char escaped[4 * MR_DB_VALUE_SIZE];

	cmp->counts->by_category[category]++;
	mr_text_escape_log(address, escaped, sizeof(escaped));
	printf("%s\t%s\t%s\t", escaped, field, category_names[category]);
	mr_text_escape_log(legacy, escaped, sizeof(escaped));
	printf("legacy: %s\t", escaped);
	mr_text_escape_log(new_value, escaped, sizeof(escaped));
	printf("new: %s\n", escaped);
}

/* A stored hash with which the right password logs in. */
static bool hash_verifies(const struct mr_config *config, const char *stored)
{
	const char *reason;

	return mr_password_check_stored(&config->hash, stored, &reason) ==
		MR_PASSWORD_MISMATCH;
}

/* Why the new rules refuse a login the legacy query let in. */
static enum category login_refusal(enum mr_db_result found,
				   const struct mr_account *account,
				   bool has_path)
{
	if (found == MR_DB_FAILED)
		return CAT_TWO_ACCOUNTS;
	if (found != MR_DB_FOUND)
		return CAT_UNEXPECTED;
	if (!account->is_active && mr_account_may_receive(account))
		return CAT_INACTIVE;
	return has_path ? CAT_UNEXPECTED : CAT_UNSAFE_PATH;
}

/* A login with the right password: does it succeed, and as whom. The new
   side also needs a mail path (the module fails the login without one). */
static void compare_login(struct comparison *cmp, const char *address,
			  const struct legacy_passdb *legacy,
			  enum mr_db_result found, const struct mr_match *match,
			  bool has_path)
{
	bool legacy_login = legacy->found &&
		hash_verifies(cmp->config, legacy->password);
	bool new_login = found == MR_DB_FOUND && has_path &&
		mr_account_may_login(&match->account) &&
		hash_verifies(cmp->config, match->account.password);
	if (legacy_login && new_login &&
	    strcmp(legacy->password, match->account.password) != 0)
		report(cmp, address, "login", CAT_UNEXPECTED,
		       "one account's hash", "another account's hash");
	else if (legacy_login && !new_login)
		report(cmp, address, "login",
		       login_refusal(found, &match->account, has_path),
		       "accepts the password", "refuses");
	else if (!legacy_login && new_login)
		report(cmp, address, "login", CAT_UNEXPECTED, "refuses",
		       "accepts the password");
}

static const char *field_value(const struct mr_dovecot_fields *fields,
			       const char *name)
{
	for (unsigned int i = 0; i < fields->count; i++) {
		if (strcmp(fields->list[i].name, name) == 0)
			return fields->list[i].value;
	}
	return "";
}

static void compare_fields(struct comparison *cmp, const char *address,
			   const struct legacy_userdb *legacy,
			   const struct mr_account *account,
			   const struct mr_dovecot_fields *dovecot)
{
	const char *home = field_value(dovecot, "home");
	const char *import = field_value(dovecot, "userdb_import");
	const char *acl = field_value(dovecot, "acl_groups");
	const char *quota = field_value(dovecot, "quota_rule");

	if (strcmp(legacy->home, home) != 0 ||
	    strcmp(legacy->mail, field_value(dovecot, "mail")) != 0) {
		/* the legacy OR over the cut forms found another account
		   first; the new rule takes the exact localpart */
		report(cmp, address, "home", legacy->rows > 1 ?
		       CAT_EXACT_FIRST : CAT_UNEXPECTED, legacy->home, home);
		return;
	}
	if (strcmp(legacy->userdb_import, import) != 0)
		report(cmp, address, "userdb_import",
		       account->hosted && account->continuity ?
		       CAT_HOSTED_WINS :
		       account->continuity && account->storage_days == 0 ?
		       CAT_ZERO_DAYS : CAT_UNEXPECTED,
		       legacy->userdb_import, import);
	if (strcmp(legacy->quota_rule, quota) != 0)
		report(cmp, address, "quota_rule", CAT_UNEXPECTED,
		       legacy->quota_rule, quota);
	if (acl[0] != '\0')
		report(cmp, address, "acl_groups", CAT_ACL_GROUPS, "", acl);
}

/* fields: the account's, NULL when no mail path can be made of its
   names. */
static void compare_userdb(struct comparison *cmp, const char *address,
			   const struct legacy_userdb *legacy,
			   enum mr_db_result found, const struct mr_match *match,
			   const struct mr_userdb_fields *fields)
{
	struct mr_dovecot_fields dovecot;
	struct mr_error error;

	if (found == MR_DB_FAILED) {
		if (legacy->rows > 0)
			report(cmp, address, "user", CAT_TWO_ACCOUNTS,
			       legacy->home, "refused");
		return;
	}
	if (found == MR_DB_NOT_FOUND ||
	    !mr_account_may_receive(&match->account)) {
		if (legacy->rows > 0)
			report(cmp, address, "user", CAT_UNEXPECTED,
			       legacy->home, "unknown");
		return;
	}
	if (fields == NULL) {
		report(cmp, address, "user", legacy->rows > 0 ?
		       CAT_UNSAFE_PATH : CAT_UNEXPECTED,
		       legacy->rows > 0 ? legacy->home : "unknown", "refused");
		return;
	}
	if (mr_dovecot_fields_make(cmp->config, fields, &dovecot, &error) < 0) {
		cmp->failed = true;
		cmp->error = error;
		return;
	}
	if (legacy->rows == 0)
		report(cmp, address, "user", CAT_UNEXPECTED, "unknown",
		       field_value(&dovecot, "home"));
	else
		compare_fields(cmp, address, legacy, &match->account, &dovecot);
	mr_dovecot_fields_free(&dovecot);
}

/* One address of the login view: both answers, compared. */
static int compare_address(void *context, unsigned int count,
			   const char *const *values, struct mr_error *error)
{
	struct comparison *cmp = context;
	const char *localpart = values[0], *domain = values[1];
	const char *passdb_params[] = { localpart, domain, domain };
	const char *userdb_params[] = { localpart, localpart, localpart,
					domain, domain };
	struct legacy_userdb userdb;
	struct legacy_passdb passdb;
	char address[2 * MR_NAME_SIZE];
	struct mr_error lookup_error;
	struct mr_userdb_fields fields;
	enum mr_db_result found;
	struct mr_match match;
	bool has_path;

	if (count < 2 || localpart == NULL || domain == NULL)
		return 0;
	cmp->counts->addresses++;
	snprintf(address, sizeof(address), "%s@%s", localpart, domain);
	memset(&userdb, 0, sizeof(userdb));
	memset(&passdb, 0, sizeof(passdb));
	if (mr_db_query_rows(cmp->db, compare_legacy_passdb_query,
			     passdb_params, MR_N_ELEMENTS(passdb_params),
			     legacy_passdb_row, &passdb, error) < 0 ||
	    mr_db_query_rows(cmp->db, compare_legacy_userdb_query,
			     userdb_params, MR_N_ELEMENTS(userdb_params),
			     legacy_userdb_row, &userdb, error) < 0)
		return -1;
	/* An address of the view is its own exact match: the login rule
	   (exact localpart only) and the recipient rule (exact first) find
	   the same account, so one lookup answers both. */
	found = mr_resolve_recipient(cmp->db, cmp->config->recipient_delimiter,
				     address, &match, &lookup_error);
	if (found == MR_DB_FAILED &&
	    strstr(lookup_error.message, "data error") == NULL) {
		cmp->failed = true;
		cmp->error = lookup_error;
	} else {
		/* the mail path decides both a login and a delivery: built
		   once */
		has_path = found == MR_DB_FOUND &&
			mr_userdb_fields_build(cmp->config, &match.account,
					       &fields, &lookup_error) == 0;
		compare_login(cmp, address, &passdb, found, &match, has_path);
		compare_userdb(cmp, address, &userdb, found, &match,
			       has_path ? &fields : NULL);
		if (has_path)
			mr_userdb_fields_free(&fields);
	}
	mr_account_wipe(&match.account);
	sodium_memzero(&passdb, sizeof(passdb));
	if (cmp->failed) {
		*error = cmp->error;
		return -1;
	}
	return 0;
}

int compare_legacy_part(const struct mr_config *config, struct mr_db *listing,
			struct mr_db *lookups, unsigned int part,
			unsigned int parts, struct compare_legacy_counts *counts,
			struct mr_error *error)
{
	struct comparison cmp = { .config = config, .db = lookups,
				  .counts = counts };
	char modulus[16], remainder[16];
	const char *params[] = { modulus, remainder };

	snprintf(modulus, sizeof(modulus), "%u", parts);
	snprintf(remainder, sizeof(remainder), "%u", part);
	return mr_db_query_rows(listing, address_query, params,
				MR_N_ELEMENTS(params), compare_address, &cmp,
				error);
}

unsigned long compare_legacy_summary(const struct compare_legacy_counts *counts)
{
	unsigned long intended = 0;

	printf("# %lu addresses compared\n", counts->addresses);
	for (unsigned int i = 0; i < CAT_COUNT; i++) {
		if (counts->by_category[i] > 0)
			printf("# %lu\t%s\n", counts->by_category[i],
			       category_names[i]);
		if (i != CAT_UNEXPECTED)
			intended += counts->by_category[i];
	}
	printf("# %lu intended, %lu unexpected differences\n", intended,
	       counts->by_category[CAT_UNEXPECTED]);
	return counts->by_category[CAT_UNEXPECTED];
}

/* One worker's share of the addresses; 0, or EXIT_DB_FAILURE reported. */
static int compare_legacy_worker(const struct mr_config *config,
				 unsigned int part, unsigned int parts,
				 struct compare_legacy_counts *counts)
{
	struct mr_db *listing = cli_db_create(config);
	struct mr_db *lookups = cli_db_create(config);
	struct mr_error error;
	int status = 0;

	if (listing == NULL || lookups == NULL) {
		fprintf(stderr, "mailroute-auth: out of memory\n");
		status = EXIT_DB_FAILURE;
	} else if (compare_legacy_part(config, listing, lookups, part, parts,
				       counts, &error) < 0) {
		fprintf(stderr, "mailroute-auth: database: %s%s\n",
			error.message,
			strstr(error.message, "temporary_hosted") != NULL ?
			" (compare before migration 0003 renames "
			"temporary_hosted)" : "");
		status = EXIT_DB_FAILURE;
	}
	mr_db_destroy(&listing);
	mr_db_destroy(&lookups);
	return status;
}

/* jobs workers, each a process with its connections, its share of the
   addresses and its counts sent back through a pipe. */
static int compare_legacy_in_workers(const struct mr_config *config,
				     unsigned int jobs,
				     struct compare_legacy_counts *total)
{
	struct compare_legacy_counts counts;
	int fds[2], status, failed = 0;

	if (pipe(fds) < 0) {
		fprintf(stderr, "mailroute-auth: pipe: %s\n", strerror(errno));
		return EXIT_DB_FAILURE;
	}
	fflush(stdout);
	for (unsigned int part = 0; part < jobs; part++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "mailroute-auth: fork: %s\n",
				strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			/* whole lines, so that workers' lines never mix */
			setvbuf(stdout, NULL, _IOLBF, 0);
			memset(&counts, 0, sizeof(counts));
			status = compare_legacy_worker(config, part, jobs,
						       &counts);
			fflush(stdout);
			if (status == 0 &&
			    write(fds[1], &counts, sizeof(counts)) !=
			    (ssize_t)sizeof(counts))
				status = EXIT_DB_FAILURE;
			_exit(status);
		}
	}
	close(fds[1]);
	while (read(fds[0], &counts, sizeof(counts)) == (ssize_t)sizeof(counts)) {
		total->addresses += counts.addresses;
		for (unsigned int i = 0; i < COMPARE_LEGACY_CATEGORIES; i++)
			total->by_category[i] += counts.by_category[i];
	}
	close(fds[0]);
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed ? EXIT_DB_FAILURE : 0;
}

int cmd_compare_legacy(const struct cli_context *cli, char *operands[])
{
	const struct mr_config *config = cli->config;
	const char *jobs_arg = operands[0];
	struct compare_legacy_counts total;
	unsigned long jobs = 1;
	int status;

	if (jobs_arg != NULL && !mr_parse_ulong(jobs_arg, 1, 64, &jobs)) {
		fprintf(stderr, "mailroute-auth: compare-legacy: JOBS must be "
			"a number 1-64\n");
		return EXIT_USAGE;
	}
	if (strcmp(config->mail_root, "/data/mailstorage") != 0 ||
	    strcmp(config->index_root, "/data/mailindices") != 0)
		fprintf(stderr, "mailroute-auth: mail_root or index_root is not "
			"the legacy query's /data/mailstorage, "
			"/data/mailindices: every home will differ\n");
	memset(&total, 0, sizeof(total));
	status = jobs == 1 ?
		compare_legacy_worker(config, 0, 1, &total) :
		compare_legacy_in_workers(config, (unsigned int)jobs, &total);
	if (status != 0)
		return status;
	return compare_legacy_summary(&total) > 0 ? 1 : 0;
}
