// SPDX-License-Identifier: MIT
/*
 * The completion scripts: one writer per shell over the same walk of the flag tables.
 */
#include "cmd/common/completion.h"

#include <errno.h>
#include <string.h>

#define VALUES_MARK "Possible values: "

static bool visible(const struct mesh_flag *flag)
{
	return flag->help != NULL;
}

static bool takes_value(const struct mesh_flag *flag)
{
	return flag->kind != MESH_FLAG_BOOL;
}

/* The values the help names ("Possible values: a, b, c") as "a b c", or "" for none. */
static const char *values_of(const struct mesh_flag *flag, char *out, size_t size)
{
	const char *at = strstr(flag->help, VALUES_MARK);
	size_t n = 0;

	out[0] = '\0';
	if (!at)
		return out;
	for (at += strlen(VALUES_MARK); *at && *at != '.' && n + 1 < size; at++)
		if (*at != ',')
			out[n++] = *at;
	out[n] = '\0';
	while (n && out[n - 1] == ' ')
		out[--n] = '\0';
	return out;
}

/* Whether the value is a file's path, as the flag's help says ("Path to kubeconfig"). */
static bool takes_path(const struct mesh_flag *flag)
{
	return takes_value(flag) && !strstr(flag->help, VALUES_MARK) &&
	       (strcasestr(flag->help, "path") || strstr(flag->help, " file"));
}

/*
 * The help's first clause, for a description: up to the first ": ", ". " or "Possible
 * values", without a final period, brackets made parentheses (zsh reads them).
 */
static const char *summary_of(const char *help, char *out, size_t size)
{
	size_t n = 0;

	for (const char *at = help; *at && n + 1 < size; at++) {
		if (at[0] == ':' && (at[1] == ' ' || !at[1]))
			break;
		/* A sentence ends, not an abbreviation ("e.g. the service CIDR"). */
		if (at[0] == '.' && (!at[1] || (at[1] == ' ' && at[2] >= 'A' && at[2] <= 'Z')))
			break;
		if (!strncmp(at, VALUES_MARK, strlen(VALUES_MARK)))
			break;
		out[n++] = *at == '[' ? '(' : *at == ']' ? ')' : *at;
	}
	while (n && (out[n - 1] == ' ' || out[n - 1] == '.'))
		n--;
	out[n] = '\0';
	return out;
}

/* text in single quotes for a POSIX shell or zsh: ' becomes '\''. */
static void put_quoted(FILE *out, const char *text)
{
	fputc('\'', out);
	for (; *text; text++)
		if (*text == '\'')
			fputs("'\\''", out);
		else
			fputc(*text, out);
	fputc('\'', out);
}

/* text in single quotes for fish: \ and ' escaped with a backslash. */
static void put_fish_quoted(FILE *out, const char *text)
{
	fputc('\'', out);
	for (; *text; text++) {
		if (*text == '\'' || *text == '\\')
			fputc('\\', out);
		fputc(*text, out);
	}
	fputc('\'', out);
}

/* The tables a command reads: the program's own (if they apply there) and its own. */
static void command_tables(const struct mesh_completion *c,
                           const struct mesh_completion_command *cmd,
                           const struct mesh_flag *tables[2])
{
	tables[0] = !cmd || c->persistent ? c->flags : NULL;
	tables[1] = cmd ? cmd->flags : NULL;
}

/* " --a --b ..." for the flags of tables. */
static void put_flag_names(FILE *out, const struct mesh_flag *const tables[2])
{
	for (int t = 0; t < 2; t++)
		for (const struct mesh_flag *f = tables[t]; f && f->name; f++)
			if (visible(f))
				fprintf(out, " --%s", f->name);
}

/* ---- bash ----------------------------------------------------------------------------- */

/* Table i of the program (0: its own, then each command's). */
static const struct mesh_flag *table_of(const struct mesh_completion *c, size_t i)
{
	return i ? c->commands[i - 1].flags : c->flags;
}

/* Whether a flag of f's name takes a value in a table before table i (two may share one). */
static bool seen_before(const struct mesh_completion *c, size_t i, const struct mesh_flag *f)
{
	for (size_t j = 0; j < i; j++)
		for (const struct mesh_flag *g = table_of(c, j); g && g->name; g++)
			if (takes_value(g) && !strcmp(g->name, f->name))
				return true;
	return false;
}

/* The flags that take a value, of every table, as a case pattern ("--a|--b|-c"). */
static void bash_value_pattern(FILE *out, const struct mesh_completion *c)
{
	const char *sep = "";

	for (size_t i = 0; i <= c->n_commands; i++) {
		for (const struct mesh_flag *f = table_of(c, i); f && f->name; f++) {
			if (!takes_value(f) || seen_before(c, i, f))
				continue;
			fprintf(out, "%s--%s", sep, f->name);
			if (f->short_name)
				fprintf(out, "|-%c", f->short_name);
			sep = "|";
		}
	}
	if (!*sep)
		fputs("--", out); /* a pattern that matches nothing we complete */
}

/* The case branches for a flag's value: its values, or files for a path. */
static void bash_value_cases(FILE *out, const struct mesh_completion *c)
{
	const char *sep = "\t\t";
	char values[256];

	for (size_t i = 0; i <= c->n_commands; i++) {
		for (const struct mesh_flag *f = table_of(c, i); f && f->name; f++) {
			if (!takes_value(f) || seen_before(c, i, f) ||
			    !*values_of(f, values, sizeof(values)))
				continue;
			fprintf(out, "\t\t--%s", f->name);
			if (f->short_name)
				fprintf(out, "|-%c", f->short_name);
			fprintf(out, ") words=\"%s\" ;;\n", values);
		}
	}
	for (size_t i = 0; i <= c->n_commands; i++) {
		for (const struct mesh_flag *f = table_of(c, i); f && f->name; f++) {
			if (!takes_path(f) || seen_before(c, i, f))
				continue;
			fprintf(out, "%s--%s", sep, f->name);
			if (f->short_name)
				fprintf(out, "|-%c", f->short_name);
			sep = "|";
		}
	}
	if (*sep == '|')
		fputs(")\n"
		      "\t\t\tcompopt -o filenames 2>/dev/null\n"
		      "\t\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
		      "\t\t\treturn\n"
		      "\t\t\t;;\n",
		      out);
}

static void bash_command_case(FILE *out, const struct mesh_completion *c,
                              const struct mesh_completion_command *cmd)
{
	const struct mesh_flag *tables[2];

	command_tables(c, cmd, tables);
	fprintf(out, "\t%s)\n\t\tflags=\"", cmd ? cmd->name : "\"\"");
	put_flag_names(out, tables);
	fputs("\"\n", out);
	if (!cmd) {
		fputs("\t\twords=\"", out);
		for (size_t i = 0; i < c->n_commands; i++)
			fprintf(out, "%s%s", i ? " " : "", c->commands[i].name);
		fputs("\"\n", out);
	} else if (cmd->words) {
		fprintf(out, "\t\t[ \"$n\" -gt 0 ] || words=\"%s\"\n", cmd->words);
	}
	fputs("\t\t;;\n", out);
}

static void print_bash(const struct mesh_completion *c, FILE *out)
{
	const char *p = c->program;

	fprintf(out,
	        "# bash completion for %s, written by `%s completion bash` from %s's own flags.\n"
	        "# Load it with: source <(%s completion bash)\n"
	        "_%s_completion() {\n",
	        p, p, p, p, p);
	fputs("\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tlocal flag= command= words= flags= i n=0\n"
	      "\tCOMPREPLY=()\n"
	      "\t# bash splits --flag=value at \"=\" (COMP_WORDBREAKS).\n"
	      "\tif [[ $cur == = ]]; then\n"
	      "\t\tflag=$prev cur=\n"
	      "\telif [[ $prev == = ]] && [ \"$COMP_CWORD\" -gt 1 ]; then\n"
	      "\t\tflag=${COMP_WORDS[COMP_CWORD - 2]}\n"
	      "\tfi\n"
	      "\t# The subcommand, and how many arguments follow it; flags' values skipped.\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tcase ${COMP_WORDS[i]} in\n"
	      "\t\t=) i=$((i + 1)) ;;\n\t\t",
	      out);
	bash_value_pattern(out, c);
	fputs(") [[ ${COMP_WORDS[i + 1]:-} == = ]] || i=$((i + 1)) ;;\n"
	      "\t\t-*) ;;\n"
	      "\t\t*) if [ -z \"$command\" ]; then command=${COMP_WORDS[i]}; else n=$((n + 1)); fi "
	      ";;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tif [ -z \"$flag\" ]; then\n"
	      "\t\tcase $prev in\n\t\t",
	      out);
	bash_value_pattern(out, c);
	fputs(") flag=$prev ;;\n"
	      "\t\tesac\n"
	      "\tfi\n"
	      "\tif [ -n \"$flag\" ]; then\n"
	      "\t\tcase $flag in\n",
	      out);
	bash_value_cases(out, c);
	fputs("\t\tesac\n"
	      "\t\tmapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase $command in\n",
	      out);
	bash_command_case(out, c, NULL);
	for (size_t i = 0; i < c->n_commands; i++)
		bash_command_case(out, c, &c->commands[i]);
	fputs("\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tmapfile -t COMPREPLY < <(compgen -W \"$flags\" -- \"$cur\")\n"
	      "\telse\n"
	      "\t\tmapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
	      "\tfi\n"
	      "}\n",
	      out);
	fprintf(out, "complete -F _%s_completion %s\n", p, p);
}

/* ---- zsh ------------------------------------------------------------------------------ */

static void zsh_spec(FILE *out, const char *indent, const struct mesh_flag *f, bool short_form)
{
	char summary[256], values[256], spec[1024], *at = spec, *end = spec + sizeof(spec);

	summary_of(f->help, summary, sizeof(summary));
	values_of(f, values, sizeof(values));
	at += snprintf(at, end - at, "%s", f->kind == MESH_FLAG_LIST ? "*" : "");
	if (short_form)
		at += snprintf(at, end - at, "-%c%s", f->short_name, takes_value(f) ? "+" : "");
	else
		at += snprintf(at, end - at, "--%s%s", f->name, takes_value(f) ? "=" : "");
	at += snprintf(at, end - at, "[%s]", summary);
	if (takes_value(f))
		snprintf(at, end - at, ":%s:%s%s%s", f->name, *values ? "(" : "",
		         *values         ? values
		         : takes_path(f) ? "_files"
		                         : "",
		         *values ? ")" : "");
	fprintf(out, "%s\t", indent);
	put_quoted(out, spec);
	fputc('\n', out);
}

/* "local -a ARRAY; ARRAY=(...)" with the specs of table, at the depth of indent. */
static void zsh_specs(FILE *out, const char *indent, const char *array,
                      const struct mesh_flag *table)
{
	fprintf(out, "%slocal -a %s\n%s%s=(\n", indent, array, indent, array);
	for (const struct mesh_flag *f = table; f && f->name; f++) {
		if (!visible(f))
			continue;
		zsh_spec(out, indent, f, false);
		if (f->short_name)
			zsh_spec(out, indent, f, true);
	}
	fprintf(out, "%s)\n", indent);
}

static void print_zsh(const struct mesh_completion *c, FILE *out)
{
	const char *p = c->program;
	char line[512];

	fprintf(out,
	        "#compdef %s\n"
	        "# zsh completion for %s, written by `%s completion zsh` from %s's own flags.\n"
	        "# Load it with: source <(%s completion zsh) (after compinit), or save it as _%s\n"
	        "# in a directory of $fpath.\n"
	        "_%s() {\n"
	        "\tlocal curcontext=$curcontext state line\n",
	        p, p, p, p, p, p, p);
	zsh_specs(out, "\t", "own", c->flags);
	fputs("\tlocal -a commands\n\tcommands=(\n", out);
	for (size_t i = 0; i < c->n_commands; i++) {
		snprintf(line, sizeof(line), "%s:%s", c->commands[i].name, c->commands[i].summary);
		fputs("\t\t", out);
		put_quoted(out, line);
		fputc('\n', out);
	}
	fputs("\t)\n"
	      "\t_arguments -C $own '1: :->command' '*:: :->argument' && return\n"
	      "\tcase $state in\n",
	      out);
	fprintf(out, "\tcommand) _describe -t commands '%s command' commands ;;\n", p);
	fputs("\targument)\n\t\tcase $words[1] in\n", out);
	for (size_t i = 0; i < c->n_commands; i++) {
		const struct mesh_completion_command *cmd = &c->commands[i];

		fprintf(out, "\t\t%s)\n", cmd->name);
		zsh_specs(out, "\t\t\t", "flags", cmd->flags);
		fprintf(out, "\t\t\t_arguments %s$flags", c->persistent ? "$own " : "");
		if (cmd->words)
			fprintf(out, " '1: :(%s)'", cmd->words);
		fputs("\n\t\t\t;;\n", out);
	}
	fputs("\t\tesac\n\t\t;;\n\tesac\n}\n", out);
	fprintf(out,
	        "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
	        "\t_%s \"$@\"\n"
	        "else\n"
	        "\tcompdef _%s %s\n"
	        "fi\n",
	        p, p, p);
}

/* ---- fish ----------------------------------------------------------------------------- */

static void fish_flag(FILE *out, const char *program, const char *condition,
                      const struct mesh_flag *f)
{
	char summary[256], values[256];

	fprintf(out, "complete -c %s", program);
	if (condition) {
		fputs(" -n ", out);
		put_fish_quoted(out, condition);
	}
	fprintf(out, " -l %s", f->name);
	if (f->short_name)
		fprintf(out, " -s %c", f->short_name);
	fputs(" -d ", out);
	put_fish_quoted(out, summary_of(f->help, summary, sizeof(summary)));
	if (takes_value(f) && *values_of(f, values, sizeof(values))) {
		fputs(" -x -a ", out);
		put_fish_quoted(out, values);
	} else if (takes_path(f)) {
		fputs(" -r -F", out);
	} else if (takes_value(f)) {
		fputs(" -x", out);
	}
	fputc('\n', out);
}

static void fish_flags(FILE *out, const char *program, const char *condition,
                       const struct mesh_flag *table)
{
	for (const struct mesh_flag *f = table; f && f->name; f++)
		if (visible(f))
			fish_flag(out, program, condition, f);
}

static void print_fish(const struct mesh_completion *c, FILE *out)
{
	const char *p = c->program;
	char condition[512];

	fprintf(out,
	        "# fish completion for %s, written by `%s completion fish` from %s's own flags.\n"
	        "# Load it with: %s completion fish | source\n"
	        "complete -c %s -f\n",
	        p, p, p, p, p);
	for (size_t i = 0; i < c->n_commands; i++) {
		fprintf(out, "complete -c %s -n __fish_use_subcommand -a %s -d ", p,
		        c->commands[i].name);
		put_fish_quoted(out, c->commands[i].summary);
		fputc('\n', out);
	}
	fish_flags(out, p, c->persistent ? NULL : "__fish_use_subcommand", c->flags);
	for (size_t i = 0; i < c->n_commands; i++) {
		const struct mesh_completion_command *cmd = &c->commands[i];

		snprintf(condition, sizeof(condition), "__fish_seen_subcommand_from %s", cmd->name);
		fish_flags(out, p, condition, cmd->flags);
		if (!cmd->words)
			continue;
		snprintf(condition, sizeof(condition),
		         "__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s",
		         cmd->name, cmd->words);
		fprintf(out, "complete -c %s -n ", p);
		put_fish_quoted(out, condition);
		fputs(" -a ", out);
		put_fish_quoted(out, cmd->words);
		fputc('\n', out);
	}
}

int mesh_completion_print(const struct mesh_completion *completion, const char *shell, FILE *out)
{
	if (!strcmp(shell, "bash"))
		print_bash(completion, out);
	else if (!strcmp(shell, "zsh"))
		print_zsh(completion, out);
	else if (!strcmp(shell, "fish"))
		print_fish(completion, out);
	else
		return -EINVAL;
	return 0;
}
