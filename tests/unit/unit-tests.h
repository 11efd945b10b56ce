#ifndef UNIT_TESTS_H
#define UNIT_TESTS_H

#include <check.h>

Suite *address_suite(void);
Suite *config_suite(void);
Suite *password_suite(void);
Suite *userdb_fields_suite(void);

#endif
