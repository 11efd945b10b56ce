#ifndef UNIT_TESTS_H
#define UNIT_TESTS_H

#include "mr-config.h"

#include <check.h>

/* A default configuration (mr_config_new_defaults) for tests that need
   one: add unit_config_setup/unit_config_teardown as a checked fixture. */
extern struct mr_config *unit_config;
void unit_config_setup(void);
void unit_config_teardown(void);

Suite *address_suite(void);
Suite *admission_suite(void);
Suite *config_suite(void);
Suite *db_hosts_suite(void);
Suite *password_suite(void);
Suite *resolve_suite(void);
Suite *userdb_fields_suite(void);
Suite *verify_cache_suite(void);

#endif
