#ifndef AUTHDB_MAILROUTE_H
#define AUTHDB_MAILROUTE_H

struct module;
struct passdb_module_interface;
struct userdb_module_interface;

extern struct passdb_module_interface passdb_mailroute;
extern struct userdb_module_interface userdb_mailroute;

/* Exported by libauthdb_mailroute.so; Dovecot loads it lazily for
   "driver = mailroute" and refuses it if the ABI version differs. */
extern const char *authdb_mailroute_version;
/* The passdb hands {DJANGO} hashes to Dovecot and sets the scheme's caps
   (mailroute_django_configure()): Dovecot refuses to load this module,
   saying so, unless lib20_mailroute_django.so is loaded. */
extern const char *authdb_mailroute_dependencies[];
void authdb_mailroute_init(struct module *module);
void authdb_mailroute_deinit(void);

#endif
