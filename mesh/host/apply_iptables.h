/* SPDX-License-Identifier: MIT */
/*
 * Converge iptables and ip6tables on the rule set of mesh/view/iptables.h by diff.
 *
 * Ours are the chains named KILO-* and, in other chains, the rules whose comment starts with
 * "Kilo: " (so rules left by Kilo's Go agent are adopted, not duplicated). Each apply reads the
 * tables with iptables-save, plans the difference as iptables-restore --noflush input (a pure
 * function) and runs it only when there is one, so a resync with nothing changed writes
 * nothing. Which iptables (legacy or nf_tables) is mesh/host/iptables_backend.h's. A chain of ours
 * whose rules differ is rewritten whole in one atomic restore; missing prepend rules are inserted
 * at the top, appended rules re-appended from the first that differs, rules no longer desired
 * deleted. An empty rule set removes all of ours. The programs are run from PATH with the input on
 * stdin; a missing one is a clear error.
 */
#ifndef MESH_APPLY_IPTABLES_H
#define MESH_APPLY_IPTABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh/host/iptables_backend.h"
#include "mesh/host/iptables_metrics.h"
#include "mesh/view/iptables.h"

#define MESH_APPLY_IPTABLES_ERRLEN 512

/*
 * The iptables-restore --noflush input that takes the tables in saved (iptables-save output
 * of one family) to the rules of ruleset of that family. *script is a heap string, "" when
 * nothing differs. Rules are written as iptables-save prints them, so they compare as text.
 */
int mesh_apply_iptables_plan(const struct mesh_iptables_ruleset *ruleset, uint8_t family,
                             const char *saved, char **script);

/*
 * Apply ruleset with host's programs for IPv4 and, if host->ipv6, for IPv6 (Kilo uses a no-op
 * there when the kernel has IPv6 disabled). *changed (may be NULL) tells whether anything was
 * written; operations (may be NULL) counts each read and write as Kilo's
 * kilo_iptables_operations_total would.
 */
int mesh_apply_iptables(const struct mesh_iptables_ruleset *ruleset,
                        const struct mesh_iptables_host *host, bool *changed,
                        struct mesh_iptables_metrics *operations, char *err, size_t err_size);

/*
 * Whether host's programs run here: iptables-save reads the filter table and iptables-restore
 * starts (and the ip6tables ones if host->ipv6). kg checks this before it touches the host, so that
 * a node without iptables gets a clear error and not WireGuard and routes without their rules
 * (Kilo's iptables.New fails the same way). err names the program and what went wrong.
 */
int mesh_apply_iptables_check(const struct mesh_iptables_host *host, char *err, size_t err_size);

/*
 * The backend the host uses, by mesh/host/iptables_backend.h's rule, from what the
 * iptables-legacy-save and iptables-nft-save programs (and the ip6tables ones if ipv6) print;
 * why gets what decided. MESH_IPTABLES_BACKEND_DEFAULT when neither set of programs runs.
 */
enum mesh_iptables_backend mesh_apply_iptables_detect(bool ipv6, char *why, size_t why_size);

/*
 * Kilo's test for the ipv6 argument: false when the kernel has IPv6 disabled, "1" in path
 * (NULL: MESH_IPV6_DISABLE_PATH); a missing file means enabled.
 */
#define MESH_IPV6_DISABLE_PATH "/sys/module/ipv6/parameters/disable"
bool mesh_apply_iptables_ipv6_enabled(const char *path);

#endif /* MESH_APPLY_IPTABLES_H */
