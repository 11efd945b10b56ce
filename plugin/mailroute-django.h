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
/* The process's verified-credential cache, shared by the DJANGO scheme
   and the mailroute passdb (and, through verify_cache_file, by every auth
   process of the host). NULL when off. */
struct mr_verify_cache *mailroute_django_verify_cache(void);

#endif
