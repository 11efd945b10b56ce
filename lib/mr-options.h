#ifndef MR_OPTIONS_H
#define MR_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* The command-line options mailroute-checkpassword and mailroute-auth
   share: -c FILE, -h/--help, -V/--version, and -v where the program has a
   verbose mode. Parsing stops at the first operand ('+' in getopt terms):
   what follows belongs to the command or, for checkpassword, to the reply
   program. */

struct mr_options {
	const char *config_path;
	bool verbose;
	/* argv index of the first operand */
	int operands;
};

enum mr_options_result {
	/* parsed: run the program */
	MR_OPTIONS_RUN,
	/* --help or --version printed: exit 0 */
	MR_OPTIONS_DONE,
	/* an unknown option: usage printed to stderr, exit with the
	   program's usage code */
	MR_OPTIONS_BAD,
};

/* usage(out) prints the program's help. */
enum mr_options_result mr_options_parse(int argc, char *argv[],
					const char *program, bool with_verbose,
					void (*usage)(FILE *out),
					struct mr_options *options_r);

#endif
