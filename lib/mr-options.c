#include "mr-options.h"
#include "mailroute-auth-config.h"

#include <getopt.h>

enum mr_options_result mr_options_parse(int argc, char *argv[],
					const char *program, bool with_verbose,
					void (*usage)(FILE *out),
					struct mr_options *options_r)
{
	static const struct option long_options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	*options_r = (struct mr_options){ .config_path = MR_CONFIG_DEFAULT_PATH };
	while ((opt = getopt_long(argc, argv, with_verbose ? "+c:hvV" : "+c:hV",
				  long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			options_r->config_path = optarg;
			break;
		case 'v':
			options_r->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return MR_OPTIONS_DONE;
		case 'V':
			printf("%s %s\n", program, PACKAGE_VERSION);
			return MR_OPTIONS_DONE;
		default:
			usage(stderr);
			return MR_OPTIONS_BAD;
		}
	}
	options_r->operands = optind;
	return MR_OPTIONS_RUN;
}
