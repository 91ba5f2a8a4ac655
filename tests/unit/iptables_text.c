// SPDX-License-Identifier: MIT
/* A rule set's rules as iptables commands, for the expectations of the tests. */
#include "iptables_text.h"

#include <stdio.h>
#include <sys/socket.h>

char *iptables_text(const struct mesh_iptables_rule *rule, bool prepend,
                    char buf[IPTABLES_TEXT_STRLEN])
{
	char prefix[MESH_PREFIX_STRLEN];
	int n = snprintf(buf, IPTABLES_TEXT_STRLEN, "%s -t %s",
	                 rule->family == AF_INET6 ? "ip6tables" : "iptables",
	                 rule->table == MESH_IPTABLES_NAT ? "nat" : "filter");

	if (rule->is_chain) {
		snprintf(buf + n, IPTABLES_TEXT_STRLEN - n, " -N %s", rule->chain);
		return buf;
	}
	n += snprintf(buf + n, IPTABLES_TEXT_STRLEN - n, prepend ? " -I %s 1" : " -A %s",
	              rule->chain);
	if (rule->protocol)
		n += snprintf(buf + n, IPTABLES_TEXT_STRLEN - n, " -p %s", rule->protocol);
	if (mesh_prefix_is_set(&rule->source))
		n += snprintf(buf + n, IPTABLES_TEXT_STRLEN - n, " -s %s",
		              mesh_prefix_format(&rule->source, prefix));
	if (mesh_prefix_is_set(&rule->destination))
		n += snprintf(buf + n, IPTABLES_TEXT_STRLEN - n, " -d %s",
		              mesh_prefix_format(&rule->destination, prefix));
	snprintf(buf + n, IPTABLES_TEXT_STRLEN - n, " -m comment --comment \"%s\" -j %s",
	         rule->comment, rule->target);
	return buf;
}
