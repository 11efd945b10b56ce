#ifndef SECRET_INPUT_H
#define SECRET_INPUT_H

#include <stddef.h>

/* Passwords and stored hashes come from standard input, never from the
   command line, where every local user can read them
   (/proc/PID/cmdline). */

/* The longest password a command reads (Dovecot's own limit is lower). */
#define SECRET_INPUT_MAX 4096

/* One line of standard input into buf without its line end; an empty
   buf at end of input. -1 on a read error or a line longer than buf.
   The caller wipes buf. */
int secret_input_line(char *buf, size_t size);

#endif
