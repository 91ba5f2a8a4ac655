/* SPDX-License-Identifier: MIT */
/*
 * `kg completion SHELL` and `kgctl completion SHELL`: a completion script for bash, zsh or
 * fish written from the program's own flag tables (cmd/common/flags.h) and command list, so it
 * offers exactly what the program parses: its subcommands, each command's flags (hidden flags
 * left out), the values a flag's help names after "Possible values:", files for a flag
 * whose help speaks of a path or file, and a command's fixed first words (showconf: node, peer;
 * completion: the shells). The scripts complete offline: they never run the program.
 */
#ifndef MESH_COMPLETION_H
#define MESH_COMPLETION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cmd/common/flags.h"

struct mesh_completion_command {
	const char *name;
	const char *summary;
	const struct mesh_flag *flags; /* its own; NULL for none */
	const char *words;             /* its first argument's choices, space-separated, or NULL */
};

struct mesh_completion {
	const char *program;
	const struct mesh_flag *flags; /* the program's own */
	bool persistent;               /* they also go after a subcommand (kgctl's, not kg's) */
	const struct mesh_completion_command *commands;
	size_t n_commands;
};

/* The shells, for `completion`'s help and errors. */
#define MESH_COMPLETION_SHELLS "bash zsh fish"

/* The script for shell on out: 0, or -EINVAL for a shell not in MESH_COMPLETION_SHELLS. */
int mesh_completion_print(const struct mesh_completion *completion, const char *shell, FILE *out);

#endif /* MESH_COMPLETION_H */
