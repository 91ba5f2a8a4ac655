/* SPDX-License-Identifier: MIT */
/*
 * The iptables rule set of the local node as data (Kilo's Topology.Rules
 * plus the IPIP encapsulator's rules).
 *
 * Like Kilo's controller, a rule set has an ordered "append" list (chains
 * first, MASQUERADE last) and a "prepend" list whose rules are inserted at
 * position 1 and whose order does not matter. A rule with is_chain set only
 * creates (flushes) its chain. A rule's family is that of the prefix it
 * matches (ip6tables for IPv6); chains and the final MASQUERADE exist in
 * both. Comments and targets are static strings; the lists are owned by the
 * rule set and released with mesh_iptables_release().
 */
#ifndef MESH_IPTABLES_H
#define MESH_IPTABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh/model/model.h"
#include "mesh/view/topology.h"

#define MESH_IPIP_PROTOCOL "ipencap" /* getprotobynumber(4) on Debian */

enum mesh_iptables_table {
	MESH_IPTABLES_NAT = 0,
	MESH_IPTABLES_FILTER,
};

struct mesh_iptables_rule {
	uint8_t family; /* AF_INET or AF_INET6 */
	enum mesh_iptables_table table;
	const char *chain;
	bool is_chain;
	const char *protocol;           /* -p, or NULL */
	struct mesh_prefix source;      /* -s, or unset */
	struct mesh_prefix destination; /* -d, or unset */
	const char *comment;
	const char *target; /* -j */
};

struct mesh_iptables_ruleset {
	struct mesh_iptables_rule *append;
	size_t n_append;
	struct mesh_iptables_rule *prepend;
	size_t n_prepend;
};

struct mesh_iptables_options {
	bool cni;           /* --cni: NAT the local pod CIDR through KILO-NAT */
	bool forward_rules; /* --iptables-forward-rules (only with --cni, as Kilo) */
	bool local;         /* --local */
	enum mesh_encapsulate encapsulate;
	enum mesh_compatibility compatibility; /* flannel brings no IPIP rules, Cilium does */
	const struct mesh_prefix *service_cidrs;
	size_t n_service_cidrs;
	const char *ipip_protocol; /* NULL = MESH_IPIP_PROTOCOL */
};

int mesh_iptables_build(const struct mesh_topology *topology,
                        const struct mesh_iptables_options *options,
                        struct mesh_iptables_ruleset *ruleset);
void mesh_iptables_release(struct mesh_iptables_ruleset *ruleset);

#endif /* MESH_IPTABLES_H */
