// SPDX-License-Identifier: MIT
/* The iptables rule set of a node: Kilo's Topology.Rules plus the IPIP rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <sys/socket.h>

#include "iptables_text.h"
#include "mesh/view/iptables.h"
#include "mesh/view/topology.h"
#include "mesh_fixture.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

#define COMMENT(text) " -m comment --comment \"Kilo: " text "\""
#define V4 "iptables -t "
#define V6 "ip6tables -t "
#define KNOWN(ip)                                                                                  \
	V4 "nat -I KILO-NAT 1 -d " ip COMMENT(                                                     \
	    "do not NAT packets destined for known IPs") " -j RETURN"
#define WG(ip)                                                                                     \
	V4 "nat -I KILO-NAT 1 -d " ip COMMENT(                                                     \
	    "do not NAT packets destined for WireGuared IPs") " -j RETURN"
#define FORWARD(flag, ip, what) V4 "filter -I FORWARD 1 " flag " " ip COMMENT(what) " -j ACCEPT"
#define PEER(ip)                                                                                   \
	V4 "nat -I POSTROUTING 1 -s " ip COMMENT("jump to NAT chain") " -j KILO-NAT",              \
	    V4 "nat -I KILO-NAT 1 -d " ip COMMENT(                                                 \
	        "do not NAT packets destined for peers") " -j RETURN"
#define IPIP_ACCEPT(ip) V4 "filter -I KILO-IPIP 1 -s " ip COMMENT("allow IPIP traffic") " -j ACCEPT"
#define NAT_TAIL                                                                                   \
	V4 "nat -A KILO-NAT" COMMENT("NAT remaining packets") " -j MASQUERADE",                    \
	    V6 "nat -A KILO-NAT" COMMENT("NAT remaining packets") " -j MASQUERADE"
/* What every node of the demo cluster keeps out of NAT (location granularity). */
#define DEMO_SEGMENTS_GCP_AND_AFTER                                                                \
	WG("10.4.0.2/32"), KNOWN("10.2.2.0/24"), KNOWN("10.1.96.6/32"), KNOWN("10.4.0.2/32"),      \
	    WG("10.4.0.3/32"), KNOWN("10.2.4.0/24"), KNOWN("192.168.1.10/32"),                     \
	    KNOWN("10.4.0.3/32"), WG("10.4.0.4/32"), KNOWN("10.2.3.0/24"), KNOWN("10.4.0.4/32")
#define DEMO_SEGMENT_AWS                                                                           \
	WG("10.4.0.1/32"), KNOWN("10.2.0.0/24"), KNOWN("10.0.0.5/32"), KNOWN("10.2.1.0/24"),       \
	    KNOWN("10.0.0.6/32"), KNOWN("10.2.5.0/24"), KNOWN("10.0.1.7/32"), KNOWN("10.4.0.1/32")
#define CNI_JUMP(pods)                                                                             \
	V4 "nat -I POSTROUTING 1 -s " pods COMMENT("jump to KILO-NAT chain") " -j KILO-NAT"
/* With --cni, traffic to aws's allowed location IPs is NAT'ed too. */
#define DEMO_NAT_EXEMPTIONS_CNI                                                                    \
	DEMO_SEGMENT_AWS,                                                                          \
	    V4                                                                                     \
	    "nat -I POSTROUTING 1 -d 192.168.50.0/24" COMMENT("jump to NAT chain") " -j KILO-NAT", \
	    DEMO_SEGMENTS_GCP_AND_AFTER, PEER("10.5.0.1/32"), PEER("10.5.0.2/32")

static char **render(const struct mesh_iptables_rule *rules, size_t n, bool prepend)
{
	char **lines = calloc(n + 1, sizeof(*lines));
	char buf[IPTABLES_TEXT_STRLEN];

	for (size_t i = 0; i < n; i++)
		lines[i] = strdup(iptables_text(&rules[i], prepend, buf));
	return lines;
}

static void assert_ruleset(const char *what, const struct mesh_iptables_ruleset *set,
                           const char *const *append, const char *const *prepend)
{
	char **lines = render(set->append, set->n_append, false);

	fixture_assert_lines(what, lines, set->n_append, append);
	fixture_free_lines(lines, set->n_append);
	lines = render(set->prepend, set->n_prepend, true);
	fixture_assert_lines(what, lines, set->n_prepend, prepend);
	fixture_free_lines(lines, set->n_prepend);
}

static void build(struct mesh_iptables_ruleset *set, enum mesh_granularity granularity,
                  const char *viewer, const struct mesh_iptables_options *options)
{
	struct mesh_cluster cluster;
	struct mesh_topology t;

	demo_cluster(&cluster);
	fixture_topology(&t, &cluster, granularity, viewer);
	assert_int_equal(mesh_iptables_build(&t, options, set), 0);
	mesh_topology_release(&t);
	mesh_cluster_release(&cluster);
}

struct ruleset_case {
	const char *what, *viewer;
	struct mesh_iptables_options options;
	const char *service_cidr; /* or NULL */
	const char *const *append, *const *prepend;
};

/* The whole rule set of three nodes of the demo cluster (location granularity). */
static const struct ruleset_case ruleset_cases[] = {
    {"leader aws-a: CNI, forwarding and IPIP",
     "aws-a",
     {.cni = true, .forward_rules = true, .local = true, .encapsulate = MESH_ENCAPSULATE_ALWAYS},
     "10.96.0.0/12",
     LINES(V4 "filter -N KILO-IPIP", V6 "filter -N KILO-IPIP",
           V4 "filter -A INPUT -p ipencap" COMMENT("jump to IPIP chain") " -j KILO-IPIP",
           V6 "filter -A INPUT -p ipencap" COMMENT("jump to IPIP chain") " -j KILO-IPIP",
           V4 "filter -A INPUT -p ipencap" COMMENT("reject other IPIP traffic") " -j DROP",
           V6 "filter -A INPUT -p ipencap" COMMENT("reject other IPIP traffic") " -j DROP",
           V4 "nat -N KILO-NAT", V6 "nat -N KILO-NAT",
           V4 "nat -A KILO-NAT -d 10.96.0.0/12" COMMENT(
               "do not NAT packets destined for service CIDRs") " -j RETURN",
           NAT_TAIL),
     LINES(IPIP_ACCEPT("10.0.0.5/32"), IPIP_ACCEPT("10.0.0.6/32"), IPIP_ACCEPT("10.0.1.7/32"),
           CNI_JUMP("10.2.0.0/24"),
           FORWARD("-s", "10.2.0.0/24", "forward packets from the pod subnet"),
           FORWARD("-d", "10.2.0.0/24", "forward packets to the pod subnet"),
           FORWARD("-s", "10.2.1.0/24", "forward packets from the pod subnet"),
           FORWARD("-d", "10.2.1.0/24", "forward packets to the pod subnet"),
           FORWARD("-s", "10.2.5.0/24", "forward packets from the pod subnet"),
           FORWARD("-d", "10.2.5.0/24", "forward packets to the pod subnet"),
           FORWARD("-s", "192.168.50.0/24", "forward packets from allowed location IPs"),
           FORWARD("-d", "192.168.50.0/24", "forward packets to allowed location IPs"),
           FORWARD("-s", "10.0.0.5/32", "forward packets from private IPs"),
           FORWARD("-d", "10.0.0.5/32", "forward packets to private IPs"),
           FORWARD("-s", "10.0.0.6/32", "forward packets from private IPs"),
           FORWARD("-d", "10.0.0.6/32", "forward packets to private IPs"),
           FORWARD("-s", "10.0.1.7/32", "forward packets from private IPs"),
           FORWARD("-d", "10.0.1.7/32", "forward packets to private IPs"),
           DEMO_NAT_EXEMPTIONS_CNI)},
    {"member aws-b forwards only its own pods",
     "aws-b",
     {.cni = true, .forward_rules = true, .local = true, .encapsulate = MESH_ENCAPSULATE_NEVER},
     NULL,
     LINES(V4 "nat -N KILO-NAT", V6 "nat -N KILO-NAT", NAT_TAIL),
     LINES(CNI_JUMP("10.2.1.0/24"),
           FORWARD("-s", "10.2.1.0/24", "forward packets from the node's pod subnet"),
           FORWARD("-d", "10.2.1.0/24", "forward packets to the node's pod subnet"),
           DEMO_NAT_EXEMPTIONS_CNI)},
    /* gcp-b has no private IP, hence no encapsulator; without --cni no POSTROUTING jump. */
    {"gcp-b, without private IP, gets no IPIP rules",
     "gcp-b",
     {.forward_rules = true, .local = true, .encapsulate = MESH_ENCAPSULATE_ALWAYS},
     NULL,
     LINES(V4 "nat -N KILO-NAT", V6 "nat -N KILO-NAT", NAT_TAIL),
     LINES(DEMO_SEGMENT_AWS, DEMO_SEGMENTS_GCP_AND_AFTER, PEER("10.5.0.1/32"),
           PEER("10.5.0.2/32"))},
};

static void test_rule_sets_of_leader_member_and_isolated_node(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ruleset_cases); i++) {
		const struct ruleset_case *tc = &ruleset_cases[i];
		struct mesh_iptables_options options = tc->options;
		struct mesh_iptables_ruleset set;
		struct mesh_prefix service;

		if (tc->service_cidr) {
			service = fixture_prefix(tc->service_cidr);
			options.service_cidrs = &service;
			options.n_service_cidrs = 1;
		}
		build(&set, MESH_GRANULARITY_LOCATION, tc->viewer, &options);
		assert_ruleset(tc->what, &set, tc->append, tc->prepend);
		mesh_iptables_release(&set);
	}
}

static size_t count_containing(const struct mesh_iptables_ruleset *set, const char *needle)
{
	char buf[IPTABLES_TEXT_STRLEN];
	size_t n = 0;

	for (size_t i = 0; i < set->n_prepend; i++)
		n += strstr(iptables_text(&set->prepend[i], true, buf), needle) != NULL;
	for (size_t i = 0; i < set->n_append; i++)
		n += strstr(iptables_text(&set->append[i], false, buf), needle) != NULL;
	return n;
}

/* How many rules of viewer's rule set mention needle. */
static size_t count_rules(enum mesh_granularity granularity, const char *viewer,
                          const struct mesh_iptables_options *options, const char *needle)
{
	struct mesh_iptables_ruleset set;
	size_t n;

	build(&set, granularity, viewer, options);
	n = count_containing(&set, needle);
	mesh_iptables_release(&set);
	return n;
}

/* Kilo only trusts IPIP from a "location:" segment; cross trusts the logical location. */
static void test_ipip_trust_follows_the_private_network(void **state)
{
	static const struct {
		enum mesh_granularity granularity;
		const char *viewer;
		size_t trusted;
	} cases[] = {
	    {MESH_GRANULARITY_LOCATION, "aws-c", 3},    {MESH_GRANULARITY_FULL, "aws-a", 0},
	    {MESH_GRANULARITY_CROSS, "aws-a", 3},       {MESH_GRANULARITY_CROSS, "gcp-a", 1},
	    {MESH_GRANULARITY_LOCATION, "home-nat", 1},
	};
	struct mesh_iptables_options options = {.local = true,
	                                        .encapsulate = MESH_ENCAPSULATE_CROSSSUBNET};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(count_rules(cases[i].granularity, cases[i].viewer, &options,
		                             "allow IPIP traffic"),
		                 cases[i].trusted);
		assert_int_equal(count_rules(cases[i].granularity, cases[i].viewer, &options,
		                             "reject other IPIP traffic"),
		                 2);
	}
}

/* Cilium's mode is Kilo's IPIP through Cilium's overlay, so it has its rules; flannel not. */
static void test_ipip_rules_with_local_except_flannel(void **state)
{
	static const struct {
		enum mesh_compatibility compatibility;
		bool local;
		size_t rules;
	} cases[] = {
	    /* Two chains, two jumps, two drops and three members' accepts. */
	    {MESH_COMPATIBILITY_NONE, true, 9},    {MESH_COMPATIBILITY_CILIUM, true, 9},
	    {MESH_COMPATIBILITY_FLANNEL, true, 0}, {MESH_COMPATIBILITY_NONE, false, 0},
	    {MESH_COMPATIBILITY_CILIUM, false, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mesh_iptables_options options = {.local = cases[i].local,
		                                        .encapsulate = MESH_ENCAPSULATE_ALWAYS,
		                                        .compatibility = cases[i].compatibility};

		assert_int_equal(count_rules(MESH_GRANULARITY_LOCATION, "aws-c", &options, "IPIP"),
		                 cases[i].rules);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_sets_of_leader_member_and_isolated_node),
	    cmocka_unit_test(test_ipip_trust_follows_the_private_network),
	    cmocka_unit_test(test_ipip_rules_with_local_except_flannel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
