// SPDX-License-Identifier: MIT
/*
 * kilo_iptables_operations_total: script lines read as go-iptables calls, counted per label
 * set in a small array (a node has a few dozen label sets: the chains Kilo writes to).
 */
#include "mesh/host/iptables_metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "mesh/model/array.h"

/* The tables the applier reads and writes (mesh/host/apply_iptables.c). */
static const char *const managed_tables[] = {"nat", "filter"};

/* A counter of count for the names, false when one is too long to be a name iptables takes. */
static bool label(struct mesh_iptables_counter *counter, uint8_t family, const char *operation,
                  const char *table, size_t table_len, const char *chain, size_t chain_len)
{
	*counter =
	    (struct mesh_iptables_counter){.family = family, .operation = operation, .count = 1};
	if (table_len >= sizeof(counter->table) || chain_len >= sizeof(counter->chain))
		return false;
	memcpy(counter->table, table, table_len);
	memcpy(counter->chain, chain, chain_len);
	return true;
}

static int add(struct mesh_iptables_metrics *metrics, const struct mesh_iptables_counter *counter)
{
	for (size_t i = 0; i < metrics->n; i++) {
		struct mesh_iptables_counter *c = &metrics->counters[i];

		if (c->family == counter->family && c->operation == counter->operation &&
		    !strcmp(c->table, counter->table) && !strcmp(c->chain, counter->chain)) {
			c->count += counter->count;
			return 0;
		}
	}
	return mesh_array_push((void **)&metrics->counters, &metrics->n, &metrics->cap, counter,
	                       sizeof(*counter))
	           ? 0
	           : -ENOMEM;
}

int mesh_iptables_metrics_count_read(struct mesh_iptables_metrics *metrics, uint8_t family)
{
	struct mesh_iptables_counter counter;
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(managed_tables) / sizeof(*managed_tables); i++)
		if (label(&counter, family, "List", managed_tables[i], strlen(managed_tables[i]),
		          "*", 1))
			ret = add(metrics, &counter);
	return ret;
}

/* The go-iptables call a script line stands for, NULL for lines that are none. */
static const char *operation_of(const char *line)
{
	static const struct {
		const char *prefix, *operation;
	} kinds[] = {{":", "ClearChain"}, {"-F ", "ClearChain"}, {"-A ", "AppendUnique"},
	             {"-I ", "Insert"},   {"-D ", "Delete"},     {"-X ", "DeleteChain"}};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		if (!strncmp(line, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].operation;
	return NULL;
}

static const char *next_line(const char *line)
{
	const char *end = strchr(line, '\n');

	return end ? end + 1 : line + strlen(line);
}

int mesh_iptables_metrics_count_script(struct mesh_iptables_metrics *metrics, uint8_t family,
                                       const char *script)
{
	struct mesh_iptables_counter counter;
	const char *table = "", *chain;
	size_t table_len = 0;
	int ret = 0;

	for (const char *line = script; !ret && *line; line = next_line(line)) {
		const char *operation = operation_of(line);

		if (line[0] == '*') {
			table = line + 1;
			table_len = strcspn(table, "\n");
		}
		if (!operation)
			continue;
		chain = line + (line[0] == ':' ? 1 : 3);
		if (label(&counter, family, operation, table, table_len, chain,
		          strcspn(chain, " \n")))
			ret = add(metrics, &counter);
	}
	return ret;
}

int mesh_iptables_metrics_merge(struct mesh_iptables_metrics *into,
                                const struct mesh_iptables_metrics *from)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < from->n; i++)
		ret = add(into, &from->counters[i]);
	return ret;
}

void mesh_iptables_metrics_print(const struct mesh_iptables_metrics *metrics, FILE *out)
{
	fputs("# HELP kilo_iptables_operations_total Number of iptables operations.\n"
	      "# TYPE kilo_iptables_operations_total counter\n",
	      out);
	for (size_t i = 0; i < metrics->n; i++) {
		const struct mesh_iptables_counter *c = &metrics->counters[i];

		fprintf(out,
		        "kilo_iptables_operations_total{chain=\"%s\",operation=\"%s\","
		        "protocol=\"%s\",table=\"%s\"} %llu\n",
		        c->chain, c->operation, c->family == AF_INET6 ? "IPv6" : "IPv4", c->table,
		        (unsigned long long)c->count);
	}
}

void mesh_iptables_metrics_release(struct mesh_iptables_metrics *metrics)
{
	free(metrics->counters);
	memset(metrics, 0, sizeof(*metrics));
}
