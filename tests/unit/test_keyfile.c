// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mesh/host/keyfile.h"
#include "mesh/model/key.h"

struct dir {
	char root[64], key[PATH_MAX];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	snprintf(d->root, sizeof(d->root), "/tmp/test_keyfile.XXXXXX");
	assert_non_null(mkdtemp(d->root));
	/* A directory that does not exist yet, as /var/lib/kilo on a new host. */
	snprintf(d->key, sizeof(d->key), "%s/var/lib/kilo/key", d->root);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->root);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int load(const char *path, uint8_t private_key[MESH_KEY_LEN],
                uint8_t public_key[MESH_KEY_LEN], enum mesh_keyfile_outcome *outcome)
{
	char err[256];

	return mesh_keyfile_load(path, private_key, public_key, outcome, err, sizeof(err));
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_first_start_creates_a_private_key_file(void **state)
{
	struct dir *d = *state;
	uint8_t priv[MESH_KEY_LEN], pub[MESH_KEY_LEN], derived[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;
	char text[128], expected[45], dir[PATH_MAX];

	assert_int_equal(load(d->key, priv, pub, &outcome), 0);
	assert_int_equal(outcome, MESH_KEYFILE_CREATED);
	/* Kilo's format: the base64 private key and nothing else. */
	read_file(d->key, text, sizeof(text));
	assert_string_equal(text, mesh_key_encode(priv, expected));
	assert_int_equal(mode_of(d->key), 0600);
	snprintf(dir, sizeof(dir), "%s/var/lib/kilo", d->root);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(mesh_key_public(priv, derived), 0);
	assert_memory_equal(derived, pub, MESH_KEY_LEN);
	/* Clamped like `wg genkey`. */
	assert_int_equal(priv[0] & 7, 0);
	assert_int_equal(priv[31] & 0xc0, 0x40);
}

static void test_restart_reuses_the_key(void **state)
{
	struct dir *d = *state;
	uint8_t priv1[MESH_KEY_LEN], pub1[MESH_KEY_LEN], priv2[MESH_KEY_LEN], pub2[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;

	assert_int_equal(load(d->key, priv1, pub1, &outcome), 0);
	assert_int_equal(load(d->key, priv2, pub2, &outcome), 0);
	assert_int_equal(outcome, MESH_KEYFILE_LOADED);
	assert_memory_equal(priv1, priv2, MESH_KEY_LEN);
	assert_memory_equal(pub1, pub2, MESH_KEY_LEN);
}

static void test_key_written_by_wg_genkey_with_newline_is_read(void **state)
{
	struct dir *d = *state;
	uint8_t priv[MESH_KEY_LEN], pub[MESH_KEY_LEN], known[MESH_KEY_LEN], known_pub[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;
	char text[64], line[64];

	mesh_key_generate(known);
	assert_int_equal(mesh_key_public(known, known_pub), 0);
	assert_int_equal(load(d->key, priv, pub, &outcome), 0);
	snprintf(line, sizeof(line), "%s\n", mesh_key_encode(known, text));
	write_file(d->key, line);
	assert_int_equal(load(d->key, priv, pub, &outcome), 0);
	assert_int_equal(outcome, MESH_KEYFILE_LOADED);
	assert_memory_equal(priv, known, MESH_KEY_LEN);
	assert_memory_equal(pub, known_pub, MESH_KEY_LEN);
}

/* kgctl connect --private-key: read as it is, never made nor replaced. */
static void test_read_only_never_creates_nor_replaces(void **state)
{
	struct dir *d = *state;
	uint8_t priv[MESH_KEY_LEN], known[MESH_KEY_LEN];
	char path[PATH_MAX + 8], text[64], line[64];

	snprintf(path, sizeof(path), "%s/wg.key", d->root);
	assert_int_equal(mesh_keyfile_read(path, priv), -ENOENT);
	assert_int_equal(access(path, F_OK), -1);
	write_file(path, "not a key\n");
	assert_int_equal(mesh_keyfile_read(path, priv), -EINVAL);
	read_file(path, line, sizeof(line));
	assert_string_equal(line, "not a key\n");
	mesh_key_generate(known);
	snprintf(line, sizeof(line), "%s\n", mesh_key_encode(known, text));
	write_file(path, line);
	assert_int_equal(mesh_keyfile_read(path, priv), 0);
	assert_memory_equal(priv, known, MESH_KEY_LEN);
}

static void expect_replaced(const char *path, const char *corrupt)
{
	uint8_t priv[MESH_KEY_LEN], pub[MESH_KEY_LEN], again[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;

	write_file(path, corrupt);
	chmod(path, 0644);
	assert_int_equal(load(path, priv, pub, &outcome), 0);
	assert_int_equal(outcome, MESH_KEYFILE_REPLACED);
	assert_int_equal(mode_of(path), 0600);
	/* The replacement is what the next start finds. */
	assert_int_equal(load(path, again, pub, &outcome), 0);
	assert_int_equal(outcome, MESH_KEYFILE_LOADED);
	assert_memory_equal(again, priv, MESH_KEY_LEN);
}

static void test_corrupt_key_file_is_replaced_by_a_new_key(void **state)
{
	struct dir *d = *state;
	uint8_t priv[MESH_KEY_LEN], pub[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;

	assert_int_equal(load(d->key, priv, pub, &outcome), 0);
	expect_replaced(d->key, "");
	expect_replaced(d->key, "not base64 at all");
	/* Base64 of 31 bytes, of 33 bytes, and of 32 zero bytes. */
	expect_replaced(d->key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==");
	expect_replaced(d->key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g");
	expect_replaced(d->key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

static void test_unreadable_key_path_is_an_error_not_a_new_key(void **state)
{
	struct dir *d = *state;
	uint8_t priv[MESH_KEY_LEN], pub[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;
	char path[PATH_MAX + 8], err[PATH_MAX + 64], expected[PATH_MAX + 64];

	/* A directory where the key should be: reading fails with EISDIR. */
	snprintf(path, sizeof(path), "%s/keydir", d->root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(mesh_keyfile_load(path, priv, pub, &outcome, err, sizeof(err)), -EISDIR);
	snprintf(expected, sizeof(expected), "cannot read %s: Is a directory", path);
	assert_string_equal(err, expected);
}

static void test_failed_write_keeps_the_invalid_key_file(void **state)
{
	struct dir *d = *state;
	uint8_t priv[MESH_KEY_LEN], pub[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;
	char tmp[PATH_MAX + 8], err[PATH_MAX + 128], expected[PATH_MAX + 128], text[64];

	assert_int_equal(load(d->key, priv, pub, &outcome), 0);
	write_file(d->key, "mangled");
	/* The new key cannot be written: its temporary file's name is taken by a directory. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->key);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(mesh_keyfile_load(d->key, priv, pub, &outcome, err, sizeof(err)), -EISDIR);
	assert_int_equal(outcome, MESH_KEYFILE_REPLACED);
	snprintf(expected, sizeof(expected),
	         "cannot write a new key to %s: Is a directory (the invalid key file is left as "
	         "it was)",
	         d->key);
	assert_string_equal(err, expected);
	read_file(d->key, text, sizeof(text));
	assert_string_equal(text, "mangled");
	assert_false(mesh_key_is_set(priv));
}

static void test_key_directory_that_cannot_be_made_is_named(void **state)
{
	struct dir *d = *state;
	uint8_t priv[MESH_KEY_LEN], pub[MESH_KEY_LEN];
	enum mesh_keyfile_outcome outcome;
	char file[PATH_MAX], path[PATH_MAX + 16], err[PATH_MAX + 64], expected[PATH_MAX + 64];

	/* A file where a directory of the path should be. */
	snprintf(file, sizeof(file), "%s/lib", d->root);
	write_file(file, "");
	snprintf(path, sizeof(path), "%s/kilo/key", file);
	assert_int_equal(mesh_keyfile_load(path, priv, pub, &outcome, err, sizeof(err)), -ENOTDIR);
	snprintf(expected, sizeof(expected), "cannot create the directory %s/kilo: Not a directory",
	         file);
	assert_string_equal(err, expected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_first_start_creates_a_private_key_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_restart_reuses_the_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_written_by_wg_genkey_with_newline_is_read,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_never_creates_nor_replaces, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_key_file_is_replaced_by_a_new_key, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_unreadable_key_path_is_an_error_not_a_new_key,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write_keeps_the_invalid_key_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_key_directory_that_cannot_be_made_is_named, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
