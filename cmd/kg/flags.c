// SPDX-License-Identifier: MIT
/*
 * kg's flags: Kilo's names and defaults (cmd/kg/main.go), plus --cluster-file
 * for the file backend. Values are checked here so that a bad one stops kg
 * before it touches the host, with the flag and value named.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/common/completion.h"
#include "cmd/common/flags.h"
#include "cmd/kg/kg.h"
#include "mesh/host/keyfile.h"
#include "mesh/k8s/codec.h"

/* Everything as the command line gave it, before it is checked. */
static struct {
	const char *backend, *cluster_file, *cni_path, *compatibility, *encapsulate, *granularity;
	const char *hostname, *interface, *kubeconfig, *listen, *log_level, *master, *mtu, *port;
	const char *resync_period, *subnet, *topology_label, *iptables_backend, *wireguard;
	bool clean_up, clean_up_interface, create_interface, cni, local, forward_rules;
	bool prioritise_private, help, version;
	struct mesh_flag_list service_cidrs, internal_cidrs;
} raw = {
    .backend = "kubernetes",
    .cni_path = "/etc/cni/net.d/10-kilo.conflist",
    .compatibility = "",
    .encapsulate = "always",
    .granularity = "location",
    .interface = MESH_DEFAULT_INTERFACE,
    .kubeconfig = "",
    .listen = ":1107",
    .log_level = "info",
    .master = "",
    .mtu = "auto",
    .port = "51820",
    .resync_period = "30s",
    .subnet = MESH_DEFAULT_SUBNET,
    .topology_label = MESH_DEFAULT_TOPOLOGY_LABEL,
    .wireguard = "auto",
    .clean_up = true,
    .create_interface = true,
    .cni = true,
    .local = true,
};

#define STR(name, var, help, fallback)                                                             \
	{                                                                                          \
		name, 0, MESH_FLAG_STRING, &raw.var, help, "string", fallback                      \
	}
#define BOOL(name, var, help, fallback)                                                            \
	{                                                                                          \
		name, 0, MESH_FLAG_BOOL, &raw.var, help, NULL, fallback                            \
	}
#define LIST(name, var, help)                                                                      \
	{                                                                                          \
		name, 0, MESH_FLAG_LIST, &raw.var, help, "strings", NULL                           \
	}

static const struct mesh_flag flags[] = {
    STR("backend", backend, "The backend for the mesh. Possible values: kubernetes, file",
        "\"kubernetes\""),
    BOOL("clean-up", clean_up, "Should kilo clean up network modifications on shutdown?", "true"),
    BOOL("clean-up-interface", clean_up_interface,
         "Should Kilo delete its interface when it shuts down?", NULL),
    STR("cluster-file", cluster_file,
        "Path of the cluster file of the file backend: the JSON or YAML that `kubectl get "
        "nodes,peers -o json|yaml` prints.",
        NULL),
    BOOL("cni", cni, "Should Kilo manage the node's CNI configuration?", "true"),
    STR("cni-path", cni_path, "Path to CNI config.", "\"/etc/cni/net.d/10-kilo.conflist\""),
    STR("compatibility", compatibility,
        "Should Kilo run in compatibility mode? Possible values: flannel, cilium", NULL),
    BOOL("create-interface", create_interface, "Should kilo create an interface on startup?",
         "true"),
    STR("encapsulate", encapsulate,
        "When should Kilo encapsulate packets within a location? Possible values: never, "
        "crosssubnet, always",
        "\"always\""),
    {"help", 'h', MESH_FLAG_BOOL, &raw.help, "help for kg", NULL, NULL},
    STR("hostname", hostname, "Hostname of the node on which this process is running.", NULL),
    STR("interface", interface,
        "Name of the Kilo interface to use; if it does not exist, it will be created.",
        "\"kilo0\""),
    LIST("internal-cidr", internal_cidrs,
         "Limit the private IP address detection to these CIDRs. Can be specified multiple "
         "times."),
    {"iptables-backend", 0, MESH_FLAG_STRING, &raw.iptables_backend,
     "Which iptables kg writes its rules with: auto picks the one the host uses, as "
     "Kubernetes' iptables-wrappers does (see cmd/kg/README.md). Possible values: auto, "
     "legacy, nft",
     "string", "$" MESH_IPTABLES_BACKEND_ENV " or \"auto\""},
    BOOL("iptables-forward-rules", forward_rules,
         "Add default accept rules to the FORWARD chain in iptables. Warning: this may break "
         "firewalls with a deny all policy and is potentially insecure!",
         NULL),
    STR("kubeconfig", kubeconfig, "Path to kubeconfig.", NULL),
    STR("listen", listen, "The address at which to listen for health and metrics.", "\":1107\""),
    BOOL("local", local, "Should Kilo manage routes within a location?", "true"),
    STR("log-level", log_level,
        "Log level to use. Possible values: all, debug, info, warn, error, none", "\"info\""),
    STR("master", master,
        "The address of the Kubernetes API server (overrides any value in kubeconfig).", NULL),
    STR("mesh-granularity", granularity,
        "The granularity of the network mesh to create. Possible values: location, full, "
        "cross",
        "\"location\""),
    STR("mtu", mtu, "The MTU of the WireGuard interface created by Kilo.", "\"auto\""),
    {"port", 0, MESH_FLAG_STRING, &raw.port,
     "The port over which WireGuard peers should communicate.", "int", "51820"},
    BOOL("prioritise-private-addresses", prioritise_private,
         "Prefer to assign a private IP address to the node's endpoint.", NULL),
    {"resync-period", 0, MESH_FLAG_STRING, &raw.resync_period,
     "How often should the Kilo controllers reconcile?", "duration", "30s"},
    LIST("service-cidr", service_cidrs,
         "The service CIDR for the Kubernetes cluster. Can be provided optionally to avoid "
         "masquerading packets sent to service IPs. Can be specified multiple times."),
    STR("subnet", subnet,
        "CIDR from which to allocate addresses for WireGuard interfaces; for a dual-stack "
        "mesh an IPv4 and an IPv6 CIDR, comma-separated.",
        "\"10.4.0.0/16\""),
    STR("topology-label", topology_label,
        "Kubernetes node label used to group nodes into logical locations.",
        "\"topology.kubernetes.io/region\""),
    {"version", 0, MESH_FLAG_BOOL, &raw.version, "Print version and exit", NULL, NULL},
    STR("wireguard", wireguard,
        "Which WireGuard to drive: kernel (the kernel module), userspace (the engine in this "
        "process) or auto (kernel where the module is). Possible values: auto, kernel, "
        "userspace",
        "\"auto\""),
    {0},
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_flags_verror("kg", fmt, ap);
	va_end(ap);
	return -1;
}

/* Repeatable, comma-separated CIDR lists (pflag's StringSlice). */
static int parse_cidrs(const struct mesh_flag_list *list, const char *flag,
                       struct mesh_prefix **out, size_t *n)
{
	char bad[64] = "";
	int ret = mesh_flags_cidrs(list, out, n, bad, sizeof(bad));

	if (ret == -ENOMEM)
		return fail("%s: out of memory", flag);
	if (ret)
		return fail("failed to parse %s \"%s\": not a CIDR", flag, bad);
	return 0;
}

static int check_enums(struct kg_config *config)
{
	struct mesh_agent_options *agent = &config->agent;

	if (mesh_backend_kind_parse(raw.backend, &agent->backend.kind))
		return fail("backend %s unknown; possible values are: kubernetes, file",
		            raw.backend);
	if (agent->backend.kind == MESH_BACKEND_FILE && !raw.cluster_file)
		return fail("the file backend needs --cluster-file PATH");
	if (mesh_granularity_parse(raw.granularity, &agent->granularity) ||
	    agent->granularity == MESH_GRANULARITY_AUTO)
		return fail(
		    "mesh granularity %s unknown; possible values are: location, full, cross",
		    raw.granularity);
	if (mesh_encapsulate_parse(raw.encapsulate, &agent->encapsulate))
		return fail(
		    "encapsulation %s unknown; possible values are: never, crosssubnet, always",
		    raw.encapsulate);
	if (!strcmp(raw.compatibility, "flannel"))
		agent->compatibility = MESH_COMPATIBILITY_FLANNEL;
	else if (!strcmp(raw.compatibility, "cilium"))
		agent->compatibility = MESH_COMPATIBILITY_CILIUM;
	else if (raw.compatibility[0])
		return fail("compatibility mode %s unknown; possible values are: flannel, cilium",
		            raw.compatibility);
	if (!strcmp(raw.iptables_backend, "auto"))
		config->iptables_auto = true;
	else if (mesh_iptables_backend_parse(raw.iptables_backend, &config->iptables_backend))
		return fail("iptables backend %s unknown; possible values are: auto, legacy, nft",
		            raw.iptables_backend);
	if (mesh_wg_mode_parse(raw.wireguard, &agent->wireguard))
		return fail(
		    "wireguard mode %s unknown; possible values are: auto, kernel, userspace",
		    raw.wireguard);
	if (kg_log_set_level(raw.log_level))
		return fail("log level %s unknown; possible values are: all, debug, info, warn, "
		            "error, none",
		            raw.log_level);
	return 0;
}

/*
 * --subnet: Kilo's one prefix, or as Kubernetes' --cluster-cidr one per family, comma-separated.
 * The IPv4 one is Kilo's subnet (wireguard-ip), an IPv6 one beside it numbers the IPv6 WireGuard
 * IPs (wireguard-ipv6); alone, an IPv6 one is Kilo's subnet of an IPv6 mesh.
 */
static int parse_subnets(struct mesh_agent_options *agent)
{
	struct mesh_prefix subnets[2];
	char *copy = strdup(raw.subnet), *item, *save = NULL;
	size_t n = 0;
	int ret = copy ? 0 : fail("--subnet: out of memory");

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		if (mesh_prefix_parse(item, &subnets[n]))
			ret = fail("failed to parse %s as subnet", item);
		else if (n && subnets[0].addr.family == subnets[n].addr.family)
			ret = fail("--subnet %s: want at most one IPv4 and one IPv6 subnet",
			           raw.subnet);
		else if (++n == 2 && strtok_r(NULL, ",", &save))
			ret = fail("--subnet %s: want at most one IPv4 and one IPv6 subnet",
			           raw.subnet);
	}
	if (!ret && !n)
		ret = fail("failed to parse %s as subnet", raw.subnet);
	free(copy);
	if (ret)
		return ret;
	/* Kilo's is the IPv4 one, whichever came first. */
	if (n == 2 && subnets[0].addr.family == AF_INET6) {
		struct mesh_prefix v6 = subnets[0];

		subnets[0] = subnets[1];
		subnets[1] = v6;
	}
	agent->subnet = mesh_prefix_masked(&subnets[0]);
	if (n == 2)
		agent->subnet6 = mesh_prefix_masked(&subnets[1]);
	return 0;
}

static int check_numbers(struct mesh_agent_options *agent)
{
	unsigned long value;

	if (mesh_flags_port(raw.port, &agent->port))
		return fail("invalid port: port must be in range [1:65535], but got %s", raw.port);
	if (strcmp(raw.mtu, "auto")) {
		if (mesh_flags_uint(raw.mtu, 65535, &value) || value < 576)
			return fail("invalid MTU %s: must be auto or a number from 576 to 65535",
			            raw.mtu);
		agent->mtu = (unsigned int)value;
	}
	if (mesh_flags_duration(raw.resync_period, &agent->resync_period))
		return fail("failed to parse resync period %s: want a duration like 30s or 1m",
		            raw.resync_period);
	return parse_subnets(agent);
}

static void fill_plain(struct kg_config *config)
{
	struct mesh_agent_options *agent = &config->agent;

	agent->backend.kubeconfig = raw.kubeconfig;
	agent->backend.master = raw.master[0] ? raw.master : NULL;
	agent->backend.cluster_file = raw.cluster_file;
	agent->backend.topology_label = raw.topology_label;
	agent->interface = raw.interface;
	agent->key_path = MESH_KEYFILE_PATH;
	agent->create_interface = raw.create_interface;
	agent->clean_up = raw.clean_up;
	agent->clean_up_interface = raw.clean_up_interface;
	agent->cni = raw.cni;
	agent->cni_path = raw.cni_path;
	agent->local = raw.local;
	agent->iptables_forward_rules = raw.forward_rules;
	agent->prioritise_private_addresses = raw.prioritise_private;
	agent->log = kg_log;
	config->listen = raw.listen;
	config->help = raw.help;
	config->version = raw.version;
}

static int check_hostname(struct mesh_agent_options *agent)
{
	static char hostname[MESH_NAME_MAX + 1];

	if (raw.hostname) {
		agent->hostname = raw.hostname;
	} else if (!gethostname(hostname, sizeof(hostname) - 1)) {
		agent->hostname = hostname;
	} else {
		return fail("failed to get the hostname; pass --hostname");
	}
	if (!agent->hostname[0] || strlen(agent->hostname) > MESH_NAME_MAX)
		return fail("invalid hostname \"%s\"", agent->hostname);
	return 0;
}

int kg_flags_parse(int argc, char **argv, struct kg_config *config)
{
	struct mesh_agent_options *agent = &config->agent;
	const char *backend = getenv(MESH_IPTABLES_BACKEND_ENV);

	memset(config, 0, sizeof(*config));
	raw.iptables_backend = backend && *backend ? backend : "auto";
	if (mesh_flags_take("kg", flags, &argc, argv, false))
		return -1;
	if (argc > 0 && strcmp(argv[0], "version"))
		return fail("unknown command \"%s\" for \"kg\"", argv[0]);
	fill_plain(config);
	config->version |= argc > 0;
	if (config->help || config->version)
		return 0;
	if (check_enums(config) || check_numbers(agent) || check_hostname(agent))
		return -1;
	agent->log_engine_debug = kg_log_debug();
	if (parse_cidrs(&raw.service_cidrs, "--service-cidr", &config->service_cidrs,
	                &agent->n_service_cidrs) ||
	    parse_cidrs(&raw.internal_cidrs, "--internal-cidr", &config->internal_cidrs,
	                &agent->n_internal_cidrs))
		return -1;
	agent->service_cidrs = config->service_cidrs;
	agent->internal_cidrs = config->internal_cidrs;
	return 0;
}

void kg_flags_release(struct kg_config *config)
{
	free(config->service_cidrs);
	free(config->internal_cidrs);
	free(raw.service_cidrs.items);
	free(raw.internal_cidrs.items);
}

/* kg's commands, for its help and its completion; help's words are the names (kg_completion). */
static const struct mesh_completion_command commands[] = {
    {"completion", "Generate the autocompletion script for the specified shell", NULL,
     MESH_COMPLETION_SHELLS},
    {"help", "Help about any command", NULL, NULL},
    {"version", "Print the version and exit.", NULL, NULL},
    {"webhook", "webhook starts a HTTPS server to validate updates and creations of Kilo peers.",
     kg_webhook_flags, NULL},
};
#define N_COMMANDS (sizeof(commands) / sizeof(*commands))

void kg_usage(void)
{
	printf("kg is the Kilo agent.\nIt runs on every node of a cluster,\nsetting up the public "
	       "and private keys for the VPN\nas well as the necessary rules to route packets "
	       "between locations.\nIts WireGuard device runs in the same process.\n\n"
	       "Usage:\n  kg [flags]\n  kg [command]\n\nAvailable Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %-11s %s\n", commands[i].name, commands[i].summary);
	printf("\nFlags:\n");
	mesh_flags_usage(flags);
	printf("\nUse \"kg [command] --help\" for more information about a command.\n");
}

static void completion_usage(void)
{
	printf("Generate the autocompletion script for kg for the specified shell.\n\n"
	       "Usage:\n  kg completion [bash|zsh|fish]\n\n"
	       "  bash: source <(kg completion bash)\n"
	       "  zsh:  source <(kg completion zsh)\n"
	       "  fish: kg completion fish | source\n");
}

int kg_help(int argc, char **argv)
{
	char *webhook_help[] = {"--help", NULL};

	if (argc == 0) {
		kg_usage();
		return 0;
	}
	if (!strcmp(argv[0], "webhook"))
		return kg_webhook(1, webhook_help);
	if (!strcmp(argv[0], "completion")) {
		completion_usage();
		return 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(argv[0], commands[i].name)) {
			printf("%s\n\nUsage:\n  kg %s\n", commands[i].summary, commands[i].name);
			return 0;
		}
	}
	fail("unknown help topic \"%s\"; the commands are: completion, help, version, webhook",
	     argv[0]);
	return 1;
}

int kg_completion(int argc, char **argv)
{
	struct mesh_completion_command with_names[N_COMMANDS];
	struct mesh_completion completion = {
	    .program = "kg", .flags = flags, .commands = with_names, .n_commands = N_COMMANDS};
	char names[128] = "";

	for (size_t i = 0; i < N_COMMANDS; i++) {
		with_names[i] = commands[i];
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? " " : "",
		         commands[i].name);
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(with_names[i].name, "help"))
			with_names[i].words = names;
	if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		completion_usage();
		return 0;
	}
	if (argc > 1) {
		fail("completion accepts 1 arg(s), received %d", argc);
		return 1;
	}
	if (mesh_completion_print(&completion, argv[0], stdout)) {
		fail("unknown shell \"%s\"; possible values are: bash, zsh, fish", argv[0]);
		return 1;
	}
	return fflush(stdout) ? 1 : 0;
}
