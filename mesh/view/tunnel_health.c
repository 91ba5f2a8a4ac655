// SPDX-License-Identifier: MIT
/* The publisher's judgement of its own tunnels (tunnel_health.h). */
#include "mesh/view/tunnel_health.h"

#include <string.h>

static const struct mesh_health unknown = {.state = MESH_HEALTH_UNKNOWN};

void mesh_health_tracker_init(struct mesh_health_tracker *t, const struct mesh_health *published)
{
	memset(t, 0, sizeof(*t));
	t->published = unknown;
	if (published && published->state == MESH_HEALTH_UP)
		t->published = (struct mesh_health){MESH_HEALTH_UP, published->since, 0};
	else if (published && published->state == MESH_HEALTH_DOWN)
		t->published = (struct mesh_health){MESH_HEALTH_DOWN, published->since, 0};
}

/* Keep last_contact and run_start up to date with this sample. */
static void note(struct mesh_health_tracker *t, bool contact, int64_t now)
{
	if (contact) {
		if (!t->run_start || now - t->last_contact > MESH_HEALTH_GAP)
			t->run_start = now;
		t->last_contact = now;
	} else if (t->run_start && now - t->last_contact > MESH_HEALTH_GAP) {
		t->run_start = 0;
	}
}

void mesh_health_tracker_step(struct mesh_health_tracker *t, bool measuring, bool contact,
                              int64_t now)
{
	struct mesh_health *p = &t->published;
	int64_t quiet_since;
	bool lasted;

	if (!measuring) {
		mesh_health_tracker_init(t, NULL);
		return;
	}
	if (!t->measuring_since)
		t->measuring_since = now;
	note(t, contact, now);
	quiet_since = t->last_contact ? t->last_contact : t->measuring_since;
	lasted = t->run_start && now - t->run_start >= MESH_HEALTH_UP_AFTER;
	if (lasted && p->state != MESH_HEALTH_UP)
		*p = (struct mesh_health){MESH_HEALTH_UP, t->run_start, 0};
	else if (p->state != MESH_HEALTH_DOWN && now - quiet_since >= MESH_HEALTH_DOWN_AFTER)
		*p = (struct mesh_health){MESH_HEALTH_DOWN, quiet_since, 0};
	else if (p->state == MESH_HEALTH_DOWN)
		p->recovering = t->run_start;
}

bool mesh_health_contact(uint64_t rx_before, uint64_t rx_now, int64_t last_handshake, int64_t now)
{
	return rx_now > rx_before && last_handshake > 0 &&
	       now - last_handshake <= MESH_HEALTH_SESSION;
}
