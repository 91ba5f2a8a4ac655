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

#include "cmd/common/completion.h"
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

static int completion(int argc, char **argv, const struct kgctl_options *options);
static void usage(const char *command);

static const struct {
	const char *name;
	int (*run)(int argc, char **argv, const struct kgctl_options *options);
	const char *use, *summary;
	const char *notes;             /* after the usage line, or NULL */
	const struct mesh_flag *flags; /* its own, for its help and the completion */
	const char *words;             /* its first argument's choices, for the completion */
} commands[] = {
    {"completion", completion, "completion [bash|zsh|fish]",
     "Generate the autocompletion script for the specified shell",
     "  bash: source <(kgctl completion bash)\n"
     "  zsh:  source <(kgctl completion zsh)\n"
     "  fish: kgctl completion fish | source\n",
     NULL, MESH_COMPLETION_SHELLS},
    {"connect", kgctl_connect, "connect [NAME]",
     "connect to a Kilo cluster as a peer over WireGuard",
     "The Peer is NAME, or without NAME this host's name, as in Kilo.\n", kgctl_connect_flags,
     NULL},
    {"graph", kgctl_graph, "graph", "Generates a graph of the Kilo network", NULL, NULL, NULL},
    {"showconf", kgctl_showconf, "showconf ( node | peer ) NAME",
     "Show the WireGuard configuration for a node or peer in the Kilo network", NULL,
     kgctl_showconf_flags, "node peer"},
};
#define N_COMMANDS (sizeof(commands) / sizeof(*commands))

static void usage(const char *command)
{
	for (size_t i = 0; command && i < N_COMMANDS; i++) {
		if (strcmp(command, commands[i].name))
			continue;
		printf("%s\n\nUsage:\n  kgctl %s [flags]\n", commands[i].summary, commands[i].use);
		if (commands[i].notes)
			printf("\n%s", commands[i].notes);
		if (commands[i].flags) {
			printf("\nFlags:\n");
			mesh_flags_usage(commands[i].flags);
		}
		printf("\nGlobal Flags:\n");
		mesh_flags_usage(kgctl_global_flags);
		return;
	}
	printf("Manage a Kilo network\n\nUsage:\n  kgctl [command]\n\nAvailable Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %-11s %s\n", commands[i].name, commands[i].summary);
	printf("  %-11s %s\n", "help", "Help about any command");
	printf("\nFlags:\n");
	mesh_flags_usage(kgctl_global_flags);
	printf("\nUse \"kgctl [command] --help\" for more information about a command.\n");
}

/* kgctl completion SHELL: the script, from the same tables the commands parse. */
static int completion(int argc, char **argv, const struct kgctl_options *options)
{
	struct mesh_completion_command list[N_COMMANDS + 1];
	struct mesh_completion script = {.program = "kgctl",
	                                 .flags = kgctl_global_flags,
	                                 .persistent = true,
	                                 .commands = list,
	                                 .n_commands = N_COMMANDS + 1};
	char names[128] = "";

	(void)options;
	for (size_t i = 0; i < N_COMMANDS; i++) {
		list[i] = (struct mesh_completion_command){commands[i].name, commands[i].summary,
		                                           commands[i].flags, commands[i].words};
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s ",
		         commands[i].name);
	}
	strncat(names, "help", sizeof(names) - strlen(names) - 1);
	list[N_COMMANDS] =
	    (struct mesh_completion_command){"help", "Help about any command", NULL, names};
	if (argc == 0) {
		usage("completion");
		return 0;
	}
	if (argc > 1) {
		kgctl_error("completion accepts 1 arg(s), received %d", argc);
		return 1;
	}
	if (mesh_completion_print(&script, argv[0], stdout)) {
		kgctl_error("unknown shell \"%s\"; possible values are: bash, zsh, fish", argv[0]);
		return 1;
	}
	return 0;
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
	for (size_t i = 0; i < N_COMMANDS; i++)
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
