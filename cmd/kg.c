// SPDX-License-Identifier: MIT
/*
 * kg: the Kilo agent (Kilo's cmd/kg), with its WireGuard device in the same
 * process. Flags, the HTTP server, signals; the agent does the rest.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd/kg/kg.h"
#include "mesh/host/apply_iptables.h"
#include "mesh/model/wipe.h"

static struct mesh_agent *agent;
/* A signal during start-up, before there is an agent to stop. */
static volatile sig_atomic_t stopping;

static void on_signal(int signo)
{
	(void)signo;
	stopping = 1;
	if (agent)
		mesh_agent_stop(agent);
}

static int handle_signals(void)
{
	struct sigaction action = {.sa_handler = on_signal};

	sigemptyset(&action.sa_mask);
	return sigaction(SIGTERM, &action, NULL) || sigaction(SIGINT, &action, NULL) ||
	       signal(SIGPIPE, SIG_IGN) == SIG_ERR;
}

/* The iptables the applier writes (mesh/host/iptables_backend.h): --iptables-backend, or the
 * host's. */
static void choose_iptables(struct kg_config *config)
{
	enum mesh_iptables_backend backend = config->iptables_backend;
	char why[200] = "--iptables-backend", message[300];

	if (config->iptables_auto)
		backend = mesh_apply_iptables_detect(mesh_apply_iptables_ipv6_enabled(NULL), why,
		                                     sizeof(why));
	config->agent.iptables_backend = backend;
	if (backend == MESH_IPTABLES_BACKEND_DEFAULT)
		snprintf(message, sizeof(message),
		         "using iptables-save and iptables-restore as found in PATH (%s)", why);
	else
		snprintf(message, sizeof(message), "using the %s iptables backend (%s)",
		         mesh_iptables_backend_name(backend), why);
	kg_log(NULL, LOG_INFO, message);
}

static int run(struct kg_config *config)
{
	struct mesh_http_server *server = NULL;
	char message[512];
	int ret;

	choose_iptables(config);
	ret = mesh_agent_create(&config->agent, &agent);
	if (ret)
		return 1;
	if (stopping)
		mesh_agent_stop(agent);
	ret = mesh_http_open(&(struct mesh_http_options){.listen = config->listen,
	                                                 .handler = kg_handle,
	                                                 .ctx = agent},
	                     &server, message, sizeof(message));
	if (ret)
		kg_log(NULL, LOG_ERR, message);
	if (!ret)
		ret = mesh_agent_run(agent);
	mesh_http_close(server);
	mesh_agent_destroy(agent);
	agent = NULL;
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct kg_config config;
	int ret = 1;

	/* Peers and AdmissionReviews may carry preshared keys. */
	mesh_wipe_json();
	if (argc > 1 && !strcmp(argv[1], "webhook"))
		return kg_webhook(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "help"))
		return kg_help(argc - 2, argv + 2);
	if (argc > 1 && !strcmp(argv[1], "completion"))
		return kg_completion(argc - 2, argv + 2);
	if (kg_flags_parse(argc - 1, argv + 1, &config))
		goto out;
	ret = 0;
	if (config.help)
		kg_usage();
	else if (config.version)
		printf("%s\n", KILO_VERSION);
	else if (handle_signals())
		ret = 1;
	else
		ret = run(&config);
out:
	kg_flags_release(&config);
	return ret;
}
