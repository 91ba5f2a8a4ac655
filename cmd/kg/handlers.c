// SPDX-License-Identifier: MIT
/*
 * kg's HTTP endpoints (Kilo's cmd/kg/handlers.go): /, /health, /metrics and
 * /graph, the latter rendered by Graphviz's dot for anything but DOT.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/common/process_metrics.h"
#include "cmd/kg/kg.h"

/* A rendered graph larger than this is refused rather than buffered. */
#define GRAPH_MAX (16 << 20)

extern char **environ;

static const struct {
	const char *format, *content_type;
} formats[] = {
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"bmp", "image/bmp"},
    {"fig", "application/octet-stream"},
    {"gif", "image/gif"},
    {"json", "application/json"},
    {"ps", "application/postscript"},
};

static const char *const layouts[] = {"circo", "dot", "neato", "twopi", "fdp"};

static void index_page(struct mesh_http_response *response)
{
	mesh_http_respond(response, 200,
	                  "<html><head><title>Kilo</title></head><body><h1>Kilo</h1><ul>"
	                  "<li><a href=\"/graph\">/graph</a></li>"
	                  "<li><a href=\"/health\">/health</a></li>"
	                  "<li><a href=\"/metrics\">/metrics</a></li></ul></body></html>\n");
	response->content_type = "text/html; charset=utf-8";
}

static void metrics(struct mesh_agent *agent, struct mesh_http_response *response)
{
	size_t len = 0;
	FILE *out = open_memstream(&response->body, &len);
	int ret;

	if (!out) {
		mesh_http_respond(response, 500, "out of memory\n");
		return;
	}
	ret = mesh_agent_metrics(agent, out);
	/* Kilo's registry also holds the process collector's metrics. */
	if (!ret)
		ret = mesh_process_metrics_print(out);
	fclose(out);
	response->len = len;
	response->status = ret ? 500 : 200;
	response->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* Reads fd to EOF into the response body. */
static int read_all(int fd, struct mesh_http_response *response)
{
	size_t cap = 0;

	for (;;) {
		ssize_t n;

		if (response->len == cap) {
			char *body = cap < GRAPH_MAX ? realloc(response->body, cap + 65536) : NULL;

			if (!body)
				return -EFBIG;
			response->body = body;
			cap += 65536;
		}
		n = read(fd, response->body + response->len, cap - response->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		response->len += (size_t)n;
	}
}

/* dot -K<layout> -T<format> with the DOT on stdin (a memfd, so no writer thread). */
static int render(const char *dot, const char *layout, const char *format,
                  struct mesh_http_response *response)
{
	char layout_arg[16], format_arg[16];
	char *argv[] = {"dot", layout_arg, format_arg, NULL};
	posix_spawn_file_actions_t actions;
	int input = memfd_create("kg-graph", MFD_CLOEXEC), output[2] = {-1, -1}, status, ret;
	pid_t pid;

	snprintf(layout_arg, sizeof(layout_arg), "-K%s", layout);
	snprintf(format_arg, sizeof(format_arg), "-T%s", format);
	if (input < 0 || write(input, dot, strlen(dot)) != (ssize_t)strlen(dot) ||
	    lseek(input, 0, SEEK_SET) || pipe2(output, O_CLOEXEC)) {
		ret = -errno;
		goto out;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, input, 0);
	posix_spawn_file_actions_adddup2(&actions, output[1], 1);
	ret = -posix_spawnp(&pid, "dot", &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(output[1]);
	output[1] = -1;
	if (ret)
		goto out;
	ret = read_all(output[0], response);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		ret = ret ? ret : -EIO;
out:
	if (input >= 0)
		close(input);
	if (output[0] >= 0)
		close(output[0]);
	if (output[1] >= 0)
		close(output[1]);
	return ret;
}

static const char *content_type_of(const char *format)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		if (!strcmp(formats[i].format, format))
			return formats[i].content_type;
	return NULL;
}

static bool layout_is_known(const char *layout)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(*layouts); i++)
		if (!strcmp(layouts[i], layout))
			return true;
	return false;
}

static void graph(struct mesh_agent *agent, const struct mesh_http_request *request,
                  struct mesh_http_response *response)
{
	const char *format = mesh_http_query(request, "format"),
	           *layout = mesh_http_query(request, "layout");
	char *dot;
	bool raw;
	int ret;

	/* Go's Query().Get(): absent and empty are alike. */
	if (!format || !*format)
		format = "svg";
	if (!layout || !*layout)
		layout = "circo";
	raw = !strcmp(format, "dot") || !strcmp(format, "gv");
	if (!raw && !content_type_of(format)) {
		mesh_http_respond(response, 500, "unsupported format\n");
		return;
	}
	if (!layout_is_known(layout)) {
		mesh_http_respond(response, 500, "unsupported layout\n");
		return;
	}
	dot = mesh_agent_graph(agent);
	if (!dot) {
		mesh_http_respond(response, 500, "failed to create topology\n");
		return;
	}
	if (raw) {
		mesh_http_respond(response, 200, "%s\n", dot);
		response->content_type = "text/vnd.graphviz; charset=utf-8";
		free(dot);
		return;
	}
	ret = render(dot, layout, format, response);
	free(dot);
	if (ret) {
		mesh_http_respond(response, 500, "failed to render graph with dot: %s\n",
		                  strerror(-ret));
		return;
	}
	response->status = 200;
	response->content_type = content_type_of(format);
}

void kg_handle(void *ctx, const struct mesh_http_request *request,
               struct mesh_http_response *response)
{
	struct mesh_agent *agent = ctx;

	if (!strcmp(request->path, "/"))
		index_page(response);
	else if (!strcmp(request->path, "/health"))
		mesh_http_respond(response, 200, "OK\n");
	else if (!strcmp(request->path, "/metrics"))
		metrics(agent, response);
	else if (!strcmp(request->path, "/graph"))
		graph(agent, request, response);
	else
		mesh_http_respond(response, 404, "404 page not found\n");
}
