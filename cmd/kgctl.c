// SPDX-License-Identifier: MIT
/*
 * kgctl: the operator's view of a Kilo mesh (Kilo's cmd/kgctl). Global flags
 * may come before or after the subcommand, as with cobra.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/kgctl/kgctl.h"
#include "mesh/model/wipe.h"

static struct kgctl_options options = {
    .granularity = "auto",
    .port = "51820",
    .topology_label = "topology.kubernetes.io/region",
};
static bool help, version;

const struct mesh_flag kgctl_global_flags[] = {
    {"backend", 0, MESH_FLAG_STRING, &options.backend,
     "The backend for the mesh. Possible values: kubernetes, file", "string",
     "\"kubernetes\", or \"file\" with --cluster-file"},
    {"cluster-file", 0, MESH_FLAG_STRING, &options.cluster_file,
     "Path (or - for stdin) of a cluster file for the file backend: the JSON or YAML that "
     "`kubectl get nodes,peers -o json|yaml` prints; readiness is judged at its newest "
     "last-seen.",
     "string", NULL},
    {"help", 'h', MESH_FLAG_BOOL, &help, "help for kgctl", NULL, NULL},
    {"kubeconfig", 0, MESH_FLAG_STRING, &options.kubeconfig, "Path to kubeconfig.", "string",
     "$KUBECONFIG or ~/.kube/config"},
    {"mesh-granularity", 0, MESH_FLAG_STRING, &options.granularity,
     "The granularity of the network mesh to create. Possible values: location, full, cross, "
     "auto",
     "string", "\"auto\""},
    {"port", 0, MESH_FLAG_STRING, &options.port,
     "The WireGuard port over which the nodes communicate.", "int", "51820"},
    {"topology-label", 0, MESH_FLAG_STRING, &options.topology_label,
     "Kubernetes node label used to group nodes into logical locations.", "string",
     "\"topology.kubernetes.io/region\""},
    {"version", 0, MESH_FLAG_BOOL, &version, "version for kgctl", NULL, NULL},
    {0},
};

int kgctl_allowed_ips(const struct mesh_flag_list *list, struct mesh_prefix **ips, size_t *n)
{
	char bad[64] = "";
	int ret = mesh_flags_cidrs(list, ips, n, bad, sizeof(bad));

	if (ret == -EINVAL)
		kgctl_error("allowed-ips must contain only valid CIDRs; got \"%s\"", bad);
	else if (ret)
		kgctl_error("%s", strerror(-ret));
	return ret;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv, const struct kgctl_options *options);
	void (*usage)(void);
	const char *use, *summary;
} commands[] = {
    {"connect", kgctl_connect, kgctl_connect_usage, "connect NAME",
     "connect to a Kilo cluster as a peer over WireGuard"},
    {"graph", kgctl_graph, NULL, "graph", "Generates a graph of the Kilo network"},
    {"showconf", kgctl_showconf, kgctl_showconf_usage, "showconf ( node | peer ) NAME",
     "Show the WireGuard configuration for a node or peer in the Kilo network"},
};

static void usage(const char *command)
{
	for (size_t i = 0; command && i < sizeof(commands) / sizeof(*commands); i++) {
		if (strcmp(command, commands[i].name))
			continue;
		printf("%s\n\nUsage:\n  kgctl %s [flags]\n", commands[i].summary, commands[i].use);
		if (commands[i].usage) {
			printf("\nFlags:\n");
			commands[i].usage();
		}
		printf("\nGlobal Flags:\n");
		mesh_flags_usage(kgctl_global_flags);
		return;
	}
	printf("Manage a Kilo network\n\nUsage:\n  kgctl [command]\n\nAvailable Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		printf("  %-11s %s\n", commands[i].name, commands[i].summary);
	printf("  %-11s %s\n", "help", "Help about any command");
	printf("\nFlags:\n");
	mesh_flags_usage(kgctl_global_flags);
	printf("\nUse \"kgctl [command] --help\" for more information about a command.\n");
}

static const char *default_kubeconfig(char *buf, size_t size)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");

	if (env && !access(env, F_OK))
		return env;
	snprintf(buf, size, "%s/.kube/config", home ? home : "");
	return buf;
}

static int run(int argc, char **argv)
{
	bool help_command = argc && !strcmp(argv[0], "help");

	if (version) {
		printf("kgctl version %s\n", KILO_VERSION);
		return 0;
	}
	if (help || !argc || help_command) {
		/* "kgctl help showconf" and "kgctl showconf --help" alike. */
		if (help_command)
			usage(argc > 1 ? argv[1] : NULL);
		else
			usage(argc ? argv[0] : NULL);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].run(argc - 1, argv + 1, &options);
	kgctl_error("unknown command \"%s\" for \"kgctl\"", argv[0]);
	return 1;
}

int main(int argc, char **argv)
{
	char kubeconfig[4096];
	int ret;

	/* Peers may carry preshared keys. */
	mesh_wipe_json();
	options.kubeconfig = default_kubeconfig(kubeconfig, sizeof(kubeconfig));
	argc--, argv++;
	if (mesh_flags_take("kgctl", kgctl_global_flags, &argc, argv, true))
		return 1;
	ret = run(argc, argv);
	if (fflush(stdout) || ferror(stdout)) {
		kgctl_error("failed to write output");
		ret = 1;
	}
	return ret;
}
