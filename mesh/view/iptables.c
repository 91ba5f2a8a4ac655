// SPDX-License-Identifier: MIT
/*
 * The rule set, in Kilo's order: the encapsulation rules first, then the
 * NAT rules of the topology. Kilo's comment strings are kept verbatim
 * (typo included) so that rules written by either agent are the same rules.
 */
#include "mesh/view/iptables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/model/array.h"

#define NAT_CHAIN "KILO-NAT"
#define IPIP_CHAIN "KILO-IPIP"

struct builder {
	struct mesh_iptables_ruleset *out;
	size_t append_cap, prepend_cap;
	int error;
	const struct mesh_topology *t;
};

static void add(struct builder *b, bool prepend, struct mesh_iptables_rule rule)
{
	struct mesh_iptables_ruleset *o = b->out;
	bool added;

	if (b->error)
		return;
	if (prepend)
		added = mesh_array_push((void **)&o->prepend, &o->n_prepend, &b->prepend_cap, &rule,
		                        sizeof(rule));
	else
		added = mesh_array_push((void **)&o->append, &o->n_append, &b->append_cap, &rule,
		                        sizeof(rule));
	if (!added)
		b->error = -ENOMEM;
}

/* The same chain or rule for IPv4 and IPv6, appended. */
static void add_both(struct builder *b, struct mesh_iptables_rule rule)
{
	rule.family = AF_INET;
	add(b, false, rule);
	rule.family = AF_INET6;
	add(b, false, rule);
}

/* A rule matching one prefix; its family follows the prefix. */
static void add_match(struct builder *b, bool prepend, enum mesh_iptables_table table,
                      const char *chain, const struct mesh_prefix *source,
                      const struct mesh_prefix *destination, const char *comment,
                      const char *target)
{
	const struct mesh_prefix *match = source ? source : destination;
	struct mesh_iptables_rule rule = {.family = match->addr.family,
	                                  .table = table,
	                                  .chain = chain,
	                                  .comment = comment,
	                                  .target = target};

	if (source)
		rule.source = *source;
	if (destination)
		rule.destination = *destination;
	add(b, prepend, rule);
}

/* IPIP from the members of the own location is accepted, any other dropped. */
static void add_ipip_rules(struct builder *b, const char *protocol)
{
	const struct mesh_topology *t = b->t;
	struct mesh_iptables_rule jump = {
	    .table = MESH_IPTABLES_FILTER, .chain = "INPUT", .protocol = protocol};

	add_both(b, (struct mesh_iptables_rule){
	                .table = MESH_IPTABLES_FILTER, .chain = IPIP_CHAIN, .is_chain = true});
	jump.comment = "Kilo: jump to IPIP chain";
	jump.target = IPIP_CHAIN;
	add_both(b, jump);
	/* Kilo only trusts a "location:" segment, so a full mesh trusts nobody. */
	for (size_t s = 0; t->granularity != MESH_GRANULARITY_FULL && s < t->n_segments; s++) {
		const struct mesh_segment *seg = &t->segments[s];

		if (!mesh_topology_segment_is_local(t, seg))
			continue;
		for (size_t i = 0; i < seg->n_nodes; i++) {
			struct mesh_prefix host;

			if (mesh_node_private_host(seg->nodes[i], &host))
				add_match(b, true, MESH_IPTABLES_FILTER, IPIP_CHAIN, &host, NULL,
				          "Kilo: allow IPIP traffic", "ACCEPT");
		}
	}
	jump.comment = "Kilo: reject other IPIP traffic";
	jump.target = "DROP";
	add_both(b, jump);
}

/* Accept forwarding from and to one prefix. */
static void add_forward(struct builder *b, const struct mesh_prefix *prefix, const char *from,
                        const char *to)
{
	add_match(b, true, MESH_IPTABLES_FILTER, "FORWARD", prefix, NULL, from, "ACCEPT");
	add_match(b, true, MESH_IPTABLES_FILTER, "FORWARD", NULL, prefix, to, "ACCEPT");
}

/* A leader forwards for its whole segment, a member for its own pods. */
static void add_forward_rules(struct builder *b)
{
	const struct mesh_topology *t = b->t;
	const struct mesh_segment *own = &t->segments[t->local_segment];
	const struct mesh_prefix *subnets[2];
	size_t n;

	if (!t->leader) {
		n = mesh_node_subnets(t->local, subnets);
		for (size_t j = 0; j < n; j++)
			add_forward(b, subnets[j],
			            "Kilo: forward packets from the node's pod subnet",
			            "Kilo: forward packets to the node's pod subnet");
		return;
	}
	for (size_t i = 0; i < own->n_nodes; i++) {
		n = mesh_node_subnets(own->nodes[i], subnets);
		for (size_t j = 0; j < n; j++)
			add_forward(b, subnets[j], "Kilo: forward packets from the pod subnet",
			            "Kilo: forward packets to the pod subnet");
	}
	for (size_t i = 0; i < own->n_allowed_location_ips; i++)
		add_forward(b, &own->allowed_location_ips[i],
		            "Kilo: forward packets from allowed location IPs",
		            "Kilo: forward packets to allowed location IPs");
	for (size_t i = 0; i < own->n_nodes; i++) {
		struct mesh_prefix hosts[2];

		n = mesh_node_private_hosts(own->nodes[i], hosts);
		for (size_t j = 0; j < n; j++)
			add_forward(b, &hosts[j], "Kilo: forward packets from private IPs",
			            "Kilo: forward packets to private IPs");
	}
}

/* Known destinations skip masquerading; replies from location IPs come back. */
static void add_segment_rules(struct builder *b, const struct mesh_segment *seg)
{
	struct mesh_prefix wg = mesh_prefix_host(&seg->wireguard_ip);

	add_match(b, true, MESH_IPTABLES_NAT, NAT_CHAIN, NULL, &wg,
	          "Kilo: do not NAT packets destined for WireGuared IPs", "RETURN");
	if (ip_addr_is_set(&seg->wireguard_ip6)) {
		wg = mesh_prefix_host(&seg->wireguard_ip6);
		add_match(b, true, MESH_IPTABLES_NAT, NAT_CHAIN, NULL, &wg,
		          "Kilo: do not NAT packets destined for WireGuared IPs", "RETURN");
	}
	for (size_t i = 0; i < seg->n_allowed_ips; i++)
		add_match(b, true, MESH_IPTABLES_NAT, NAT_CHAIN, NULL, &seg->allowed_ips[i],
		          "Kilo: do not NAT packets destined for known IPs", "RETURN");
	if (seg != &b->t->segments[b->t->local_segment])
		return;
	for (size_t i = 0; i < seg->n_allowed_location_ips; i++)
		add_match(b, true, MESH_IPTABLES_NAT, "POSTROUTING", NULL,
		          &seg->allowed_location_ips[i], "Kilo: jump to NAT chain", NAT_CHAIN);
}

static void add_nat_rules(struct builder *b, const struct mesh_iptables_options *options)
{
	const struct mesh_topology *t = b->t;

	add_both(b, (struct mesh_iptables_rule){
	                .table = MESH_IPTABLES_NAT, .chain = NAT_CHAIN, .is_chain = true});
	if (options->cni) {
		const struct mesh_prefix *subnets[2];
		size_t n = mesh_node_subnets(t->local, subnets);

		/* Both families' pods leave the mesh masqueraded. */
		for (size_t i = 0; i < n; i++)
			add_match(b, true, MESH_IPTABLES_NAT, "POSTROUTING", subnets[i], NULL,
			          "Kilo: jump to KILO-NAT chain", NAT_CHAIN);
		if (options->forward_rules)
			add_forward_rules(b);
	}
	for (size_t s = 0; s < t->n_segments; s++)
		add_segment_rules(b, &t->segments[s]);
	for (size_t p = 0; p < t->n_peers; p++) {
		for (size_t i = 0; i < t->peers[p].n_allowed_ips; i++) {
			const struct mesh_prefix *ip = &t->peers[p].allowed_ips[i];

			add_match(b, true, MESH_IPTABLES_NAT, "POSTROUTING", ip, NULL,
			          "Kilo: jump to NAT chain", NAT_CHAIN);
			add_match(b, true, MESH_IPTABLES_NAT, NAT_CHAIN, NULL, ip,
			          "Kilo: do not NAT packets destined for peers", "RETURN");
		}
	}
	for (size_t i = 0; i < options->n_service_cidrs; i++)
		add_match(b, false, MESH_IPTABLES_NAT, NAT_CHAIN, NULL, &options->service_cidrs[i],
		          "Kilo: do not NAT packets destined for service CIDRs", "RETURN");
	add_both(b, (struct mesh_iptables_rule){.table = MESH_IPTABLES_NAT,
	                                        .chain = NAT_CHAIN,
	                                        .comment = "Kilo: NAT remaining packets",
	                                        .target = "MASQUERADE"});
}

int mesh_iptables_build(const struct mesh_topology *t, const struct mesh_iptables_options *options,
                        struct mesh_iptables_ruleset *ruleset)
{
	struct builder b = {.out = ruleset, .t = t};

	memset(ruleset, 0, sizeof(*ruleset));
	/*
	 * Without a private IP Kilo uses no encapsulator at all, and neither do we
	 * with an IPv6 one (IPIP is IPv4 in IPv4); flannel needs no rules;
	 * Cilium's mode is IPIP too, with the same rules.
	 */
	if (options->encapsulate != MESH_ENCAPSULATE_NEVER && options->local &&
	    options->compatibility != MESH_COMPATIBILITY_FLANNEL &&
	    mesh_node_private_ip_of(t->local, AF_INET))
		add_ipip_rules(&b, options->ipip_protocol ? options->ipip_protocol
		                                          : MESH_IPIP_PROTOCOL);
	add_nat_rules(&b, options);
	if (b.error)
		mesh_iptables_release(ruleset);
	return b.error;
}

void mesh_iptables_release(struct mesh_iptables_ruleset *ruleset)
{
	free(ruleset->append);
	free(ruleset->prepend);
	memset(ruleset, 0, sizeof(*ruleset));
}
