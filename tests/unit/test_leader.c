// SPDX-License-Identifier: MIT
/*
 * mesh/view/leader and mesh/view/tunnel_health: who leads a location (Kilo's
 * findLeader, as its TestFindLeader pins it down), and who when its leader's
 * tunnels are down (mesh/README.md, "Leaders that stop forwarding"), the
 * sessions its standbys keep, and how a node judges its own tunnels over an
 * injected clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mesh/view/graph.h"
#include "mesh/view/leader.h"
#include "mesh/view/topology.h"
#include "mesh/view/tunnel_health.h"
#include "mesh/view/wgconfig.h"
#include "mesh_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/*
 * Location x ranks its nodes e (annotated, public), d (annotated), b and c
 * (public), a (neither); y and z are other locations, z with a private
 * second node.
 */
static const struct node_spec nodes[] = {
    {"a", "x", "10.0.0.1:51820", "10.9.0.1/24", "10.2.1.0/24", false, 0, NULL},
    {"b", "x", "8.8.8.8:51820", "10.9.0.2/24", "10.2.2.0/24", false, 0, NULL},
    {"c", "x", "8.8.4.4:51820", "10.9.0.3/24", "10.2.3.0/24", false, 0, NULL},
    {"d", "x", "10.0.0.4:51820", "10.9.0.4/24", "10.2.4.0/24", true, 0, NULL},
    {"e", "x", "8.8.8.9:51820", "10.9.0.5/24", "10.2.5.0/24", true, 0, NULL},
    {"y1", "y", "9.9.9.9:51820", "10.8.0.1/24", "10.2.6.0/24", false, 0, NULL},
    {"z1", "z", "9.9.9.10:51820", "10.7.0.1/24", "10.2.7.0/24", false, 0, NULL},
    {"z2", "z", "10.7.0.2:51820", "10.7.0.2/24", "10.2.8.0/24", false, 0, NULL},
};

/* "name=up:since", "name=down:since[:recovering]", "name=unknown", "name=absent". */
static void set_health(struct mesh_cluster *c, const char *spec)
{
	char *copy = strdup(spec), *save = NULL;

	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *state = strchr(item, '=');
		struct mesh_node *node;
		long long since = 0, recovering = 0;
		char word[16] = "";

		assert_non_null(state);
		*state++ = '\0';
		node = fixture_find_node(c, item);
		assert_true(sscanf(state, "%15[a-z]:%lld:%lld", word, &since, &recovering) >= 1);
		if (!strcmp(word, "absent"))
			node->health.state = MESH_HEALTH_ABSENT;
		else
			assert_int_equal(mesh_health_state_parse(word, &node->health.state), 0);
		node->health.since = since;
		node->health.recovering = recovering;
	}
	free(copy);
}

/* The nodes named in members, every one of ours (unknown) unless health says otherwise. */
static void cluster_of(struct mesh_cluster *c, const char *members, const char *health)
{
	struct node_spec specs[ARRAY_SIZE(nodes)];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		if (fixture_listed(members, nodes[i].name))
			specs[n++] = nodes[i];
	fixture_cluster(c, specs, n, NULL, 0, NULL, 0);
	for (size_t i = 0; i < c->n_nodes; i++)
		c->nodes[i].health.state = MESH_HEALTH_UNKNOWN;
	if (health && *health)
		set_health(c, health);
}

static const struct mesh_segment *segment_of(const struct mesh_topology *t, const char *name)
{
	for (size_t s = 0; s < t->n_segments; s++)
		for (size_t i = 0; i < t->segments[s].n_nodes; i++)
			if (!strcmp(t->segments[s].nodes[i]->name, name))
				return &t->segments[s];
	fail_msg("no segment holds %s", name);
	return NULL;
}

static void standbys_text(const struct mesh_segment *s, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_standbys; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
		                        s->nodes[s->standbys[i]]->name);
}

struct election_case {
	const char *name;
	const char *members; /* every node of the cluster */
	const char *health;  /* as set_health() reads it; the others are "unknown" */
	enum mesh_granularity granularity;
	const char *leader, *preferred, *standbys; /* of the segment of the first member */
};

static const struct election_case elections[] = {
    {"no annotation anywhere: Kilo's findLeader, nobody stands by", "a,b,c,y1",
     "a=absent,b=absent,c=absent,y1=absent", MESH_GRANULARITY_LOCATION, "b", "b", ""},
    {"ours, nothing judged yet: Kilo's leader, the next two in its order stand by", "a,b,c,y1", "",
     MESH_GRANULARITY_LOCATION, "b", "b", "c,a"},
    {"a down leader is passed over for an up candidate", "a,b,c,y1", "b=down:100,c=up:50",
     MESH_GRANULARITY_LOCATION, "c", "b", "b,a"},
    {"a down leader leads when no candidate is up", "a,b,c,y1", "b=down:100,c=down:90",
     MESH_GRANULARITY_LOCATION, "b", "b", "c,a"},
    {"ties: the first up candidate in Kilo's order", "a,b,c,y1", "b=down:100,c=up:50,a=up:10",
     MESH_GRANULARITY_LOCATION, "c", "b", "b,a"},
    {"an up leader is never passed over", "a,b,c,y1", "b=up:100,c=up:5", MESH_GRANULARITY_LOCATION,
     "b", "b", "c,a"},
    {"only candidates count: the fourth in Kilo's order is not one", "a,b,c,e,y1",
     "e=down:100,b=down:100,c=down:100,a=up:10", MESH_GRANULARITY_LOCATION, "e", "e", "b,c"},
    {"recovering: a candidate up long before still leads", "a,b,c,y1", "b=down:100:200,c=up:50",
     MESH_GRANULARITY_LOCATION, "c", "b", "b,a"},
    {"recovering: a candidate that came up with it proves nothing", "a,b,c,y1",
     "b=down:100:200,c=up:190", MESH_GRANULARITY_LOCATION, "b", "b", "c,a"},
    {"recovering: the margin is strict", "a,b,c,y1", "b=down:100:200,c=up:170",
     MESH_GRANULARITY_LOCATION, "b", "b", "c,a"},
    {"an annotated leader that is down is passed over, annotated first", "b,d,e,y1",
     "e=down:100,d=up:50,b=up:40", MESH_GRANULARITY_LOCATION, "d", "e", "e,b"},
    {"an annotated leader that is down is passed over for anyone up", "b,e,y1",
     "e=down:100,b=up:50", MESH_GRANULARITY_LOCATION, "b", "e", "e"},
    {"a Go agent in the location: Kilo's election there", "a,b,c,y1", "b=down:100,c=up:50,a=absent",
     MESH_GRANULARITY_LOCATION, "b", "b", ""},
    {"a Go agent leading another location: Kilo's election everywhere", "b,c,y1",
     "b=down:100,c=up:50,y1=absent", MESH_GRANULARITY_LOCATION, "b", "b", ""},
    {"a Go member of a location led by ours: judged all the same", "b,c,z1,z2",
     "b=down:100,c=up:50,z2=absent", MESH_GRANULARITY_LOCATION, "c", "b", "b"},
    {"a location of one node is not judged", "b,y1", "b=down:100", MESH_GRANULARITY_LOCATION, "b",
     "b", ""},
    {"full granularity: every node leads itself", "b,c,y1", "b=down:100,c=up:50",
     MESH_GRANULARITY_FULL, "b", "b", ""},
    {"cross granularity: every node leads itself", "b,c,y1", "b=down:100,c=up:50",
     MESH_GRANULARITY_CROSS, "b", "b", ""},
};

struct leader_case {
	const char *name;
	const char *members; /* names of the election's nodes, comma-separated */
	const char *leader;
};

/* Kilo's TestFindLeader nodes; sorting by name puts "2" first. */
static const struct node_spec election_nodes[] = {
    {"a", "x", "10.0.0.1:51820", "10.9.0.1/24", "10.2.1.0/24", false, 0, NULL},
    {"b", "x", "8.8.8.8:51820", "10.9.0.2/24", "10.2.2.0/24", false, 0, NULL},
    {"c", "x", "8.8.8.8:51820", "10.9.0.3/24", "10.2.3.0/24", false, 0, NULL},
    {"d", "x", "10.0.0.1:51820", "10.9.0.4/24", "10.2.4.0/24", true, 0, NULL},
    {"2", "x", "8.8.8.8:51820", "10.9.0.5/24", "10.2.5.0/24", true, 0, NULL},
    {"dns", "x", "leader.example.com:51820", "10.9.0.6/24", "10.2.6.0/24", true, 0, NULL},
    {"e", "x", "100.64.0.1:51820", "10.9.0.7/24", "10.2.7.0/24", false, 0, NULL},
    {"f", "x", "8.8.4.4:51820", "10.9.0.8/24", "10.2.8.0/24", true, 0, NULL},
};

static const struct leader_case leader_cases[] = {
    {"one", "a", "a"},
    {"public IP beats name order", "a,b,c", "b"},
    {"hint with public IP", "d,2", "2"},
    {"public among public", "b,c,2", "2"},
    {"hint beats public IP", "a,b,d", "d"},
    {"hint with private IP", "a,d", "d"},
    {"all", "a,b,c,d,2", "2"},
    {"DNS endpoint is never public, but its hint counts", "b,dns", "dns"},
    {"public hint beats DNS hint", "dns,f", "f"},
    {"public hint beats an earlier private hint", "a,d,f", "f"},
    {"CGNAT counts as public", "a,e", "e"},
    {"name order decides among equals", "c,b", "b"},
};

static void test_leader_election_follows_kilo_find_leader(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(leader_cases); i++) {
		const struct leader_case *tc = &leader_cases[i];
		struct node_spec specs[ARRAY_SIZE(election_nodes)];
		struct mesh_cluster cluster;
		struct mesh_topology t;
		size_t n = 0;

		for (size_t j = 0; j < ARRAY_SIZE(election_nodes); j++)
			if (fixture_listed(tc->members, election_nodes[j].name))
				specs[n++] = election_nodes[j];
		fixture_cluster(&cluster, specs, n, NULL, 0, NULL, 0);
		fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, specs[0].name);
		assert_int_equal(t.n_segments, 1);
		if (strcmp(mesh_segment_leader(&t.segments[0])->name, tc->leader))
			fail_msg("%s: leader %s, expected %s", tc->name,
			         mesh_segment_leader(&t.segments[0])->name, tc->leader);
		mesh_topology_release(&t);
		mesh_cluster_release(&cluster);
	}
}

static void test_election_by_health_and_kilos_order(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(elections); i++) {
		const struct election_case *tc = &elections[i];
		const struct mesh_segment *segment;
		struct mesh_cluster cluster;
		struct mesh_topology t;
		char first[16], standbys[64];

		sscanf(tc->members, "%15[^,]", first);
		cluster_of(&cluster, tc->members, tc->health);
		fixture_topology(&t, &cluster, tc->granularity, first);
		segment = segment_of(&t, first);
		standbys_text(segment, standbys, sizeof(standbys));
		if (strcmp(mesh_segment_leader(segment)->name, tc->leader) ||
		    strcmp(segment->nodes[segment->preferred]->name, tc->preferred) ||
		    strcmp(standbys, tc->standbys))
			fail_msg("%s: leader %s preferred %s standbys [%s], expected %s %s [%s]",
			         tc->name, mesh_segment_leader(segment)->name,
			         segment->nodes[segment->preferred]->name, standbys, tc->leader,
			         tc->preferred, tc->standbys);
		assert_int_equal(mesh_segment_passed_over(segment),
		                 !!strcmp(tc->leader, tc->preferred));
		mesh_topology_release(&t);
		mesh_cluster_release(&cluster);
	}
}

/* Whatever the viewpoint, everyone elects the same leaders and standbys. */
static void test_every_viewpoint_elects_the_same(void **state)
{
	struct mesh_cluster cluster;

	(void)state;
	cluster_of(&cluster, "a,b,c,y1,z1,z2", "b=down:100,c=up:50,z2=absent");
	for (size_t i = 0; i < cluster.n_nodes; i++) {
		struct mesh_topology t;
		const struct mesh_segment *x;

		fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, cluster.nodes[i].name);
		x = segment_of(&t, "a");
		assert_string_equal(mesh_segment_leader(x)->name, "c");
		assert_int_equal(x->n_standbys, 2);
		assert_int_equal(t.leader, !strcmp(cluster.nodes[i].name, "c") ||
		                               !strcmp(cluster.nodes[i].name, "y1") ||
		                               !strcmp(cluster.nodes[i].name, "z1"));
		assert_int_equal(mesh_topology_standby(&t),
		                 !strcmp(cluster.nodes[i].name, "a") ||
		                     !strcmp(cluster.nodes[i].name, "b"));
		mesh_topology_release(&t);
	}
	mesh_cluster_release(&cluster);
}

/* x: c leads for b, which stands by with a; y1 and z1 lead their own. */
static void failed_over_cluster(struct mesh_cluster *c)
{
	cluster_of(c, "a,b,c,y1,z1", "b=down:100,c=up:50");
}

static void local_config(const struct mesh_cluster *c, const char *viewer, const char *const *want)
{
	struct mesh_topology t;
	struct mesh_wg_config config;

	fixture_topology(&t, c, MESH_GRANULARITY_LOCATION, viewer);
	assert_int_equal(mesh_wgconfig_local(&t, &config), 0);
	assert_true(config.has_interface);
	assert_int_equal(config.listen_port, 51820);
	fixture_assert_wg_config(viewer, c, &config, want);
	mesh_wgconfig_release(&config);
	mesh_topology_release(&t);
}

static void test_standbys_keep_sessions_to_the_other_leaders(void **state)
{
	struct mesh_cluster cluster;

	(void)state;
	failed_over_cluster(&cluster);
	/* A standby: every other location's leader, with its allowed IPs, keepalive 15. */
	local_config(&cluster, "a",
	             LINES("y1 9.9.9.9:51820 ka=15 psk=no 10.2.6.0/24,10.8.0.1/32,10.4.0.2/32",
	                   "z1 9.9.9.10:51820 ka=15 psk=no 10.2.7.0/24,10.7.0.1/32,10.4.0.3/32"));
	/* A leader: the other leaders as Kilo configures them, then the others' standbys. */
	local_config(&cluster, "y1",
	             LINES("c 8.8.4.4:51820 ka=0 psk=no 10.2.1.0/24,10.9.0.1/32,10.2.2.0/24,"
	                   "10.9.0.2/32,10.2.3.0/24,10.9.0.3/32,10.4.0.1/32",
	                   "z1 9.9.9.10:51820 ka=0 psk=no 10.2.7.0/24,10.7.0.1/32,10.4.0.3/32",
	                   "b 8.8.8.8:51820 ka=5 psk=no ", "a 10.0.0.1:51820 ka=5 psk=no "));
	local_config(&cluster, "c",
	             LINES("y1 9.9.9.9:51820 ka=0 psk=no 10.2.6.0/24,10.8.0.1/32,10.4.0.2/32",
	                   "z1 9.9.9.10:51820 ka=0 psk=no 10.2.7.0/24,10.7.0.1/32,10.4.0.3/32"));
	mesh_cluster_release(&cluster);
}

/* A leader that does not publish tunnel-health (Kilo's Go agent) has no standby sessions. */
static void test_only_our_leaders_are_dialled_by_standbys(void **state)
{
	struct mesh_cluster cluster;

	(void)state;
	/* z is led by ours (z1), z2 runs Kilo's agent: y1 and z1 are judged targets. */
	cluster_of(&cluster, "a,b,c,y1,z1,z2", "b=down:100,c=up:50,z2=absent");
	local_config(&cluster, "z2",
	             LINES("c 8.8.4.4:51820 ka=0 psk=no 10.2.1.0/24,10.9.0.1/32,10.2.2.0/24,"
	                   "10.9.0.2/32,10.2.3.0/24,10.9.0.3/32,10.4.0.1/32",
	                   "y1 9.9.9.9:51820 ka=0 psk=no 10.2.6.0/24,10.8.0.1/32,10.4.0.2/32"));
	mesh_cluster_release(&cluster);
	/* Nobody judged at all: configs are Kilo's. */
	cluster_of(&cluster, "a,b,c,y1", "a=absent");
	local_config(&cluster, "y1",
	             LINES("b 8.8.8.8:51820 ka=0 psk=no 10.2.1.0/24,10.9.0.1/32,10.2.2.0/24,"
	                   "10.9.0.2/32,10.2.3.0/24,10.9.0.3/32,10.4.0.1/32"));
	mesh_cluster_release(&cluster);
}

static void test_targets_are_the_other_leaders_of_ours(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;

	(void)state;
	failed_over_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "b");
	assert_false(mesh_topology_health_target(&t, segment_of(&t, "b")));
	assert_true(mesh_topology_health_target(&t, segment_of(&t, "y1")));
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
	/* A plain member (a, fourth in Kilo's order) keeps no session. */
	cluster_of(&cluster, "a,b,c,e,y1", "");
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "a");
	assert_false(mesh_topology_standby(&t));
	assert_false(mesh_topology_health_target(&t, segment_of(&t, "y1")));
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static void test_graph_marks_the_leader_passed_over(void **state)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;
	char *dot;

	(void)state;
	failed_over_cluster(&cluster);
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "a");
	dot = mesh_graph_dot(&t);
	assert_non_null(strstr(dot, "\t\"b\" [ label=\"location:x\\nb\\n10.2.2.0/24\\n10.9.0.2"
	                            "\\npassed over: no tunnel since 100\", shape=ellipse, "
	                            "style=dashed ];\n"));
	assert_non_null(strstr(dot, "\t\"c\"->\"a\"[ dir=both ];\n"));
	assert_null(strstr(dot, "\"c\" [ label=\"location:x\\nc\\n10.2.3.0/24\\n10.9.0.3\\n10.4.0.1"
	                        "\\n8.8.4.4:51820\\npassed"));
	free(dot);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

struct contact_case {
	uint64_t before, now;
	int64_t handshake_age; /* -1: never */
	bool contact;
};

static void test_contact_needs_bytes_over_a_live_session(void **state)
{
	static const struct contact_case cases[] = {
	    {100, 148, 10, true},  {100, 100, 10, false},  {0, 32, 0, true},
	    {100, 148, 180, true}, {100, 148, 181, false}, {100, 148, -1, false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct contact_case *tc = &cases[i];
		int64_t handshake = tc->handshake_age < 0 ? 0 : FIXTURE_NOW - tc->handshake_age;

		if (mesh_health_contact(tc->before, tc->now, handshake, FIXTURE_NOW) != tc->contact)
			fail_msg("case %zu: contact %d", i, !tc->contact);
	}
}

/*
 * A timeline, one character per MESH_HEALTH_PERIOD from FIXTURE_NOW:
 * '+' contact, '.' silence, ' ' nothing to measure. After the sample at
 * index `at`, the tracker publishes `want` (since and recovering as offsets
 * from FIXTURE_NOW, or NONE for 0).
 */
struct timeline_case {
	const char *name;
	const char *samples;
	size_t at;
	enum mesh_health_state want;
	int64_t since, recovering;
	const struct mesh_health *adopt;
};

#define P MESH_HEALTH_PERIOD
#define NONE INT64_MIN
static const struct mesh_health adopted_down = {MESH_HEALTH_DOWN, FIXTURE_NOW - 500, 0};

static const struct timeline_case timelines[] = {
    {"contact: unknown until it lasted T_up", "++++++++++++", 11, MESH_HEALTH_UNKNOWN, NONE, NONE,
     NULL},
    {"contact: up once it lasted T_up, since it began", "+++++++++++++", 12, MESH_HEALTH_UP, 0,
     NONE, NULL},
    {"no contact: down after T_down, since measuring began", "......", 5, MESH_HEALTH_UNKNOWN, NONE,
     NONE, NULL},
    {"no contact: down after T_down", ".......", 6, MESH_HEALTH_DOWN, 0, NONE, NULL},
    {"a silence shorter than T_down: still up, still since it began", "+++++++++++++.....+", 18,
     MESH_HEALTH_UP, 0, NONE, NULL},
    {"a silence of T_down: down since the last contact", "+++++++++++++......", 18,
     MESH_HEALTH_DOWN, 12 * P, NONE, NULL},
    {"contact again: recovering, still down", "+++++++++++++......++", 20, MESH_HEALTH_DOWN, 12 * P,
     19 * P, NULL},
    {"contact again for T_up: up since it resumed", "+++++++++++++......+++++++++++++", 31,
     MESH_HEALTH_UP, 19 * P, NONE, NULL},
    {"flapping, 20 s on and 25 s off: never recovers",
     ".......++++....++++....++++....++++....++++", 42, MESH_HEALTH_DOWN, 0, 39 * P, NULL},
    {"flapping, 20 s on and 25 s off: up stays up", "+++++++++++++++....++++....++++....++++....",
     42, MESH_HEALTH_UP, 0, NONE, NULL},
    {"contact every 15 s is one run", "+..+..+..+..+..+..+..+", 21, MESH_HEALTH_UP, 0, NONE, NULL},
    {"nothing to measure: unknown, then a fresh start", "+++++++++++++   ..", 17,
     MESH_HEALTH_UNKNOWN, NONE, NONE, NULL},
    {"a restarted agent stays down until its contact lasts", "+++++++++++", 10, MESH_HEALTH_DOWN,
     -500, 0, &adopted_down},
};

static void test_tracker_debounces_both_ways(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(timelines); i++) {
		const struct timeline_case *tc = &timelines[i];
		struct mesh_health_tracker tracker;
		struct mesh_health want = {
		    tc->want, tc->since == NONE ? 0 : FIXTURE_NOW + tc->since,
		    tc->recovering == NONE ? 0 : FIXTURE_NOW + tc->recovering};

		mesh_health_tracker_init(&tracker, tc->adopt);
		for (size_t s = 0; s <= tc->at; s++)
			mesh_health_tracker_step(&tracker, tc->samples[s] != ' ',
			                         tc->samples[s] == '+',
			                         FIXTURE_NOW + (int64_t)s * P);
		if (!mesh_health_equal(&tracker.published, &want))
			fail_msg("%s: state %d since %+lld recovering %+lld", tc->name,
			         tracker.published.state,
			         (long long)(tracker.published.since - FIXTURE_NOW),
			         (long long)(tracker.published.recovering - FIXTURE_NOW));
	}
}

struct flap_case {
	const char *name;
	const char *link;    /* b's link, one character per period: '+' up, '.' down */
	const char *leaders; /* x's leader after each period: 'b' or 'c' */
};

/* b (Kilo's leader) and c of x; c's link never fails, y1 is the other location. */
static void elect_with(struct mesh_health_tracker *b, struct mesh_health_tracker *c, char *leader)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;

	cluster_of(&cluster, "b,c,y1", "");
	fixture_find_node(&cluster, "b")->health = b->published;
	fixture_find_node(&cluster, "c")->health = c->published;
	fixture_topology(&t, &cluster, MESH_GRANULARITY_LOCATION, "c");
	*leader = mesh_segment_leader(segment_of(&t, "b"))->name[0];
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

static const struct flap_case flaps[] = {
    {"a link that drops 40 s in every 80 s fails over once and stays",
     "++++++++++++++++........++++++++........++++++++........++++++++",
     "bbbbbbbbbbbbbbbbbbbbbccccccccccccccccccccccccccccccccccccccccccc"},
    {"a link that drops 25 s in every 45 s never fails over",
     "+++++++++++++++.....++++.....++++.....++++.....++++.....++++....",
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
    {"a healed link regains leadership once, after T_up",
     "++++++++++++++++........++++++++++++++++++++",
     "bbbbbbbbbbbbbbbbbbbbbcccccccccccccccbbbbbbbb"},
};

static void test_a_flapping_link_does_not_flap_the_leader(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(flaps); i++) {
		const struct flap_case *tc = &flaps[i];
		struct mesh_health_tracker b, c;
		char got[128] = "";

		mesh_health_tracker_init(&b, NULL);
		mesh_health_tracker_init(&c, NULL);
		for (size_t s = 0; tc->link[s]; s++) {
			int64_t now = FIXTURE_NOW + (int64_t)s * P;

			mesh_health_tracker_step(&b, true, tc->link[s] == '+', now);
			mesh_health_tracker_step(&c, true, true, now);
			elect_with(&b, &c, &got[s]);
		}
		if (strcmp(got, tc->leaders))
			fail_msg("%s:\n  link     %s\n  leaders  %s\n  expected %s", tc->name,
			         tc->link, got, tc->leaders);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leader_election_follows_kilo_find_leader),
	    cmocka_unit_test(test_election_by_health_and_kilos_order),
	    cmocka_unit_test(test_every_viewpoint_elects_the_same),
	    cmocka_unit_test(test_standbys_keep_sessions_to_the_other_leaders),
	    cmocka_unit_test(test_only_our_leaders_are_dialled_by_standbys),
	    cmocka_unit_test(test_targets_are_the_other_leaders_of_ours),
	    cmocka_unit_test(test_graph_marks_the_leader_passed_over),
	    cmocka_unit_test(test_contact_needs_bytes_over_a_live_session),
	    cmocka_unit_test(test_tracker_debounces_both_ways),
	    cmocka_unit_test(test_a_flapping_link_does_not_flap_the_leader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
