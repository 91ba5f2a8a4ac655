// SPDX-License-Identifier: MIT
/*
 * DOT output in the shape gographviz gives Kilo's graph: graph attributes
 * and edges in insertion order, then the subgraphs sorted by their quoted
 * names with their nodes sorted the same way, every statement on its own
 * line, each subgraph closed by "\n}\n;".
 */
#include "mesh/view/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/view/leader.h"

static const char plain_attrs[] = "arrowhead=none, arrowtail=none, dir=both, style=dotted";

/* A node in the cluster (subgraph) of its location. */
struct entry {
	const struct mesh_node *node;
	const struct mesh_segment *segment;
	const char *location; /* the cluster's location */
	size_t group_start;   /* index of the cluster's first entry once sorted */
};

/* Cross granularity draws a logical location as one cluster. */
static const char *location_of(const struct mesh_segment *segment)
{
	return segment->logical_location[0] ? segment->logical_location : segment->location;
}

static bool shares_location(const struct mesh_segment *a, const struct mesh_segment *b)
{
	return a->logical_location[0] && !strcmp(a->logical_location, b->logical_location);
}

/* Order of "\"a\"" against "\"b\"": the closing quote ends each string. */
static int compare_quoted(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = *a ? (unsigned char)*a : '"', y = *b ? (unsigned char)*b : '"';

		if (x != y)
			return x - y;
		/* Equal up to where one ends: the shorter sorts first. */
		if (!*a || !*b)
			return !*b - !*a;
	}
}

static int compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int order = compare_quoted(x->location, y->location);

	return order ? order : compare_quoted(x->node->name, y->node->name);
}

static struct entry *sorted_entries(const struct mesh_topology *t, size_t *n)
{
	struct entry *entries;
	size_t count = 0;

	for (size_t s = 0; s < t->n_segments; s++)
		count += t->segments[s].n_nodes;
	entries = calloc(count + 1, sizeof(*entries));
	if (!entries)
		return NULL;
	*n = 0;
	for (size_t s = 0; s < t->n_segments; s++) {
		for (size_t i = 0; i < t->segments[s].n_nodes; i++) {
			entries[*n].node = t->segments[s].nodes[i];
			entries[*n].segment = &t->segments[s];
			entries[(*n)++].location = location_of(&t->segments[s]);
		}
	}
	qsort(entries, *n, sizeof(*entries), compare_entries);
	for (size_t i = 0; i < *n; i++)
		entries[i].group_start = i && !strcmp(entries[i].location, entries[i - 1].location)
		                             ? entries[i - 1].group_start
		                             : i;
	return entries;
}

/* Text inside a DOT string. */
static void put_escaped(FILE *out, const char *text)
{
	for (; *text; text++) {
		if (*text == '"' || *text == '\\')
			fputc('\\', out);
		fputc(*text, out);
	}
}

static void put_edge(FILE *out, const char *from, const char *to, const char *attrs)
{
	fputs("\t\"", out);
	put_escaped(out, from);
	fputs("\"->\"", out);
	put_escaped(out, to);
	fprintf(out, "\"[ %s ];\n", attrs);
}

/*
 * Inside a segment: leader to members. Across a shared logical location: a
 * plain edge from the location's first node (group_first, per segment).
 */
static void put_segment_edges(FILE *out, const struct mesh_topology *t,
                              const struct mesh_node *const *group_first)
{
	for (size_t s = 0; s < t->n_segments; s++) {
		const struct mesh_segment *segment = &t->segments[s];
		const struct mesh_node *leader = mesh_segment_leader(segment);

		if (segment->logical_location[0]) {
			if (group_first[s] != leader)
				put_edge(out, group_first[s]->name, leader->name, plain_attrs);
			continue;
		}
		for (size_t i = 0; i < segment->n_nodes; i++)
			if (i != segment->leader)
				put_edge(out, leader->name, segment->nodes[i]->name, "dir=both");
	}
}

static void put_leader_edges(FILE *out, const struct mesh_topology *t)
{
	for (size_t i = 0; i < t->n_segments; i++) {
		for (size_t j = i + 1; j < t->n_segments; j++) {
			if (shares_location(&t->segments[i], &t->segments[j]))
				continue;
			put_edge(out, mesh_segment_leader(&t->segments[i])->name,
			         mesh_segment_leader(&t->segments[j])->name, "dir=both");
		}
	}
	for (size_t s = 0; s < t->n_segments; s++)
		for (size_t p = 0; p < t->n_peers; p++)
			put_edge(out, mesh_segment_leader(&t->segments[s])->name, t->peers[p].name,
			         "dir=both, style=dashed");
}

static void put_node(FILE *out, const struct entry *entry)
{
	const struct mesh_node *leader = mesh_segment_leader(entry->segment);
	/* Kilo's leader, passed over for its tunnels (leader.h). */
	bool passed_over = mesh_segment_passed_over(entry->segment) &&
	                   entry->node == entry->segment->nodes[entry->segment->preferred];
	const struct mesh_prefix *private_ip = mesh_node_private_ip(entry->node);
	const struct mesh_prefix *private_ip6 = mesh_node_private_ip_of(entry->node, AF_INET6);
	char cidr[MESH_PREFIX_STRLEN], addr[IP_ADDR_STRLEN], endpoint[MESH_ENDPOINT_STRLEN];

	fputs("\t\"", out);
	put_escaped(out, entry->node->name);
	fputs("\" [ label=\"", out);
	put_escaped(out, entry->location);
	fputs("\\n", out);
	put_escaped(out, entry->node->name);
	fprintf(out, "\\n%s", mesh_prefix_format(&entry->node->subnet, cidr));
	/* The other family's value follows Kilo's, in a dual-stack mesh. */
	if (mesh_prefix_is_set(&entry->node->secondary_subnet))
		fprintf(out, "\\n%s", mesh_prefix_format(&entry->node->secondary_subnet, cidr));
	if (private_ip)
		fprintf(out, "\\n%s", ip_addr_format(&private_ip->addr, addr));
	if (private_ip6 && private_ip6 != private_ip)
		fprintf(out, "\\n%s", ip_addr_format(&private_ip6->addr, addr));
	if (entry->node == leader) {
		fprintf(out, "\\n%s", ip_addr_format(&entry->segment->wireguard_ip, addr));
		if (ip_addr_is_set(&entry->segment->wireguard_ip6))
			fprintf(out, "\\n%s", ip_addr_format(&entry->segment->wireguard_ip6, addr));
		if (mesh_endpoint_is_set(&leader->endpoint))
			fprintf(out, "\\n%s", mesh_endpoint_format(&leader->endpoint, endpoint));
	}
	if (passed_over)
		fprintf(out, "\\npassed over: no tunnel since %lld",
		        (long long)entry->node->health.since);
	fprintf(out, "\"%s, shape=ellipse%s ];\n", entry->node == leader ? ", rank=1" : "",
	        passed_over ? ", style=dashed" : "");
}

static void put_cluster_start(FILE *out, const char *name, const char *label)
{
	fputs("\tsubgraph \"cluster_", out);
	put_escaped(out, name);
	fputs("\" {\n\tlabel=\"", out);
	put_escaped(out, label);
	fputs("\";\n\tstyle=\"dashed,rounded\";\n", out);
}

static void put_clusters(FILE *out, const struct mesh_topology *t, const struct entry *entries,
                         size_t n)
{
	char endpoint[MESH_ENDPOINT_STRLEN];

	for (size_t i = 0; i < n; i++) {
		char name[MESH_LOCATION_KEY_MAX + 16];

		if (entries[i].group_start == i) {
			snprintf(name, sizeof(name), "location_%s", entries[i].location);
			put_cluster_start(out, name, entries[i].location);
		}
		put_node(out, &entries[i]);
		if (i + 1 == n || entries[i + 1].group_start != entries[i].group_start)
			fputs("\n}\n;\n", out);
	}
	put_cluster_start(out, "peers", "peers");
	for (size_t p = 0; p < t->n_peers; p++) {
		fputs("\t\"", out);
		put_escaped(out, t->peers[p].name);
		fputs("\" [ label=\"", out);
		put_escaped(out, t->peers[p].name);
		fprintf(out, "\\n%s\n\", shape=ellipse ];\n",
		        mesh_endpoint_format(&t->peers[p].endpoint, endpoint));
	}
	fputs("\n}\n;\n", out);
}

/* The first node (by name) of each segment's cluster. */
static const struct mesh_node **group_firsts(const struct mesh_topology *t,
                                             const struct entry *entries, size_t n)
{
	const struct mesh_node **first = calloc(t->n_segments + 1, sizeof(*first));

	for (size_t i = 0; first && i < n; i++)
		first[entries[i].segment - t->segments] = entries[entries[i].group_start].node;
	return first;
}

char *mesh_graph_dot(const struct mesh_topology *t)
{
	struct mesh_prefix subnet = mesh_prefix_masked(&t->wireguard_cidr);
	char cidr[MESH_PREFIX_STRLEN], cidr6[MESH_PREFIX_STRLEN + 2] = "", *text = NULL;
	const struct mesh_node **group_first = NULL;
	struct entry *entries;
	size_t size = 0, n = 0;
	FILE *out = NULL;

	entries = sorted_entries(t, &n);
	if (entries)
		group_first = group_firsts(t, entries, n);
	if (group_first)
		out = open_memstream(&text, &size);
	if (out) {
		if (mesh_prefix_is_set(&t->subnet6)) {
			cidr6[0] = ' ';
			mesh_prefix_format(&t->subnet6, cidr6 + 1);
		}
		fprintf(
		    out,
		    "digraph kilo {\n\tlabel=\"%s%s\";\n\tlabelloc=t;\n\toutputorder=nodesfirst;\n"
		    "\toverlap=false;\n",
		    mesh_prefix_format(&subnet, cidr), cidr6);
		put_segment_edges(out, t, group_first);
		put_leader_edges(out, t);
		put_clusters(out, t, entries, n);
		fputs("\n}\n", out);
		if (fclose(out)) {
			free(text);
			text = NULL;
		}
	}
	free(group_first);
	free(entries);
	return text;
}
