// SPDX-License-Identifier: MIT
#include "cmd/common/flags.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

void mesh_flags_verror(const char *program, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void flag_error(const char *program, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void flag_error(const char *program, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mesh_flags_verror(program, fmt, ap);
	va_end(ap);
}

static const struct mesh_flag *find_flag(const struct mesh_flag *table, const char *name,
                                         size_t len, char short_name)
{
	for (; table->name; table++) {
		if (short_name ? table->short_name == short_name
		               : strlen(table->name) == len && !strncmp(table->name, name, len))
			return table;
	}
	return NULL;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *text, bool *value)
{
	static const char *const trues[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const falses[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < sizeof(trues) / sizeof(*trues); i++) {
		if (!strcmp(text, trues[i]) || !strcmp(text, falses[i])) {
			*value = !strcmp(text, trues[i]);
			return 0;
		}
	}
	return -1;
}

static int set_flag(const char *program, const struct mesh_flag *flag, const char *value)
{
	struct mesh_flag_list *list = flag->value;
	const char **items;

	switch (flag->kind) {
	case MESH_FLAG_STRING:
		*(const char **)flag->value = value;
		return 0;
	case MESH_FLAG_BOOL:
		if (!value) {
			*(bool *)flag->value = true;
			return 0;
		}
		if (!parse_bool(value, flag->value))
			return 0;
		flag_error(program, "invalid argument \"%s\" for \"--%s\" flag: not true or false",
		           value, flag->name);
		return -1;
	case MESH_FLAG_LIST:
		items = realloc(list->items, (list->n + 1) * sizeof(*items));
		if (!items) {
			flag_error(program, "out of memory");
			return -1;
		}
		list->items = items;
		list->items[list->n++] = value;
		return 0;
	}
	return -1;
}

/*
 * One flag at argv[*i]: "--name", "--name=value", "-c", "-cvalue" or
 * "-c=value"; a value may also be the next argument. 1 if it is not ours.
 */
static int take_flag(const char *program, const struct mesh_flag *table, int argc, char **argv,
                     int *i)
{
	const char *arg = argv[*i], *value = NULL;
	const struct mesh_flag *flag;

	if (arg[1] == '-') {
		const char *name = arg + 2, *equals = strchr(name, '=');
		size_t len = equals ? (size_t)(equals - name) : strlen(name);

		flag = find_flag(table, name, len, 0);
		value = equals ? equals + 1 : NULL;
	} else {
		flag = find_flag(table, NULL, 0, arg[1]);
		if (arg[2])
			value = arg[2] == '=' ? arg + 3 : arg + 2;
	}
	if (!flag)
		return 1;
	if (!value && flag->kind != MESH_FLAG_BOOL) {
		if (*i + 1 >= argc) {
			flag_error(program, "flag needs an argument: %s", arg);
			return -1;
		}
		value = argv[++*i];
	}
	return set_flag(program, flag, value);
}

int mesh_flags_take(const char *program, const struct mesh_flag *table, int *argc, char **argv,
                    bool keep_unknown)
{
	bool flags_done = false;
	int kept = 0, ret;

	for (int i = 0; i < *argc; i++) {
		char *arg = argv[i];

		if (flags_done || arg[0] != '-' || !arg[1]) {
			argv[kept++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			/* A later pass must see the end of the flags too. */
			if (keep_unknown)
				argv[kept++] = arg;
			flags_done = true;
			continue;
		}
		ret = take_flag(program, table, *argc, argv, &i);
		if (ret < 0)
			return ret;
		if (ret && !keep_unknown) {
			flag_error(program, "unknown flag: %s", arg);
			return -1;
		}
		if (ret)
			argv[kept++] = arg;
	}
	*argc = kept;
	return 0;
}

static int left_width(const struct mesh_flag *flag)
{
	return (int)(strlen(flag->name) + (flag->value_name ? strlen(flag->value_name) + 1 : 0));
}

void mesh_flags_usage(const struct mesh_flag *table)
{
	char left[64];
	int width = 0;

	for (const struct mesh_flag *f = table; f->name; f++)
		if (f->help && left_width(f) > width)
			width = left_width(f);
	for (const struct mesh_flag *f = table; f->name; f++) {
		if (!f->help)
			continue;
		snprintf(left, sizeof(left), "%s%s%s", f->name, f->value_name ? " " : "",
		         f->value_name ? f->value_name : "");
		if (f->short_name)
			printf("  -%c, --%-*s   %s", f->short_name, width, left, f->help);
		else
			printf("      --%-*s   %s", width, left, f->help);
		if (f->fallback)
			printf(" (default %s)", f->fallback);
		putchar('\n');
	}
}

int mesh_flags_uint(const char *text, unsigned long max, unsigned long *value)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	*value = strtoul(text, &end, 10);
	return errno || *end || *value > max ? -EINVAL : 0;
}

int mesh_flags_port(const char *text, uint16_t *port)
{
	unsigned long value;

	if (mesh_flags_uint(text, 65535, &value) || !value)
		return -EINVAL;
	*port = (uint16_t)value;
	return 0;
}

int mesh_flags_duration(const char *text, unsigned int *seconds)
{
	static const struct {
		char unit;
		unsigned long scale;
	} units[] = {{'h', 3600}, {'m', 60}, {'s', 1}};
	const unsigned long year = 86400UL * 365;
	unsigned long total = 0;

	while (*text) {
		unsigned long n, scale = 0;
		char *end;

		if (*text < '0' || *text > '9')
			return -EINVAL;
		n = strtoul(text, &end, 10);
		/* "ms" and "us" are Go units too, but below a second. */
		for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
			if (*end == units[i].unit && end[1] != 's')
				scale = units[i].scale;
		if (!scale || n > year)
			return -EINVAL;
		total += n * scale;
		text = end + 1;
	}
	if (!total || total > year)
		return -EINVAL;
	*seconds = (unsigned int)total;
	return 0;
}

int mesh_flags_log_level(const char *text, int *threshold)
{
	static const struct {
		const char *name;
		int threshold;
	} levels[] = {{"all", LOG_DEBUG},    {"debug", LOG_DEBUG}, {"info", LOG_INFO},
	              {"warn", LOG_WARNING}, {"error", LOG_ERR},   {"none", -1}};

	for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++) {
		if (!strcmp(text, levels[i].name)) {
			*threshold = levels[i].threshold;
			return 0;
		}
	}
	return -EINVAL;
}

int mesh_flags_cidrs(const struct mesh_flag_list *list, struct mesh_prefix **out, size_t *n,
                     char *bad, size_t bad_size)
{
	size_t max = 1;
	int ret = 0;

	*n = 0;
	/* An item takes at least two characters with its comma. */
	for (size_t i = 0; i < list->n; i++)
		max += strlen(list->items[i]) / 2 + 1;
	*out = calloc(max, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < list->n && !ret; i++) {
		char *copy = strdup(list->items[i]), *save = NULL, *item;

		if (!copy)
			return -ENOMEM;
		for (item = strtok_r(copy, ",", &save); item && !ret;
		     item = strtok_r(NULL, ",", &save)) {
			if (mesh_prefix_parse(item, &(*out)[*n])) {
				snprintf(bad, bad_size, "%s", item);
				ret = -EINVAL;
			} else {
				(*out)[*n] = mesh_prefix_masked(&(*out)[*n]);
				++*n;
			}
		}
		free(copy);
	}
	return ret;
}
