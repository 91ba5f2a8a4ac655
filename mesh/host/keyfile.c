// SPDX-License-Identifier: MIT
#include "mesh/host/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "mesh/model/key.h"

/* Base64 of 32 bytes is 44 characters; leave room to notice anything longer. */
#define KEY_TEXT_MAX 128

void mesh_key_generate(uint8_t private_key[MESH_KEY_LEN])
{
	randombytes_buf(private_key, MESH_KEY_LEN);
	private_key[0] &= 248;
	private_key[31] = (private_key[31] & 127) | 64;
}

int mesh_key_public(const uint8_t private_key[MESH_KEY_LEN], uint8_t public_key[MESH_KEY_LEN])
{
	return crypto_scalarmult_curve25519_base(public_key, private_key) ? -EINVAL : 0;
}

/* mkdir -p for the key's directory; only the directories we create get 0700. */
static int make_parent(const char *path, char *err, size_t err_size)
{
	char dir[PATH_MAX];
	int ret = 0;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, err_size, "key path too long: %s", path);
		return -ENAMETOOLONG;
	}
	for (char *slash = strchr(dir + 1, '/'); slash && !ret; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			ret = -errno;
			snprintf(err, err_size, "cannot create the directory %s: %s", dir,
			         strerror(-ret));
		}
		*slash = '/';
	}
	return ret;
}

int mesh_keyfile_read(const char *path, uint8_t private_key[MESH_KEY_LEN])
{
	char text[KEY_TEXT_MAX + 1];
	ssize_t len;
	int fd, ret = -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, text, KEY_TEXT_MAX + 1);
	if (len < 0)
		ret = -errno;
	close(fd);
	if (len < 0 || len > KEY_TEXT_MAX)
		goto out;
	while (len > 0 && text[len - 1] == '\n')
		len--;
	text[len] = '\0';
	if (!mesh_key_decode(text, private_key) && mesh_key_is_set(private_key))
		ret = 0;
out:
	sodium_memzero(text, sizeof(text));
	return ret;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_key(const char *path, const uint8_t private_key[MESH_KEY_LEN])
{
	char tmp[PATH_MAX], text[45];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	mesh_key_encode(private_key, text);
	ret = fchmod(fd, 0600) ? -errno : 0;
	if (!ret)
		ret = write_all(fd, text, strlen(text));
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	sodium_memzero(text, sizeof(text));
	return ret;
}

int mesh_keyfile_load(const char *path, uint8_t private_key[MESH_KEY_LEN],
                      uint8_t public_key[MESH_KEY_LEN], enum mesh_keyfile_outcome *outcome,
                      char *err, size_t err_size)
{
	int ret = make_parent(path, err, err_size);

	*outcome = MESH_KEYFILE_LOADED;
	if (ret)
		return ret;
	ret = mesh_keyfile_read(path, private_key);
	if (!ret)
		ret = mesh_key_public(private_key, public_key);
	if (!ret)
		return 0;
	if (ret != -ENOENT && ret != -EINVAL) {
		snprintf(err, err_size, "cannot read %s: %s", path, strerror(-ret));
		goto out;
	}
	*outcome = ret == -ENOENT ? MESH_KEYFILE_CREATED : MESH_KEYFILE_REPLACED;
	mesh_key_generate(private_key);
	ret = mesh_key_public(private_key, public_key);
	if (!ret)
		ret = write_key(path, private_key);
	if (ret)
		snprintf(err, err_size, "cannot write a new key to %s: %s%s", path, strerror(-ret),
		         *outcome == MESH_KEYFILE_REPLACED
		             ? " (the invalid key file is left as it was)"
		             : "");
out:
	if (ret)
		sodium_memzero(private_key, MESH_KEY_LEN);
	return ret;
}
