/* SPDX-License-Identifier: MIT */
/*
 * Kilo's kilo_iptables_operations_total{protocol,operation,table,chain} for an applier that
 * writes iptables-restore scripts (mesh/host/apply_iptables.h) instead of calling go-iptables once
 * per rule, as Kilo does.
 *
 * Each table read and each line of a script counts as the go-iptables call Kilo makes for the
 * same effect: reading a table is "List" (chain "*"), declaring a chain (which creates or
 * flushes it) and "-F" are "ClearChain", "-A" "AppendUnique", "-I" "Insert", "-D" "Delete",
 * "-X" "DeleteChain". The counters are kept one per label set; protocol is "IPv4" or "IPv6"
 * as in Kilo. Nothing here locks: the owner serialises the calls. Returns 0 or -ENOMEM.
 */
#ifndef MESH_IPTABLES_METRICS_H
#define MESH_IPTABLES_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mesh_iptables_counter {
	uint8_t family;        /* AF_INET or AF_INET6 */
	const char *operation; /* static */
	char table[16];
	char chain[32];
	uint64_t count;
};

struct mesh_iptables_metrics {
	struct mesh_iptables_counter *counters;
	size_t n, cap;
};

/* One iptables-save of family: a List of each table the applier manages. */
int mesh_iptables_metrics_count_read(struct mesh_iptables_metrics *metrics, uint8_t family);
/* The operations of one iptables-restore script of family. */
int mesh_iptables_metrics_count_script(struct mesh_iptables_metrics *metrics, uint8_t family,
                                       const char *script);
/* Add every counter of from to into. */
int mesh_iptables_metrics_merge(struct mesh_iptables_metrics *into,
                                const struct mesh_iptables_metrics *from);
/* The counters in the Prometheus text format, with their HELP and TYPE lines. */
void mesh_iptables_metrics_print(const struct mesh_iptables_metrics *metrics, FILE *out);
void mesh_iptables_metrics_release(struct mesh_iptables_metrics *metrics);

#endif /* MESH_IPTABLES_METRICS_H */
