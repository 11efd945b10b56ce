#include "unit-tests.h"
#include "mr-password.h"

#include <stdlib.h>

struct mr_config *unit_config;

void unit_config_setup(void)
{
	unit_config = mr_config_new_defaults();
	ck_assert_ptr_nonnull(unit_config);
}

void unit_config_teardown(void)
{
	mr_config_free(&unit_config);
}

int main(void)
{
	SRunner *runner;
	int failed;

	if (mr_password_init() < 0)
		return EXIT_FAILURE;
	runner = srunner_create(address_suite());
	srunner_add_suite(runner, admission_suite());
	srunner_add_suite(runner, config_suite());
	srunner_add_suite(runner, db_hosts_suite());
	srunner_add_suite(runner, password_suite());
	srunner_add_suite(runner, resolve_suite());
	srunner_add_suite(runner, userdb_fields_suite());
	srunner_add_suite(runner, verify_cache_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
