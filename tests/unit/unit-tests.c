#include "unit-tests.h"
#include "mr-password.h"

#include <stdlib.h>

int main(void)
{
	SRunner *runner;
	int failed;

	if (mr_password_init() < 0)
		return EXIT_FAILURE;
	runner = srunner_create(address_suite());
	srunner_add_suite(runner, config_suite());
	srunner_add_suite(runner, password_suite());
	srunner_add_suite(runner, userdb_fields_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
