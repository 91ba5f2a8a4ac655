// SPDX-License-Identifier: MIT
/*
 * fuzz_ini.c - the tests' wg(8) INI reader (tests/unit/ini_parse.h) on any text, and the renderer
 * of mesh/view/ini.h on whatever it reads.
 *
 * Promises checked: a rejection says which line; whatever parses renders to text that parses
 * back to a config rendering to the very same text (render is a fixed point after one parse).
 */
#include <errno.h>

#include "fuzz.h"
#include "ini_parse.h"
#include "mesh/view/ini.h"

static void check_round_trip(const struct mesh_wg_config *config)
{
	struct mesh_wg_config again;
	char err[256] = "";
	char *text, *text_again;

	text = mesh_ini_render(config);
	if (!text)
		return;
	FUZZ_CHECK(ini_parse(text, &again, err, sizeof(err)) == 0);
	text_again = mesh_ini_render(&again);
	FUZZ_CHECK(!text_again || !strcmp(text, text_again));
	free(text_again);
	mesh_wgconfig_release(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_wg_config config;
	char *text = fuzz_string(data, size);
	char err[256] = "";
	int ret;

	if (!text)
		return 0;
	ret = ini_parse(text, &config, err, sizeof(err));
	if (!ret)
		check_round_trip(&config);
	else if (ret != -ENOMEM)
		FUZZ_CHECK(ret == -EINVAL && !strncmp(err, "line ", 5));
	mesh_wgconfig_release(&config);
	free(text);
	return 0;
}
