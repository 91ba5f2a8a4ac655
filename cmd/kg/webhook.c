// SPDX-License-Identifier: MIT
/*
 * kg webhook (Kilo's cmd/kg/webhook.go): the validating admission webhook
 * for Peers. HTTPS on --listen answers /validate with mesh/k8s/admission.h's
 * verdict; plain HTTP on --listen-metrics serves /metrics with Kilo's
 * counters and the process collector's metrics. Runs until SIGINT or
 * SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd/common/flags.h"
#include "cmd/common/process_metrics.h"
#include "cmd/kg/kg.h"
#include "mesh/k8s/admission.h"

/* A Peer review is a few KiB; this bounds what a crowd of clients can make us hold. */
#define BODY_MAX (1 << 20)

/*
 * The methods http_requests_total names; any other is counted as "other",
 * so that clients cannot grow the metrics without bound.
 */
static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", "other"};
#define N_METHODS (sizeof(methods) / sizeof(*methods))

static struct {
	atomic_ulong admissions[MESH_ADMISSION_OPERATIONS][2]; /* [operation][allowed] */
	atomic_ulong requests[N_METHODS];                      /* of /validate */
	atomic_ulong errors;
} counters;

static struct {
	const char *cert_file, *key_file, *listen, *listen_metrics, *log_level;
	bool help, version;
} flags = {
    .cert_file = "",
    .key_file = "",
    .listen = ":8443",
    .listen_metrics = ":1107",
    .log_level = "info",
};

const struct mesh_flag kg_webhook_flags[] = {
    {"cert-file", 0, MESH_FLAG_STRING, &flags.cert_file, "The path to a certificate file", "string",
     NULL},
    {"help", 'h', MESH_FLAG_BOOL, &flags.help, "help for webhook", NULL, NULL},
    {"key-file", 0, MESH_FLAG_STRING, &flags.key_file, "The path to a key file", "string", NULL},
    {"listen", 0, MESH_FLAG_STRING, &flags.listen,
     "The webhook server will be listening to that address", "string", "\":8443\""},
    {"listen-metrics", 0, MESH_FLAG_STRING, &flags.listen_metrics,
     "The metrics server will be listening to that address", "string", "\":1107\""},
    {"log-level", 0, MESH_FLAG_STRING, &flags.log_level,
     "Log level to use. Possible values: all, debug, info, warn, error, none", "string",
     "\"info\""},
    {"version", 0, MESH_FLAG_BOOL, &flags.version, "Print version and exit", NULL, NULL},
    {0},
};

static size_t method_index(const char *method)
{
	size_t i = 0;

	while (i < N_METHODS - 1 && strcmp(method, methods[i]))
		i++;
	return i;
}

/* An error answer, counted and logged as Kilo's http.Error calls are. */
static void fail(struct mesh_http_response *response, int status, const char *message)
{
	atomic_fetch_add(&counters.errors, 1);
	kg_log(NULL, LOG_ERR, message);
	mesh_http_respond(response, status, "%s\n", message);
}

static void validate(void *ctx, const struct mesh_http_request *request,
                     struct mesh_http_response *response)
{
	struct mesh_admission_verdict verdict;
	char line[MESH_ADMISSION_MESSAGE_MAX + 64];

	(void)ctx;
	if (strcmp(request->path, "/validate")) {
		mesh_http_respond(response, 404, "404 page not found\n");
		return;
	}
	atomic_fetch_add(&counters.requests[method_index(request->method)], 1);
	if (mesh_admission_review(request->content_type, request->body, request->len, &verdict)) {
		fail(response, 500, "failed to review the request: out of memory");
		return;
	}
	if (verdict.status != 200) {
		fail(response, verdict.status, verdict.message);
		goto out;
	}
	atomic_fetch_add(&counters.admissions[verdict.operation][verdict.allowed], 1);
	snprintf(line, sizeof(line), "got %s peer spec%s%s", verdict.allowed ? "valid" : "invalid",
	         verdict.allowed ? "" : ": ", verdict.message);
	kg_log(NULL, LOG_DEBUG, line);
	/* The reply is the review; the response takes it over. */
	response->status = 200;
	response->content_type = "application/json";
	response->body = verdict.response;
	response->len = verdict.len;
	verdict.response = NULL;
out:
	mesh_admission_verdict_release(&verdict);
}

static void print_metrics(FILE *out)
{
	fprintf(out, "# HELP admission_requests_total The number of received admission reviews "
	             "requests\n# TYPE admission_requests_total counter\n");
	for (int op = 0; op < MESH_ADMISSION_OPERATIONS; op++)
		for (int allowed = 1; allowed >= 0; allowed--)
			if (atomic_load(&counters.admissions[op][allowed]))
				fprintf(
				    out,
				    "admission_requests_total{operation=\"%s\",response=\"%s\"} "
				    "%lu\n",
				    mesh_admission_operations[op], allowed ? "allowed" : "denied",
				    atomic_load(&counters.admissions[op][allowed]));
	fprintf(out,
	        "# HELP errors_total The total number of errors\n# TYPE errors_total counter\n"
	        "errors_total %lu\n",
	        atomic_load(&counters.errors));
	fprintf(out, "# HELP http_requests_total The number of received http requests\n"
	             "# TYPE http_requests_total counter\n");
	for (size_t i = 0; i < N_METHODS; i++)
		if (atomic_load(&counters.requests[i]))
			fprintf(out,
			        "http_requests_total{handler=\"/validate\",method=\"%s\"} %lu\n",
			        methods[i], atomic_load(&counters.requests[i]));
}

static void metrics(void *ctx, const struct mesh_http_request *request,
                    struct mesh_http_response *response)
{
	FILE *out;

	(void)ctx;
	if (strcmp(request->path, "/metrics")) {
		mesh_http_respond(response, 404, "404 page not found\n");
		return;
	}
	out = open_memstream(&response->body, &response->len);
	if (!out) {
		mesh_http_respond(response, 500, "out of memory\n");
		return;
	}
	print_metrics(out);
	response->status = mesh_process_metrics_print(out) ? 500 : 200;
	if (fclose(out))
		response->status = 500;
	response->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void usage(void)
{
	printf("webhook starts a HTTPS server to validate updates and creations of Kilo peers.\n\n"
	       "Usage:\n  kg webhook [flags]\n\nFlags:\n");
	mesh_flags_usage(kg_webhook_flags);
}

static int parse_flags(int argc, char **argv)
{
	if (mesh_flags_take("kg", kg_webhook_flags, &argc, argv, false))
		return -1;
	if (argc > 0) {
		fprintf(stderr, "kg: unknown command \"%s\" for \"kg webhook\"\n", argv[0]);
		return -1;
	}
	if (kg_log_set_level(flags.log_level)) {
		fprintf(stderr,
		        "kg: log level %s unknown; possible values are: all, debug, info, "
		        "warn, error, none\n",
		        flags.log_level);
		return -1;
	}
	if (!flags.help && !flags.version && (!flags.cert_file[0] || !flags.key_file[0])) {
		fprintf(stderr, "kg: webhook needs --cert-file and --key-file\n");
		return -1;
	}
	return 0;
}

/* Both servers, until SIGINT or SIGTERM; those are blocked in every thread and awaited here. */
static int serve(void)
{
	const struct mesh_http_options metrics_options = {.listen = flags.listen_metrics,
	                                                  .handler = metrics},
	                               webhook_options = {.listen = flags.listen,
	                                                  .handler = validate,
	                                                  .body_max = BODY_MAX,
	                                                  .cert_file = flags.cert_file,
	                                                  .key_file = flags.key_file};
	struct mesh_http_server *metrics_server = NULL, *webhook_server = NULL;
	char message[512];
	sigset_t stop;
	int ret, signo;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return 1;
	ret = mesh_http_open(&metrics_options, &metrics_server, message, sizeof(message));
	if (ret)
		goto out;
	snprintf(message, sizeof(message), "starting metrics server on %s", flags.listen_metrics);
	kg_log(NULL, LOG_INFO, message);
	ret = mesh_http_open(&webhook_options, &webhook_server, message, sizeof(message));
	if (ret)
		goto out;
	snprintf(message, sizeof(message), "starting webhook server on %s", flags.listen);
	kg_log(NULL, LOG_INFO, message);
	sigwait(&stop, &signo);
	snprintf(message, sizeof(message), "received signal %s; shutting down",
	         signo == SIGINT ? "interrupt" : "terminated");
out:
	kg_log(NULL, ret ? LOG_ERR : LOG_INFO, message);
	mesh_http_close(webhook_server);
	mesh_http_close(metrics_server);
	return ret ? 1 : 0;
}

int kg_webhook(int argc, char **argv)
{
	if (parse_flags(argc, argv))
		return 1;
	if (flags.help)
		usage();
	else if (flags.version)
		printf("%s\n", KILO_VERSION);
	else
		return serve();
	return 0;
}
