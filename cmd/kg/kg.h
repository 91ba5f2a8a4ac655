/* SPDX-License-Identifier: MIT */
/*
 * Private to kg: its flags, its log and its HTTP handlers, shared by the
 * files of cmd/kg as kgctl shares kgctl.h.
 */
#ifndef KG_H
#define KG_H

#include <stdbool.h>

#include "cmd/common/flags.h"
#include "cmd/common/http.h"
#include "mesh/agent/agent.h"
#include "mesh/host/iptables_backend.h"

struct kg_config {
	struct mesh_agent_options agent;
	const char *listen;
	bool version, help;
	/* --iptables-backend: legacy or nft, or with iptables_auto the host's (kg.c detects it). */
	enum mesh_iptables_backend iptables_backend;
	bool iptables_auto;
	/* Heap arrays behind agent.service_cidrs and agent.internal_cidrs. */
	struct mesh_prefix *service_cidrs, *internal_cidrs;
};

/* 0 and a filled config, or -1 after printing "kg: ..." to stderr. */
int kg_flags_parse(int argc, char **argv, struct kg_config *config);
void kg_flags_release(struct kg_config *config);
void kg_usage(void);
/*
 * `kg help [COMMAND]` and `kg completion SHELL` (the arguments after the command): the exit
 * status. The completion script comes from the flag tables kg and kg webhook parse.
 */
int kg_help(int argc, char **argv);
int kg_completion(int argc, char **argv);

/* "all", "debug", "info", "warn", "error", "none"; -EINVAL if unknown. */
int kg_log_set_level(const char *name);
/* Whether debug lines are printed at the level set. */
bool kg_log_debug(void);
/* mesh_backend_log_fn: one JSON line on stdout, as Kilo's go-kit logger. */
void kg_log(void *ctx, int level, const char *message);

/* `kg webhook ARGS...` (the arguments after "webhook"): the exit status. */
int kg_webhook(int argc, char **argv);
extern const struct mesh_flag kg_webhook_flags[];

/* The HTTP handler over an agent (the ctx). */
void kg_handle(void *ctx, const struct mesh_http_request *request,
               struct mesh_http_response *response);

#endif /* KG_H */
