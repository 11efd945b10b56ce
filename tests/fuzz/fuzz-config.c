/* libFuzzer target for the configuration parser: any text gives a
   configuration or an error naming file, line and key; never a crash, a
   leak or undefined behaviour. */

#include "mr-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mr_config *config;
	struct mr_error error;
	char *text = strndup((const char *)data, size);

	if (text == NULL)
		abort();
	if (mr_config_parse("fuzz.conf", text, &config, &error) == 0)
		mr_config_free(&config);
	else if (config != NULL || error.message[0] == '\0')
		abort();
	free(text);
	return 0;
}
