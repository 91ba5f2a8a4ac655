// SPDX-License-Identifier: MIT
/*
 * The iptables applier: parse iptables-save, plan, run iptables-restore --noflush.
 *
 * The plan is written in four sections per table, in the order iptables-restore needs them:
 * chain declarations (which also flush a chain of ours about to be rewritten), deletions,
 * additions, and last the removal of chains of ours no longer wanted, once nothing jumps there.
 */
#include "mesh/host/apply_iptables.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mesh/model/array.h"

enum { N_TABLES = 2 }; /* MESH_IPTABLES_NAT and MESH_IPTABLES_FILTER */
static const char *const table_names[N_TABLES] = {"nat", "filter"};

#define OWN_CHAIN_PREFIX "KILO-"
#define OWN_COMMENT "--comment \"Kilo: "

/* One "-A chain spec" rule or, with spec NULL, one declared chain. */
struct line {
	int table;
	const char *chain;
	const char *spec;
	bool prepend;
};

struct lines {
	struct line *items;
	size_t n, cap;
	char *storage; /* what the strings point into */
	int error;
};

enum section { DECLARE, DELETE, ADD, DROP, N_SECTIONS };

struct plan {
	const struct lines *want, *have;
	int error;
	FILE *out[N_SECTIONS];
	char *text[N_SECTIONS];
	size_t len[N_SECTIONS];
};

static void push(struct lines *lines, struct line line)
{
	if (!lines->error &&
	    !mesh_array_push((void **)&lines->items, &lines->n, &lines->cap, &line, sizeof(line)))
		lines->error = -ENOMEM;
}

static void lines_release(struct lines *lines)
{
	free(lines->items);
	free(lines->storage);
	memset(lines, 0, sizeof(*lines));
}

static bool own_chain(const char *chain)
{
	return !strncmp(chain, OWN_CHAIN_PREFIX, strlen(OWN_CHAIN_PREFIX));
}

static bool ours(const struct line *line)
{
	return own_chain(line->chain) || strstr(line->spec, OWN_COMMENT);
}

static int table_of(const char *name)
{
	for (int t = 0; t < N_TABLES; t++)
		if (!strcmp(name, table_names[t]))
			return t;
	return -1;
}

/* Chains and rules of the nat and filter tables in iptables-save output. */
static int parse_saved(const char *saved, struct lines *have)
{
	char *line, *next, *space;
	int table = -1;

	memset(have, 0, sizeof(*have));
	have->storage = strdup(saved);
	if (!have->storage)
		return -ENOMEM;
	for (line = have->storage; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '*')
			table = table_of(line + 1);
		if (table < 0 || (line[0] != ':' && strncmp(line, "-A ", 3)))
			continue;
		line += line[0] == ':' ? 1 : 3;
		space = strchr(line, ' ');
		if (space)
			*space++ = '\0';
		push(have, (struct line){.table = table,
		                         .chain = line,
		                         .spec = line[-1] == ':' ? NULL
		                                 : space         ? space
		                                                 : ""});
	}
	return have->error;
}

/*
 * A comment as iptables-save prints it (xtables_save_string): bare when it is only letters,
 * digits, '-' and '_', else in double quotes with backslashes before '"', '\\' and '\''.
 */
static void put_comment(FILE *out, const char *comment)
{
	static const char bare[] =
	    "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t len = strspn(comment, bare);

	if (len > 0 && !comment[len]) {
		fputs(comment, out);
		return;
	}
	fputc('"', out);
	for (; *comment; comment++) {
		if (strchr("\"\\'", *comment))
			fputc('\\', out);
		fputc(*comment, out);
	}
	fputc('"', out);
}

static void put_prefix(FILE *out, const char *option, const struct mesh_prefix *prefix)
{
	struct mesh_prefix masked = mesh_prefix_masked(prefix);
	char text[MESH_PREFIX_STRLEN];

	if (mesh_prefix_is_set(prefix))
		fprintf(out, "%s %s ", option, mesh_prefix_format(&masked, text));
}

/* As iptables-save prints it: -s, -d, -p, the comment match, the target. */
static char *render_spec(const struct mesh_iptables_rule *rule)
{
	char *spec = NULL;
	size_t len;
	FILE *out = open_memstream(&spec, &len);

	if (!out)
		return NULL;
	put_prefix(out, "-s", &rule->source);
	put_prefix(out, "-d", &rule->destination);
	if (rule->protocol)
		fprintf(out, "-p %s ", rule->protocol);
	fputs("-m comment --comment ", out);
	put_comment(out, rule->comment);
	fprintf(out, " -j %s", rule->target);
	if (fclose(out)) {
		free(spec);
		return NULL;
	}
	return spec;
}

/* The rules of one family; the rendered specs are kept in one block of storage. */
static void add_desired(struct lines *want, const struct mesh_iptables_rule *rules, size_t n,
                        uint8_t family, bool prepend, char ***specs, size_t *n_specs)
{
	for (size_t i = 0; i < n && !want->error; i++) {
		const struct mesh_iptables_rule *r = &rules[i];
		char *spec = NULL;

		if (r->family != family)
			continue;
		if (!r->is_chain) {
			spec = render_spec(r);
			if (!spec) {
				want->error = -ENOMEM;
				break;
			}
			(*specs)[(*n_specs)++] = spec;
		}
		push(want,
		     (struct line){
		         .table = r->table, .chain = r->chain, .spec = spec, .prepend = prepend});
	}
}

static int desired_lines(const struct mesh_iptables_ruleset *ruleset, uint8_t family,
                         struct lines *want, char ***specs, size_t *n_specs)
{
	memset(want, 0, sizeof(*want));
	*n_specs = 0;
	*specs = calloc(ruleset->n_prepend + ruleset->n_append + 1, sizeof(**specs));
	if (!*specs)
		return -ENOMEM;
	add_desired(want, ruleset->prepend, ruleset->n_prepend, family, true, specs, n_specs);
	add_desired(want, ruleset->append, ruleset->n_append, family, false, specs, n_specs);
	return want->error;
}

static bool chain_declared(const struct lines *lines, int table, const char *chain)
{
	for (size_t i = 0; i < lines->n; i++)
		if (lines->items[i].table == table && !lines->items[i].spec &&
		    !strcmp(lines->items[i].chain, chain))
			return true;
	return false;
}

/* Specs of one chain of one table, in order, filtered; the array is sized for every line. */
struct specs {
	const char **items;
	size_t n;
};

enum pick { PICK_PREPENDED, PICK_APPENDED, PICK_OURS };

static bool picked(const struct line *line, enum pick pick)
{
	if (!line->spec)
		return false;
	if (pick == PICK_OURS)
		return ours(line);
	return line->prepend == (pick == PICK_PREPENDED);
}

static void collect(const struct lines *lines, int table, const char *chain, enum pick pick,
                    struct specs *out)
{
	for (size_t i = 0; i < lines->n; i++) {
		const struct line *l = &lines->items[i];

		if (l->table == table && !strcmp(l->chain, chain) && picked(l, pick))
			out->items[out->n++] = l->spec;
	}
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The specs sorted as text, in a new array; NULL when out of memory. */
static const char **sorted_text(const struct specs *specs)
{
	const char **copy = malloc((specs->n + 1) * sizeof(*copy));

	if (copy && specs->n) {
		memcpy(copy, specs->items, specs->n * sizeof(*copy));
		qsort(copy, specs->n, sizeof(*copy), by_text);
	}
	return copy;
}

static bool has(const char **sorted, size_t n, const char *spec)
{
	return n && bsearch(&spec, sorted, n, sizeof(*sorted), by_text);
}

/* A chain of ours is rewritten whole when its rules differ in any way, order included. */
static void plan_own_chain(struct plan *p, int table, const char *chain, struct specs *scratch)
{
	struct specs *want = &scratch[0], *have = &scratch[1];
	bool same;

	want->n = have->n = 0;
	collect(p->want, table, chain, PICK_PREPENDED, want);
	collect(p->want, table, chain, PICK_APPENDED, want);
	collect(p->have, table, chain, PICK_OURS, have);
	same = chain_declared(p->have, table, chain) && want->n == have->n;
	for (size_t i = 0; same && i < want->n; i++)
		same = !strcmp(want->items[i], have->items[i]);
	if (same)
		return;
	fprintf(p->out[DECLARE], ":%s - [0:0]\n", chain);
	for (size_t i = 0; i < want->n; i++)
		fprintf(p->out[ADD], "-A %s %s\n", chain, want->items[i]);
}

/*
 * In a chain that is not ours: delete our rules no longer wanted, insert missing prepended
 * rules at the top (once each, in no particular order, as Kilo), and re-append the appended
 * ones from the first that differs (Kilo's order-keeping for the INPUT jump and DROP pair).
 * Lookups go through sorted copies: a chain may hold a rule per peer or per node.
 */
static void plan_other_chain(struct plan *p, int table, const char *chain, struct specs *scratch)
{
	struct specs *appended = &scratch[0], *prepended = &scratch[1], *current = &scratch[2];
	const char **to_append, **to_prepend = NULL, **present = NULL;
	size_t k = 0, n_current;

	appended->n = prepended->n = current->n = 0;
	collect(p->want, table, chain, PICK_APPENDED, appended);
	collect(p->want, table, chain, PICK_PREPENDED, prepended);
	collect(p->have, table, chain, PICK_OURS, current);
	n_current = current->n;
	to_append = sorted_text(appended);
	if (!to_append || !(to_prepend = sorted_text(prepended)) ||
	    !(present = sorted_text(current))) {
		p->error = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_current; i++)
		if (!has(to_append, appended->n, current->items[i]) &&
		    !has(to_prepend, prepended->n, current->items[i]))
			fprintf(p->out[DELETE], "-D %s %s\n", chain, current->items[i]);
	for (size_t i = 0; i < prepended->n; i++)
		if ((!i || strcmp(to_prepend[i], to_prepend[i - 1])) &&
		    !has(present, n_current, to_prepend[i]))
			fprintf(p->out[ADD], "-I %s 1 %s\n", chain, to_prepend[i]);
	/* The appended rules present now, in their order. */
	current->n = 0;
	for (size_t i = 0; i < n_current; i++)
		if (has(to_append, appended->n, current->items[i]))
			current->items[current->n++] = current->items[i];
	while (k < appended->n && k < current->n && !strcmp(appended->items[k], current->items[k]))
		k++;
	for (size_t i = k; i < current->n; i++)
		fprintf(p->out[DELETE], "-D %s %s\n", chain, current->items[i]);
	for (size_t i = k; i < appended->n; i++)
		fprintf(p->out[ADD], "-A %s %s\n", chain, appended->items[i]);
out:
	free(to_append);
	free(to_prepend);
	free(present);
}

/* Has a chain of this table come up before line i of lines (or anywhere in first)? */
static bool seen_chain(const struct lines *first, const struct lines *lines, size_t i, int table,
                       const char *chain)
{
	for (size_t j = 0; first && j < first->n; j++)
		if (first->items[j].table == table && !strcmp(first->items[j].chain, chain))
			return true;
	for (size_t j = 0; j < i; j++)
		if (lines->items[j].table == table && !strcmp(lines->items[j].chain, chain))
			return true;
	return false;
}

static void plan_chains(struct plan *p, int table, struct specs *scratch)
{
	const struct lines *want = p->want, *have = p->have;

	for (size_t i = 0; i < want->n; i++) {
		const struct line *l = &want->items[i];

		if (l->table != table || seen_chain(NULL, want, i, table, l->chain))
			continue;
		if (own_chain(l->chain))
			plan_own_chain(p, table, l->chain, scratch);
		else
			plan_other_chain(p, table, l->chain, scratch);
	}
	for (size_t i = 0; i < have->n; i++) {
		const struct line *l = &have->items[i];

		if (l->table != table || seen_chain(want, have, i, table, l->chain))
			continue;
		if (own_chain(l->chain) && !l->spec)
			fprintf(p->out[DROP], "-F %s\n-X %s\n", l->chain, l->chain);
		else if (!own_chain(l->chain))
			plan_other_chain(p, table, l->chain, scratch);
	}
}

static int open_sections(struct plan *p)
{
	for (int s = 0; s < N_SECTIONS; s++) {
		p->out[s] = open_memstream(&p->text[s], &p->len[s]);
		if (!p->out[s])
			return -ENOMEM;
	}
	return 0;
}

static void close_sections(struct plan *p)
{
	for (int s = 0; s < N_SECTIONS; s++) {
		if (p->out[s])
			fclose(p->out[s]);
		free(p->text[s]);
		p->out[s] = NULL;
		p->text[s] = NULL;
	}
}

/* One table's part of the script, or nothing when the table needs no change. */
static int plan_table(struct plan *p, int table, struct specs *scratch, FILE *script)
{
	size_t total = 0;
	int ret = open_sections(p);

	if (ret < 0)
		goto out;
	plan_chains(p, table, scratch);
	ret = p->error;
	for (int s = 0; s < N_SECTIONS; s++) {
		if (fflush(p->out[s]))
			ret = -ENOMEM;
		total += p->len[s];
	}
	if (ret < 0 || !total)
		goto out;
	fprintf(script, "*%s\n", table_names[table]);
	for (int s = 0; s < N_SECTIONS; s++)
		fwrite(p->text[s], 1, p->len[s], script);
	fputs("COMMIT\n", script);
out:
	close_sections(p);
	return ret;
}

int mesh_apply_iptables_plan(const struct mesh_iptables_ruleset *ruleset, uint8_t family,
                             const char *saved, char **script)
{
	struct lines want = {0}, have = {0};
	struct plan p = {.want = &want, .have = &have};
	struct specs scratch[3] = {{0}};
	char **specs = NULL;
	size_t n_specs = 0, len;
	FILE *out = NULL;
	int ret;

	*script = NULL;
	ret = desired_lines(ruleset, family, &want, &specs, &n_specs);
	if (ret == 0)
		ret = parse_saved(saved, &have);
	for (int i = 0; ret == 0 && i < 3; i++) {
		scratch[i].items = calloc(want.n + have.n + 1, sizeof(char *));
		if (!scratch[i].items)
			ret = -ENOMEM;
	}
	if (ret == 0 && !(out = open_memstream(script, &len)))
		ret = -ENOMEM;
	for (int t = 0; ret == 0 && t < N_TABLES; t++)
		ret = plan_table(&p, t, scratch, out);
	if (out && fclose(out) && ret == 0)
		ret = -ENOMEM;
	if (ret < 0) {
		free(*script);
		*script = NULL;
	}
	for (int i = 0; i < 3; i++)
		free(scratch[i].items);
	for (size_t i = 0; i < n_specs; i++)
		free(specs[i]);
	free(specs);
	lines_release(&want);
	lines_release(&have);
	return ret;
}

/* A memory file holding text (NULL: an empty one). */
static int memfd_with(const char *name, const char *text)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t len = text ? strlen(text) : 0;

	if (fd < 0)
		return -errno;
	if ((len && write(fd, text, len) != (ssize_t)len) || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

static char *read_all(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *text;

	if (size < 0 || !(text = calloc(1, (size_t)size + 1)))
		return NULL;
	if (pread(fd, text, (size_t)size, 0) != size) {
		free(text);
		return NULL;
	}
	return text;
}

/*
 * Run argv (from PATH) with input on stdin; *output gets its stdout. Memory files instead of
 * pipes: nothing to poll, and no deadlock however much either side writes.
 */
static int run(char *const argv[], const char *input, char **output, char *err, size_t err_size)
{
	int fds[3] = {memfd_with("stdin", input), memfd_with("stdout", NULL),
	              memfd_with("stderr", NULL)};
	posix_spawn_file_actions_t actions;
	extern char **environ;
	char *message = NULL;
	int ret = 0, status;
	pid_t pid;

	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 && !ret)
			ret = fds[i];
	if (ret < 0 || (ret = -posix_spawn_file_actions_init(&actions)))
		goto out;
	for (int i = 0; i < 3; i++)
		posix_spawn_file_actions_adddup2(&actions, fds[i], i);
	ret = -posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (ret == -ENOENT) {
		snprintf(err, err_size, "%s: not found in PATH (is iptables installed?)", argv[0]);
		goto out;
	}
	if (ret < 0 || waitpid(pid, &status, 0) < 0) {
		ret = ret ? ret : -errno;
		snprintf(err, err_size, "%s: %s", argv[0], strerror(-ret));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		message = read_all(fds[2]);
		snprintf(err, err_size, "%s failed: %s", argv[0],
		         message && *message ? strtok(message, "\n") : "no message");
		ret = -EIO;
		goto out;
	}
	if (output && !(*output = read_all(fds[1])))
		ret = -ENOMEM;
out:
	free(message);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

/* Counting runs out of memory only with the rest of kg: that is no reason to fail an apply. */
static void count(struct mesh_iptables_metrics *operations, uint8_t family, const char *script)
{
	if (!operations)
		return;
	if (script)
		mesh_iptables_metrics_count_script(operations, family, script);
	else
		mesh_iptables_metrics_count_read(operations, family);
}

static int apply_family(const struct mesh_iptables_ruleset *ruleset,
                        enum mesh_iptables_backend backend, uint8_t family, bool *changed,
                        struct mesh_iptables_metrics *operations, char *err, size_t err_size)
{
	bool v6 = family == AF_INET6;
	char *save[] = {(char *)mesh_iptables_backend_program(backend, family, false), NULL};
	char *restore[] = {(char *)mesh_iptables_backend_program(backend, family, true),
	                   "--noflush", "--wait", NULL};
	char *saved = NULL, *script = NULL;
	int ret;

	count(operations, family, NULL);
	ret = run(save, NULL, &saved, err, err_size);
	if (ret < 0)
		goto out;
	ret = mesh_apply_iptables_plan(ruleset, family, saved, &script);
	if (ret < 0) {
		snprintf(err, err_size, "planning %s rules: %s", v6 ? "ip6tables" : "iptables",
		         strerror(-ret));
		goto out;
	}
	if (*script) {
		count(operations, family, script);
		ret = run(restore, script, NULL, err, err_size);
		*changed = true;
	}
out:
	free(saved);
	free(script);
	return ret;
}

int mesh_apply_iptables(const struct mesh_iptables_ruleset *ruleset,
                        const struct mesh_iptables_host *host, bool *changed,
                        struct mesh_iptables_metrics *operations, char *err, size_t err_size)
{
	bool ignored;
	int ret;

	if (!changed)
		changed = &ignored;
	*changed = false;
	ret = apply_family(ruleset, host->backend, AF_INET, changed, operations, err, err_size);
	if (ret == 0 && host->ipv6)
		ret = apply_family(ruleset, host->backend, AF_INET6, changed, operations, err,
		                   err_size);
	return ret;
}

int mesh_apply_iptables_check(const struct mesh_iptables_host *host, char *err, size_t err_size)
{
	enum mesh_iptables_backend backend = host->backend;
	int ret = 0;

	for (int v6 = 0; v6 <= (int)host->ipv6 && !ret; v6++) {
		uint8_t family = v6 ? AF_INET6 : AF_INET;
		char *save[] = {(char *)mesh_iptables_backend_program(backend, family, false), "-t",
		                "filter", NULL};
		char *restore[] = {(char *)mesh_iptables_backend_program(backend, family, true),
		                   "--version", NULL};

		ret = run(save, NULL, NULL, err, err_size);
		if (!ret)
			ret = run(restore, NULL, NULL, err, err_size);
	}
	return ret;
}

/*
 * Every table of the backend's programs for each family, as iptables-wrappers reads them
 * (iptables-legacy-save -t would create a table that is not there). A program that is missing
 * or fails counts as no output, but if none of them ran, the backend is not there.
 */
static void take_census(enum mesh_iptables_backend backend, bool ipv6,
                        struct mesh_iptables_census *census)
{
	char err[MESH_APPLY_IPTABLES_ERRLEN];

	memset(census, 0, sizeof(*census));
	for (int v6 = 0; v6 <= (int)ipv6; v6++) {
		char *save[] = {
		    (char *)mesh_iptables_backend_program(backend, v6 ? AF_INET6 : AF_INET, false),
		    NULL};
		char *saved = NULL;

		if (run(save, NULL, &saved, err, sizeof(err)) == 0) {
			census->present = true;
			mesh_iptables_census_add(census, saved);
		}
		free(saved);
	}
}

enum mesh_iptables_backend mesh_apply_iptables_detect(bool ipv6, char *why, size_t why_size)
{
	struct mesh_iptables_census legacy, nft;

	take_census(MESH_IPTABLES_BACKEND_LEGACY, ipv6, &legacy);
	take_census(MESH_IPTABLES_BACKEND_NFT, ipv6, &nft);
	return mesh_iptables_backend_choose(&legacy, &nft, why, why_size);
}

bool mesh_apply_iptables_ipv6_enabled(const char *path)
{
	FILE *f = fopen(path ? path : MESH_IPV6_DISABLE_PATH, "re");
	int disabled = 0;

	if (!f)
		return true;
	if (fscanf(f, "%d", &disabled) != 1)
		disabled = 0;
	fclose(f);
	return disabled != 1;
}
