/* libFuzzer target: arbitrary bytes into iovsd_conf_parse() (iovsd/config.c).
 *
 * Besides "never crashes", checks a property: whatever parses is written back
 * by iovsd_conf_to_json() in a form that parses to the same conf.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct iovsd_conf conf, back;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovs_err err = {{0}};
	json_t *j;
	char *text;

	memset(&conf, 0, sizeof(conf));
	if (iovsd_conf_parse((const char *)data, size, &conf, &err) != 0) {
		if (err.msg[0] == '\0')
			__builtin_trap(); /* every refusal says why */
		return 0;
	}
	j = iovsd_conf_to_json(&conf);
	text = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (text == NULL)
		return 0;
	memset(&back, 0, sizeof(back));
	if (iovsd_conf_parse(text, strlen(text), &back, &err) != 0 ||
	    memcmp(&conf, &back, sizeof(conf)) != 0)
		__builtin_trap();
	free(text);
	return 0;
}
