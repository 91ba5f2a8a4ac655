/* SPDX-License-Identifier: MIT */
/*
 * Which iptables the applier (mesh/host/apply_iptables.h) writes: the host's legacy tables
 * (iptables-legacy-save/-restore) or its nf_tables ones (iptables-nft-*), or, when neither set
 * of programs is there, whatever iptables-save and iptables-restore are. Rules written to the
 * other one would be in tables that kube-proxy and the host's firewall never look at: both
 * sets of tables are live in the kernel at once, and a packet goes through both.
 *
 * The choice is Kubernetes' iptables-wrappers' (kubernetes-sigs/iptables-wrappers), made from
 * what iptables-save prints for each, IPv4 and IPv6 together:
 *   1. the kubelet's chain KUBE-IPTABLES-HINT or KUBE-KUBELET-CANARY (Kubernetes 1.17 and later
 *      create them in the backend they use): that backend, nf_tables first;
 *   2. else the one with more rules of Kubernetes' or Kilo's (chain, target or comment KUBE-,
 *      KILO- or "Kilo: "), so that a restarted kg stays where its rules are;
 *   3. else the one with more rules; a tie (no rules anywhere) is nf_tables, Debian's default.
 *
 * kg makes the choice once at start-up (--iptables-backend, whose default the environment's
 * MESH_IPTABLES_BACKEND_ENV gives, as iptables-wrappers' users set it) and hands it to the
 * applier with every call (struct mesh_iptables_host). Pure functions here; detection runs the
 * programs in mesh_apply_iptables_detect().
 */
#ifndef MESH_IPTABLES_BACKEND_H
#define MESH_IPTABLES_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_IPTABLES_BACKEND_ENV "KILO_IPTABLES_BACKEND"

enum mesh_iptables_backend {
	MESH_IPTABLES_BACKEND_DEFAULT = 0, /* iptables-save, iptables-restore */
	MESH_IPTABLES_BACKEND_LEGACY,
	MESH_IPTABLES_BACKEND_NFT,
};

/* What one backend's iptables-save output holds, summed over the families. */
struct mesh_iptables_census {
	bool present;       /* its programs ran */
	unsigned int hints; /* KUBE-IPTABLES-HINT and KUBE-KUBELET-CANARY chains */
	unsigned int ours;  /* rules of Kubernetes' and Kilo's */
	unsigned int rules; /* every rule */
};

/* "legacy", "nft" or "default". */
const char *mesh_iptables_backend_name(enum mesh_iptables_backend backend);
/* "legacy" or "nft" (0), anything else -EINVAL. */
int mesh_iptables_backend_parse(const char *text, enum mesh_iptables_backend *backend);
/* Which programs the applier runs, and whether for IPv6 too. */
struct mesh_iptables_host {
	enum mesh_iptables_backend backend;
	bool ipv6; /* the kernel has IPv6: ip6tables is managed too */
};

/* The program of backend for family and verb ("save" or "restore"), e.g. ip6tables-nft-save. */
const char *mesh_iptables_backend_program(enum mesh_iptables_backend backend, uint8_t family,
                                          bool restore);

/* Add what saved (iptables-save output) holds to census. */
void mesh_iptables_census_add(struct mesh_iptables_census *census, const char *saved);

/*
 * The choice above between legacy and nft; why (may be NULL) gets one line saying what
 * decided, for the log.
 */
enum mesh_iptables_backend mesh_iptables_backend_choose(const struct mesh_iptables_census *legacy,
                                                        const struct mesh_iptables_census *nft,
                                                        char *why, size_t why_size);

#endif /* MESH_IPTABLES_BACKEND_H */
