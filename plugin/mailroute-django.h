#ifndef MAILROUTE_DJANGO_H
#define MAILROUTE_DJANGO_H

#include "mr-config.h"
#include "mr-password.h"

struct module;

/* Exported by lib20_mailroute_django.so. */
extern const char *mailroute_django_version;
void mailroute_django_init(struct module *module);
void mailroute_django_deinit(void);

/* The cost caps and verified-credential cache the DJANGO scheme applies
   (built-in defaults until a mailroute passdb sets those of its
   configuration file). */
void mailroute_django_configure(const struct mr_config *config);

/* What the DJANGO scheme's verification says of password against stored
   (a bare Django hash), with the scheme's caps and verified-credential
   cache: for a passdb that must tell a mismatch from a failure. */
enum mr_password_result mailroute_django_verify(const char *password,
						const char *stored,
						const char **reason_r);

#endif
