// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "mesh/model/health.h"

static const char *const names[] = {
    [MESH_HEALTH_ABSENT] = "",
    [MESH_HEALTH_UNKNOWN] = "unknown",
    [MESH_HEALTH_UP] = "up",
    [MESH_HEALTH_DOWN] = "down",
};

const char *mesh_health_state_name(enum mesh_health_state state)
{
	return (unsigned int)state < sizeof(names) / sizeof(*names) ? names[state] : "";
}

int mesh_health_state_parse(const char *text, enum mesh_health_state *state)
{
	for (size_t i = MESH_HEALTH_UNKNOWN; i < sizeof(names) / sizeof(*names); i++) {
		if (!strcmp(text, names[i])) {
			*state = (enum mesh_health_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool mesh_health_equal(const struct mesh_health *a, const struct mesh_health *b)
{
	return a->state == b->state && a->since == b->since && a->recovering == b->recovering;
}
