// SPDX-License-Identifier: MIT
/*
 * The iptables backend: names, the census of iptables-save output, iptables-wrappers' choice.
 */
#include "mesh/host/iptables_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const names[] = {
    [MESH_IPTABLES_BACKEND_DEFAULT] = "default",
    [MESH_IPTABLES_BACKEND_LEGACY] = "legacy",
    [MESH_IPTABLES_BACKEND_NFT] = "nft",
};

/* [backend][ipv6][restore] */
static const char *const programs[3][2][2] = {
    [MESH_IPTABLES_BACKEND_DEFAULT] = {{"iptables-save", "iptables-restore"},
                                       {"ip6tables-save", "ip6tables-restore"}},
    [MESH_IPTABLES_BACKEND_LEGACY] = {{"iptables-legacy-save", "iptables-legacy-restore"},
                                      {"ip6tables-legacy-save", "ip6tables-legacy-restore"}},
    [MESH_IPTABLES_BACKEND_NFT] = {{"iptables-nft-save", "iptables-nft-restore"},
                                   {"ip6tables-nft-save", "ip6tables-nft-restore"}},
};

const char *mesh_iptables_backend_name(enum mesh_iptables_backend backend)
{
	return names[backend];
}

int mesh_iptables_backend_parse(const char *text, enum mesh_iptables_backend *backend)
{
	if (!text)
		return -EINVAL;
	if (!strcmp(text, "legacy"))
		*backend = MESH_IPTABLES_BACKEND_LEGACY;
	else if (!strcmp(text, "nft"))
		*backend = MESH_IPTABLES_BACKEND_NFT;
	else
		return -EINVAL;
	return 0;
}

const char *mesh_iptables_backend_program(enum mesh_iptables_backend backend, uint8_t family,
                                          bool restore)
{
	return programs[backend][family == AF_INET6][restore];
}

static bool starts(const char *line, size_t len, const char *prefix)
{
	return len >= strlen(prefix) && !memcmp(line, prefix, strlen(prefix));
}

static bool contains(const char *line, size_t len, const char *needle)
{
	return memmem(line, len, needle, strlen(needle)) != NULL;
}

void mesh_iptables_census_add(struct mesh_iptables_census *census, const char *saved)
{
	for (const char *line = saved; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (starts(line, len, ":KUBE-IPTABLES-HINT ") ||
		    starts(line, len, ":KUBE-KUBELET-CANARY "))
			census->hints++;
		if (line[0] == '-') {
			census->rules++;
			if (contains(line, len, "KUBE-") || contains(line, len, "KILO-") ||
			    contains(line, len, "Kilo: "))
				census->ours++;
		}
		line = end ? end + 1 : NULL;
	}
}

enum mesh_iptables_backend mesh_iptables_backend_choose(const struct mesh_iptables_census *legacy,
                                                        const struct mesh_iptables_census *nft,
                                                        char *why, size_t why_size)
{
	enum mesh_iptables_backend backend;
	char dummy[1];

	if (!why) {
		why = dummy;
		why_size = sizeof(dummy);
	}
	if (!legacy->present && !nft->present) {
		snprintf(why, why_size, "neither iptables-legacy nor iptables-nft is installed");
		return MESH_IPTABLES_BACKEND_DEFAULT;
	}
	if (!legacy->present || !nft->present) {
		backend =
		    legacy->present ? MESH_IPTABLES_BACKEND_LEGACY : MESH_IPTABLES_BACKEND_NFT;
		snprintf(why, why_size, "only iptables-%s is installed", names[backend]);
		return backend;
	}
	if (nft->hints || legacy->hints) {
		backend = nft->hints ? MESH_IPTABLES_BACKEND_NFT : MESH_IPTABLES_BACKEND_LEGACY;
		snprintf(why, why_size, "the kubelet's chains are in the %s tables",
		         names[backend]);
		return backend;
	}
	if (nft->ours != legacy->ours) {
		backend = legacy->ours > nft->ours ? MESH_IPTABLES_BACKEND_LEGACY
		                                   : MESH_IPTABLES_BACKEND_NFT;
		snprintf(why, why_size, "%u rules of Kubernetes or Kilo in legacy, %u in nft",
		         legacy->ours, nft->ours);
		return backend;
	}
	backend =
	    legacy->rules > nft->rules ? MESH_IPTABLES_BACKEND_LEGACY : MESH_IPTABLES_BACKEND_NFT;
	snprintf(why, why_size, "%u rules in legacy, %u in nft%s", legacy->rules, nft->rules,
	         legacy->rules == nft->rules ? " (nft on a tie)" : "");
	return backend;
}
